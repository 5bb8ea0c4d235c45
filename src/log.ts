import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Every field name under which a person's words can travel: the inputs of every form a person fills
 * in (the referral form's fields, the free text of each case-progress and triage form) and the names
 * the code gives the same values once read. Written out here because the logger depends on nothing;
 * test/integration/verbRegistry.test.ts walks every card the bot can send and fails if a free-text
 * input, or a field of the referral form (src/domain/referralForm.ts), is missing from it.
 * Not `reason`, `outcome` or `party`: logs use them for codes (a send's failure, a contact's outcome).
 */
export const PERSONAL_FIELD_NAMES: readonly string[] = [
  // The referral form (REFERRAL_FORM_FIELDS).
  'referralSource', 'offenceType', 'offenceDescription', 'offenceDate', 'crimeReference', 'sentenceDate',
  'sentenceType', 'prison', 'offenderName', 'offenderDateOfBirth', 'offenderBorough', 'offenderAware',
  'harmedPersonName', 'harmedPersonBorough', 'harmedPersonPhone', 'harmedPersonEmail', 'harmedPersonAware',
  'relationship', 'riskNotes', 'accessNeeds', 'referrerPhone',
  // The free text of the case-progress, triage, legal hold and erasure forms.
  'note', 'riskSummary', 'venue', 'attendees', 'notHeldReason', 'closeNote', 'reopenReason', 'declineNote', 'holdReason', 'refusalReason',
  // The same values once read (records, events, view models).
  'name', 'phone', 'email', 'notes', 'text', 'value', 'body', 'details', 'summary', 'answers',
  'description', 'dateOfBirth', 'address', 'borough', 'participants', 'attachments', 'declineReason', 'sentencingDate',
];

/**
 * Logs carry ids, never names, offence details, contact details or message text. Callers log ids
 * only; the redaction list is the safety net for a field that slips through.
 */
export const REDACT_PATHS: readonly string[] = [
  // A form's values logged as an object, inside a request, an activity's value or its action data.
  ...PERSONAL_FIELD_NAMES.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
  'req.headers.authorization', 'headers.authorization', 'authorization',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rj-referrals' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
