import { z } from 'zod';
import { CLOSING_OUTCOMES, INDIRECT_METHODS, PARTIES, RISK_LEVELS, type ClosingOutcome, type IndirectMethod, type Party, type RiskLevel } from './caseState';
import { optionalTextField, textField } from './text';
import { addDays, isRealDate, localDateOf, LONDON_ZONE, normaliseTime, NOTE_MAX, zonedInstant } from './contactForm';

/**
 * The case-progress forms other than "Log contact": consent, risk assessment, conference, outcome,
 * closing and reopening. Each validator is pure (today and now come in) and returns every problem
 * at once, keyed by the card's input id, so the card can be shown again with the values kept.
 */

export type FormValues = Readonly<Record<string, string | undefined>>;
export type FieldErrors = Record<string, string>;
export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

export interface FormClock {
  now: Date;
  zone?: string;
}

export const SUMMARY_MAX = 500;
export const VENUE_MAX = 200;
export const ATTENDEES_MAX = 500;
export const REASON_MAX = 500;

const keys = <T extends Record<string, unknown>>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]];
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** Free text is cleaned and bounded by src/domain/text.ts; messages name the field (`what`). */
const optionalText = (max: number, what: string, multiline = true) => optionalTextField({ label: what, max, multiline });
const requiredText = (max: number, missing: string, what: string, multiline = true) =>
  z.preprocess(blank, textField({ label: what, max, missing, multiline }));
const date = (missing: string) =>
  z.preprocess(blank, z.string({ error: () => missing }).trim().refine(isRealDate, `${missing.replace(/\.$/, '')} as a real date (yyyy-mm-dd).`));
const yesNo = (missing: string) => z.enum(['yes', 'no'], { error: () => missing }).transform((v) => v === 'yes');

function collect(issues: readonly z.core.$ZodIssue[], into: FieldErrors): void {
  for (const issue of issues) {
    const field = issue.path[0];
    if (typeof field === 'string' && !into[field]) into[field] = issue.message;
  }
}

function finish<T>(errors: FieldErrors, value: T | undefined): FormResult<T> {
  return value !== undefined && Object.keys(errors).length === 0 ? { ok: true, value } : { ok: false, errors };
}

// Consent --------------------------------------------------------------------------------------

export const CONSENT_CHOICES = {
  given: 'Consent given',
  declined: 'Declined to take part',
  withdrawn: 'Withdrew consent',
} as const;
export type ConsentChoice = keyof typeof CONSENT_CHOICES;

export interface ConsentEntry {
  party: Party;
  status: ConsentChoice;
  /** yyyy-mm-dd: when the person said so. */
  on: string;
}

const consentSchema = z.object({
  party: z.enum(PARTIES, { error: () => 'Choose whose consent this is.' }),
  consentStatus: z.enum(keys(CONSENT_CHOICES), { error: () => 'Choose whether consent was given, declined or withdrawn.' }),
  consentDate: date('Enter the date.'),
});

export function validateConsentForm(values: FormValues, clock: FormClock): FormResult<ConsentEntry> {
  const errors: FieldErrors = {};
  const p = consentSchema.safeParse(values);
  if (!p.success) collect(p.error.issues, errors);
  const today = localDateOf(clock.now, clock.zone ?? LONDON_ZONE);
  if (p.success && p.data.consentDate > today) errors.consentDate = 'The date cannot be in the future.';
  return finish(errors, p.success ? { party: p.data.party, status: p.data.consentStatus, on: p.data.consentDate } : undefined);
}

// Risk assessment --------------------------------------------------------------------------------

export const RISK_LABELS: Readonly<Record<RiskLevel, string>> = { low: 'Low', medium: 'Medium', high: 'High' };

export interface RiskEntry {
  level: RiskLevel;
  on: string;
  summary: string;
}

