import { z } from 'zod';
import type { ScreeningAnswers } from './eligibility';
import { optionalTextField, textField, type TextFieldOptions } from './text';
import {
  LONDON_BOROUGHS,
  OFFENCE_TYPES,
  REFERRAL_SOURCES,
  SENTENCE_TYPES,
  type LondonBorough,
  type OffenceType,
  type ReferralSource,
  type SentenceType,
} from './vocabulary';

/**
 * The referral form's rules: what each input must hold and how the inputs must agree with each
 * other and with the screening answers. Pure: "today" is passed in.
 */

export const REFERRAL_FORM_FIELDS = [
  'referralSource', 'offenceType', 'offenceDescription', 'offenceDate', 'crimeReference', 'sentenceDate',
  'sentenceType', 'prison', 'offenderName', 'offenderDateOfBirth', 'offenderBorough', 'offenderAware',
  'harmedPersonName', 'harmedPersonBorough', 'harmedPersonPhone', 'harmedPersonEmail', 'harmedPersonAware',
  'relationship', 'riskNotes', 'accessNeeds', 'referrerPhone',
] as const;
export type ReferralFormField = (typeof REFERRAL_FORM_FIELDS)[number];

/** What the card submitted: every input arrives as a string (or not at all). */
export type ReferralFormValues = Partial<Record<ReferralFormField, string>>;

export const FIELD_LIMITS = {
  offenceDescription: 2000,
  crimeReference: 40,
  prison: 120,
  name: 100,
  relationship: 200,
  riskNotes: 2000,
  accessNeeds: 1000,
  email: 254,
} as const;

export interface ReferralFormContext {
  answers: ScreeningAnswers;
  /** Referrals from the service's own tenant must say where they come from. */
  requiresSource: boolean;
  /** Today's date in London, yyyy-mm-dd. */
  today: string;
}

export interface ReferralDetails {
  referralSource?: ReferralSource;
  offenceType: OffenceType;
  offenceDescription?: string;
  offenceDate: string;
  crimeReference?: string;
  sentenceDate?: string;
  sentenceType?: SentenceType;
  prison?: string;
  offenderName: string;
  offenderDateOfBirth?: string;
  offenderBorough?: LondonBorough;
  offenderAware: boolean;
  harmedPersonName: string;
  harmedPersonBorough?: LondonBorough;
  harmedPersonPhone?: string;
  harmedPersonEmail?: string;
  harmedPersonAware: boolean;
  relationship?: string;
  riskNotes?: string;
  accessNeeds?: string;
  referrerPhone?: string;
}

export type FormErrors = Partial<Record<ReferralFormField, string>>;

export type FormResult = { ok: true; value: ReferralDetails } | { ok: false; errors: FormErrors };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/** UK numbers: 10 or 11 digits after an optional +44 (spaces, dashes and brackets allowed). */
export function normalisePhone(raw: string): string | undefined {
  const compact = raw.replace(/[\s\-()]/g, '');
  const national = compact.startsWith('+44') ? `0${compact.slice(3)}` : compact;
  if (!/^0\d{9,10}$/.test(national)) return undefined;
  return national;
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[A-Za-z]{2,}$/;

const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());
/** Free text: cleaned and bounded (src/domain/text.ts); the message names the field. */
const text = (label: string, max: number, extra: Partial<TextFieldOptions> = {}) =>
  optionalTextField({ label, max, tooLong: `Keep this under ${max} characters.`, ...extra });
const phone = (label: string) => text(label, 30, { tooLong: 'Enter a UK phone number, e.g. 020 7946 0000.' });

const date = (label: string) =>
  z
    .string()
    .trim()
    .refine(isRealDate, `Enter the ${label} as a real date (yyyy-mm-dd).`);

const yesNo = (missing: string) =>
  z.enum(['yes', 'no'], { error: () => missing }).transform((v) => v === 'yes');

const keys = <T extends Record<string, unknown>>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]];

