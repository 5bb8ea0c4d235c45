/**
 * Every field name under which a person's words can travel: the inputs of every form a person fills
 * in (the referral form, the free text of each case-progress form, triage's decline note) and the names the code
 * uses for the same values. The logger redacts each of them wherever it appears (src/log.ts), and a
 * test walks every card the bot can send so that a new form input cannot be forgotten here.
 */
import { REFERRAL_FORM_FIELDS } from './referralForm';

/** The free-text inputs of the case-progress and triage forms; their other inputs are codes and dates. */
const PROGRESS_FORM_TEXT = ['note', 'riskSummary', 'venue', 'attendees', 'notHeldReason', 'closeNote', 'reopenReason', 'declineNote', 'holdReason', 'refusalReason'] as const;

/** The names the code gives the same values once read (records, events, view models). */
const VALUE_NAMES = [
  // Not `reason`, `outcome` or `party`: logs use them for codes (a send's failure, a contact's outcome).
  'name', 'phone', 'email', 'notes', 'text', 'value', 'body', 'details', 'summary', 'answers',
  'description', 'offenceDescription', 'riskNotes', 'relationship', 'accessNeeds', 'dateOfBirth', 'address', 'borough',
  'participants', 'attachments', 'declineReason', 'sentencingDate',
] as const;

export const PERSONAL_FIELD_NAMES: readonly string[] = [...new Set<string>([...REFERRAL_FORM_FIELDS, ...PROGRESS_FORM_TEXT, ...VALUE_NAMES])];