const riskSchema = z.object({
  riskLevel: z.enum(RISK_LEVELS, { error: () => 'Choose the risk level.' }),
  riskDate: date('Enter the date of the assessment.'),
  riskSummary: requiredText(SUMMARY_MAX, 'Write a short summary of the assessment.', 'the summary'),
});

export function validateRiskForm(values: FormValues, clock: FormClock): FormResult<RiskEntry> {
  const errors: FieldErrors = {};
  const p = riskSchema.safeParse(values);
  if (!p.success) collect(p.error.issues, errors);
  const today = localDateOf(clock.now, clock.zone ?? LONDON_ZONE);
  if (p.success && p.data.riskDate > today) errors.riskDate = 'The assessment date cannot be in the future.';
  return finish(errors, p.success ? { level: p.data.riskLevel, on: p.data.riskDate, summary: p.data.riskSummary } : undefined);
}

// Conference -------------------------------------------------------------------------------------

export interface ConferenceEntry {
  startsAt: string;
  venue: string;
  attendees?: string;
}

const conferenceSchema = z.object({
  conferenceDate: date('Enter the date of the conference.'),
  conferenceTime: z.preprocess(blank, z.string({ error: () => 'Enter the time of the conference (hh:mm).' })),
  venue: requiredText(VENUE_MAX, 'Enter the venue, e.g. the prison or community centre.', 'the venue', false),
  attendees: optionalText(ATTENDEES_MAX, 'the attendees'),
});

export function validateConferenceForm(values: FormValues, clock: FormClock): FormResult<ConferenceEntry> {
  const zone = clock.zone ?? LONDON_ZONE;
  const errors: FieldErrors = {};
  const p = conferenceSchema.safeParse(values);
  if (!p.success) collect(p.error.issues, errors);
  const time = typeof values.conferenceTime === 'string' ? normaliseTime(values.conferenceTime) : undefined;
  if (!errors.conferenceTime && !time) errors.conferenceTime = 'Enter the time of the conference as hh:mm, e.g. 10:00.';
  let startsAt: Date | undefined;
  if (p.success && time && !errors.conferenceDate) {
    startsAt = zonedInstant(p.data.conferenceDate, time, zone);
    if (!startsAt) errors.conferenceDate = 'Enter a real date and time.';
    else if (startsAt.getTime() <= clock.now.getTime()) errors.conferenceDate = 'A conference is scheduled for a date in the future.';
    else if (p.data.conferenceDate > addDays(localDateOf(clock.now, zone), 366)) errors.conferenceDate = 'Schedule the conference within the next year.';
  }
  return finish(
    errors,
    p.success && startsAt
      ? { startsAt: startsAt.toISOString(), venue: p.data.venue, ...(p.data.attendees ? { attendees: p.data.attendees } : {}) }
      : undefined,
  );
}

export const INDIRECT_LABELS: Readonly<Record<IndirectMethod, string>> = INDIRECT_METHODS;

export function validateIndirectForm(values: FormValues): FormResult<{ method: IndirectMethod }> {
  const p = z.object({ indirectMethod: z.enum(keys(INDIRECT_METHODS), { error: () => 'Choose how the communication will be passed on.' }) }).safeParse(values);
  const errors: FieldErrors = {};
  if (!p.success) collect(p.error.issues, errors);
  return finish(errors, p.success ? { method: p.data.indirectMethod } : undefined);
}

// After the conference (or the letters) ----------------------------------------------------------

export interface OutcomeEntry {
  /** False: the conference did not take place (it is cancelled with `reason`). */
  held: boolean;
  agreement: boolean;
  /** yyyy-mm-dd: when the agreement is to be reviewed. */
  reviewOn?: string;
  reason?: string;
}