const baseSchema = z.object({
  referralSource: optional(z.enum(keys(REFERRAL_SOURCES), { error: () => 'Choose where this referral comes from.' })),
  offenceType: z.enum(keys(OFFENCE_TYPES), { error: () => 'Choose the type of offence.' }),
  offenceDescription: text('the description of what happened', FIELD_LIMITS.offenceDescription, { multiline: true }),
  offenceDate: date('offence date'),
  crimeReference: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    textField({ label: 'the crime reference', max: FIELD_LIMITS.crimeReference, tooLong: `Keep this under ${FIELD_LIMITS.crimeReference} characters.` })
      .pipe(z.string().regex(/^[A-Za-z0-9/\- ]+$/, 'Use letters, digits, "/" and "-" only.'))
      .optional(),
  ),
  sentenceDate: optional(date('sentencing date')),
  sentenceType: optional(z.enum(keys(SENTENCE_TYPES), { error: () => 'Choose a sentence type from the list.' })),
  prison: text('the prison', FIELD_LIMITS.prison),
  offenderName: textField({
    label: 'the name of the person who caused the harm',
    max: FIELD_LIMITS.name,
    tooLong: `Keep this under ${FIELD_LIMITS.name} characters.`,
    missing: 'Enter the name of the person who caused the harm.',
  }),
  offenderDateOfBirth: optional(date('date of birth')),
  offenderBorough: optional(z.enum(LONDON_BOROUGHS, { error: () => 'Choose a London borough from the list.' })),
  offenderAware: yesNo('Say whether the person who caused the harm knows about this referral.'),
  harmedPersonName: textField({
    label: "the harmed person's name",
    max: FIELD_LIMITS.name,
    tooLong: `Keep this under ${FIELD_LIMITS.name} characters.`,
    missing: 'Enter the name of the harmed person.',
  }),
  harmedPersonBorough: optional(z.enum(LONDON_BOROUGHS, { error: () => 'Choose a London borough from the list.' })),
  harmedPersonPhone: phone("the harmed person's phone number"),
  harmedPersonEmail: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    textField({ label: "the harmed person's email address", max: FIELD_LIMITS.email, tooLong: 'That email address is too long.' })
      .pipe(z.string().regex(EMAIL, 'Enter an email address like name@example.org.'))
      .optional(),
  ),
  harmedPersonAware: yesNo('Say whether the harmed person knows about this referral.'),
  relationship: text('the relationship', FIELD_LIMITS.relationship),
  riskNotes: text('the risk notes', FIELD_LIMITS.riskNotes, { multiline: true }),
  accessNeeds: text('the access needs', FIELD_LIMITS.accessNeeds, { multiline: true }),
  referrerPhone: phone('your phone number'),
});

/** Validates a submitted form; returns every error at once, keyed by input id. */
export function validateReferralForm(values: ReferralFormValues, ctx: ReferralFormContext): FormResult {
  const errors: FormErrors = {};
  const parsed = baseSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as ReferralFormField | undefined;
      if (field && !errors[field]) errors[field] = issue.message;
    }
  }
  // Cross-field rules run on whatever parsed, so the referrer sees all problems in one go.
  const v = values;
  const trimmed = (f: ReferralFormField) => (v[f] ?? '').trim();
  const offenceDate = trimmed('offenceDate');
  const sentenceDate = trimmed('sentenceDate');
  const dob = trimmed('offenderDateOfBirth');
  const offenceType = trimmed('offenceType');

  if (ctx.requiresSource && !trimmed('referralSource') && !errors.referralSource) {
    errors.referralSource = 'Choose where this referral comes from.';
  }
  if (!errors.offenceDate && offenceDate > ctx.today) errors.offenceDate = 'The offence date cannot be in the future.';
  if (!sentenceDate && ctx.answers.sentenced !== 'not_sure' && !errors.sentenceDate) {
    errors.sentenceDate = 'Enter the sentencing date.';
  }
  if (sentenceDate && !errors.sentenceDate) {
    if (sentenceDate > ctx.today) errors.sentenceDate = 'The sentencing date cannot be in the future: refer once sentencing is over.';
    else if (!errors.offenceDate && offenceDate && sentenceDate < offenceDate) {
      errors.sentenceDate = 'The sentencing date cannot be before the offence date.';
    }
  }
  if (dob && !errors.offenderDateOfBirth) {
    if (dob > ctx.today) errors.offenderDateOfBirth = 'The date of birth cannot be in the future.';
    else if (!errors.offenceDate && offenceDate && dob >= offenceDate) {
      errors.offenderDateOfBirth = 'The date of birth must be before the offence date.';
    }
  }
  for (const f of ['harmedPersonPhone', 'referrerPhone'] as const) {
    if (trimmed(f) && !errors[f] && !normalisePhone(trimmed(f))) errors[f] = 'Enter a UK phone number, e.g. 020 7946 0000 or +44 20 7946 0000.';
  }
  const stalkingOrAbuse = offenceType === 'stalking' || offenceType === 'child_abuse';
  if (!errors.offenceType && offenceType) {
    if (ctx.answers.stalkingOrChildAbuse === 'no' && stalkingOrAbuse) {
      errors.offenceType = 'You answered that the offence is not stalking or child abuse. Choose the offence type again, or type cancel and start a new referral.';
    } else if (ctx.answers.stalkingOrChildAbuse === 'yes' && !stalkingOrAbuse) {
      errors.offenceType = 'You answered that the offence is stalking or child abuse. Choose stalking or child abuse, or type cancel and start a new referral.';
    }
  }
  if (trimmed('offenderAware') === 'no' && trimmed('harmedPersonAware') === 'no' && !errors.offenderAware) {
    errors.offenderAware = 'Participation is voluntary: at least one person must know about the referral before we contact anyone.';
  }

  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  const d = parsed.data;
  const value: ReferralDetails = {
    ...d,
    harmedPersonPhone: d.harmedPersonPhone ? normalisePhone(d.harmedPersonPhone) : undefined,
    referrerPhone: d.referrerPhone ? normalisePhone(d.referrerPhone) : undefined,
    referralSource: ctx.requiresSource ? d.referralSource : undefined,
  };
  return { ok: true, value };
}
