import { DateTime } from 'luxon';
import { z } from 'zod';
import { PARTIES, type Party } from './caseState';
import { optionalTextField } from './text';

/**
 * The "Log contact" form's rules. Pure: the current instant and the case's start come in through the
 * context, so the same input always gives the same answer.
 */

export const CONTACT_METHODS = {
  phone: 'Phone',
  video: 'Video call',
  home_visit: 'Home visit',
  prison_visit: 'Prison visit',
  letter: 'Letter',
  email: 'Email',
  other: 'Other',
} as const;
export type ContactMethod = keyof typeof CONTACT_METHODS;

export const CONTACT_OUTCOMES = {
  reached: 'Reached',
  no_answer: 'No answer',
  left_message: 'Left a message',
  declined: 'Declined to take part',
  withdrew: 'Withdrew',
  other: 'Other',
} as const;
export type ContactOutcome = keyof typeof CONTACT_OUTCOMES;

export const NOTE_MAX = 1000;
/** How far ahead a follow-up may be set: further than this is almost always a typo in the year. */
export const FOLLOW_UP_MAX_DAYS = 366;
/** Clocks of phones and servers disagree a little; a contact "now" must not be refused as future. */
const FUTURE_TOLERANCE_MINUTES = 5;

export const CONTACT_FORM_FIELDS = ['party', 'contactDate', 'contactTime', 'method', 'outcome', 'note', 'nextFollowUpOn'] as const;
export type ContactFormField = (typeof CONTACT_FORM_FIELDS)[number];
/** What the card submitted: every input arrives as a string, or not at all. */
export type ContactFormValues = Partial<Record<ContactFormField, string>>;
export type ContactFormErrors = Partial<Record<ContactFormField, string>>;

export interface ContactFormContext {
  now: Date;
  /** A contact cannot predate the case (its referral). */
  earliest?: Date;
  zone?: string;
}

export interface ContactEntry {
  party: Party;
  /** ISO instant (UTC). */
  at: string;
  method: ContactMethod;
  outcome: ContactOutcome;
  /** Trimmed; undefined when empty. Stored apart from the event log. */
  note?: string;
  /** yyyy-mm-dd, London. */
  nextFollowUpOn?: string;
}

export type ContactFormResult = { ok: true; value: ContactEntry } | { ok: false; errors: ContactFormErrors };

export const LONDON_ZONE = 'Europe/London';
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A yyyy-mm-dd that names a real day (2026-02-30 does not). */
export function isRealDate(s: string): boolean {
  return ISO_DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;
}

/** Accepts "9:05" as well as "09:05" (typed times), returns HH:mm or undefined. */
export function normaliseTime(s: string): string | undefined {
  const t = s.trim();
  const padded = /^\d:\d{2}$/.test(t) ? `0${t}` : t;
  return TIME.test(padded) ? padded : undefined;
}

/**
 * The instant a London wall-clock date and time name. A time skipped by the spring-forward change
 * moves forward an hour (luxon's rule), which is what someone typing it meant.
 */
export function zonedInstant(date: string, time: string, zone = LONDON_ZONE): Date | undefined {
  const dt = DateTime.fromISO(`${date}T${time}`, { zone });
  return dt.isValid ? dt.toJSDate() : undefined;
}

export function localDateOf(at: Date, zone = LONDON_ZONE): string {
  return DateTime.fromJSDate(at).setZone(zone).toISODate() ?? '';
}

export function addDays(date: string, n: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: n }).toISODate() ?? date;
}

const keys = <T extends Record<string, unknown>>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]];
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const schema = z.object({
  party: z.enum(PARTIES, { error: () => 'Choose who the contact was with.' }),
  contactDate: z.string({ error: () => 'Enter the date of the contact.' }).trim().refine(isRealDate, 'Enter the date of the contact as a real date (yyyy-mm-dd).'),
  contactTime: z
    .string({ error: () => 'Enter the time of the contact (hh:mm).' })
    .transform((s, ctx) => {
      const t = normaliseTime(s);
      if (!t) {
        ctx.addIssue({ code: 'custom', message: 'Enter the time of the contact as hh:mm, e.g. 14:30.' });
        return z.NEVER;
      }
      return t;
    }),
  method: z.enum(keys(CONTACT_METHODS), { error: () => 'Choose how the contact was made.' }),
  outcome: z.enum(keys(CONTACT_OUTCOMES), { error: () => 'Choose the outcome of the contact.' }),
  note: optionalTextField({ label: 'the note', max: NOTE_MAX, multiline: true }),
  nextFollowUpOn: z.preprocess(
    blankToUndefined,
    z.string().trim().refine(isRealDate, 'Enter the follow-up date as a real date (yyyy-mm-dd).').optional(),
  ),
});

/** Validates a submitted contact; returns every problem at once, keyed by input id. */
export function validateContactForm(values: ContactFormValues, ctx: ContactFormContext): ContactFormResult {
  const zone = ctx.zone ?? LONDON_ZONE;
  const errors: ContactFormErrors = {};
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as ContactFormField | undefined;
      if (field && !errors[field]) errors[field] = issue.message;
    }
  }
  // Cross-field rules run on whatever parsed, so every problem shows at once.
  const raw = {
    date: typeof values.contactDate === 'string' ? values.contactDate.trim() : '',
    time: typeof values.contactTime === 'string' ? normaliseTime(values.contactTime) : undefined,
    followUp: typeof values.nextFollowUpOn === 'string' ? values.nextFollowUpOn.trim() : '',
  };
  let at: Date | undefined;
  if (!errors.contactDate && !errors.contactTime && raw.time) {
    at = zonedInstant(raw.date, raw.time, zone);
    if (!at) errors.contactDate = 'Enter a real date and time for the contact.';
    else if (at.getTime() > ctx.now.getTime() + FUTURE_TOLERANCE_MINUTES * 60_000) {
      errors.contactDate = 'A contact cannot be in the future: log it once it has happened.';
    } else if (ctx.earliest && localDateOf(at, zone) < localDateOf(ctx.earliest, zone)) {
      errors.contactDate = 'A contact cannot be before the case was referred.';
    }
  }
  if (!errors.nextFollowUpOn && raw.followUp && isRealDate(raw.followUp)) {
    const contactDay = at ? localDateOf(at, zone) : ISO_DATE.test(raw.date) ? raw.date : undefined;
    const today = localDateOf(ctx.now, zone);
    if (contactDay && raw.followUp <= contactDay) errors.nextFollowUpOn = 'The next follow-up must be after the day of the contact.';
    else if (raw.followUp < today) errors.nextFollowUpOn = 'The next follow-up cannot be in the past.';
    else if (raw.followUp > addDays(today, FOLLOW_UP_MAX_DAYS)) errors.nextFollowUpOn = 'Set a follow-up within the next year.';
  }
  const v = parsed.success ? parsed.data : undefined;
  if (v && (v.outcome === 'other' || v.method === 'other') && !v.note) {
    errors.note = `Add a short note saying what "other" means here.`;
  }
  if (!v || !at || Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      party: v.party,
      at: at.toISOString(),
      method: v.method,
      outcome: v.outcome,
      ...(v.note ? { note: v.note } : {}),
      ...(v.nextFollowUpOn ? { nextFollowUpOn: v.nextFollowUpOn } : {}),
    },
  };
}