/** The first question; each answer has its own questions below (the form shows only those). */
const heldAnswer = z.object({ held: yesNo('Say whether it took place.') });
/** It took place: was an agreement made, and if so when is it reviewed. */
const tookPlace = z
  .object({
    agreement: z.preprocess(blank, yesNo('Say whether an outcome agreement was made.')),
    reviewOn: z.preprocess(blank, z.string().trim().refine(isRealDate, 'Enter the review date as a real date (yyyy-mm-dd).').optional()),
  })
  .superRefine((v, ctx) => {
    if (v.agreement && !v.reviewOn) ctx.addIssue({ code: 'custom', path: ['reviewOn'], message: 'Give the date on which the agreement will be reviewed.' });
  });
/** A conference that did not take place is cancelled: why. (Indirect communication not completed needs nothing.) */
const conferenceNotHeld = z.object({ notHeldReason: requiredText(REASON_MAX, 'Say briefly why it did not take place.', 'the reason') });

/**
 * `since` is the conference's start (or now, for indirect communication): the outcome of a meeting
 * can only be recorded once it has begun. Only the answer's own fields are read: a value typed
 * under the other answer (the card keeps both, one hidden) is ignored, never required.
 */
export function validateOutcomeForm(values: FormValues, clock: FormClock & { since?: Date; indirect?: boolean }): FormResult<OutcomeEntry> {
  const zone = clock.zone ?? LONDON_ZONE;
  const errors: FieldErrors = {};
  const h = heldAnswer.safeParse(values);
  if (!h.success) {
    collect(h.error.issues, errors);
    return { ok: false, errors };
  }
  if (clock.since && clock.since.getTime() > clock.now.getTime()) {
    errors.held = 'The conference has not started yet: record what happened after it.';
  }
  if (h.data.held) {
    const v = tookPlace.safeParse(values);
    if (!v.success) {
      collect(v.error.issues, errors);
      return { ok: false, errors };
    }
    if (v.data.agreement && v.data.reviewOn && v.data.reviewOn <= localDateOf(clock.now, zone)) errors.reviewOn = 'The review date must be in the future.';
    return finish(errors, { held: true, agreement: v.data.agreement, ...(v.data.agreement && v.data.reviewOn ? { reviewOn: v.data.reviewOn } : {}) });
  }
  if (clock.indirect) return finish(errors, { held: false, agreement: false });
  const v = conferenceNotHeld.safeParse(values);
  if (!v.success) {
    collect(v.error.issues, errors);
    return { ok: false, errors };
  }
  return finish(errors, { held: false, agreement: false, reason: v.data.notHeldReason });
}

// Closing and reopening --------------------------------------------------------------------------

/** A case accepted into the service is never closed as "declined at triage". */
export const CLOSE_CHOICES: readonly ClosingOutcome[] = (Object.keys(CLOSING_OUTCOMES) as ClosingOutcome[]).filter((o) => o !== 'declined_at_triage');

export interface CloseEntry {
  outcome: ClosingOutcome;
  note?: string;
}

export function validateCloseForm(values: FormValues): FormResult<CloseEntry> {
  const p = z
    .object({
      closeOutcome: z.enum(CLOSE_CHOICES as [ClosingOutcome, ...ClosingOutcome[]], { error: () => 'Choose the outcome the case closes with.' }),
      closeNote: optionalText(NOTE_MAX, 'the note'),
    })
    .safeParse(values);
  const errors: FieldErrors = {};
  if (!p.success) collect(p.error.issues, errors);
  return finish(errors, p.success ? { outcome: p.data.closeOutcome, ...(p.data.closeNote ? { note: p.data.closeNote } : {}) } : undefined);
}

export function validateReasonForm(values: FormValues, field: string, missing: string): FormResult<{ reason: string }> {
  const p = z.object({ [field]: requiredText(REASON_MAX, missing, 'the reason') }).safeParse(values);
  const errors: FieldErrors = {};
  if (!p.success) collect(p.error.issues, errors);
  const reason = p.success ? p.data[field] : undefined;
  return finish(errors, typeof reason === 'string' ? { reason } : undefined);
}
