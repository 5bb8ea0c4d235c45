/**
 * Erasure requests (issue 10, item 7; UK GDPR Article 17): a participant asks for their data to be
 * erased. The service must answer within a month: a request is due 28 days after it was received,
 * and coordinators are reminded from day 21 while it is still open. Pure.
 */
import { addDays } from './contactForm';
import { PARTIES, PARTY_LABELS, type Party } from './caseState';

export const ERASURE_DUE_DAYS = 28;
export const ERASURE_REMIND_AFTER_DAYS = 21;

export const ERASURE_REQUESTED = 'erasure_requested';
export const ERASURE_DECIDED = 'erasure_decided';
export const ERASURE_DECISIONS = ['erased', 'refused'] as const;
export type ErasureDecision = (typeof ERASURE_DECISIONS)[number];

/** Shown where an erased participant's details were. */
export const ERASED_TEXT = 'Erased on request';

/** The dates of a request received on `receivedOn` (yyyy-mm-dd, London). */
export function erasureDates(receivedOn: string): { dueOn: string; remindOn: string } {
  return { dueOn: addDays(receivedOn, ERASURE_DUE_DAYS), remindOn: addDays(receivedOn, ERASURE_REMIND_AFTER_DAYS) };
}

/** Whether an open request needs the coordinators' attention today. */
export function erasureReminderDue(r: { remindOn: string; decided: boolean; reminded: boolean }, today: string): boolean {
  return !r.decided && !r.reminded && r.remindOn <= today;
}

/** The words a coordinator types after `erase RJ-…` for each party. */
const PARTY_WORDS: Readonly<Record<string, Party>> = {
  'harmed person': 'harmed_person',
  'harmed-person': 'harmed_person',
  victim: 'harmed_person',
  offender: 'offender',
  'person who caused the harm': 'offender',
  'person who harmed': 'offender',
};

export function partyFromWords(words: string): Party | undefined {
  const w = words.trim().toLowerCase().replace(/\s+/g, ' ');
  if ((PARTIES as readonly string[]).includes(w)) return w as Party;
  return PARTY_WORDS[w];
}

/**
 * Why nothing more may be recorded (issue 10, items 6 and 7): an anonymised case's keys are
 * destroyed, and an erased participant's key is; nothing new could be kept under them, and writing
 * about someone who asked to be erased would undo the erasure. `party`: whom the record is about.
 */
export function recordingRefusal(r: { readonly anonymisedAt?: Date; readonly erased?: Readonly<Partial<Record<Party, Date>>> }, party?: Party): string | undefined {
  if (r.anonymisedAt) return 'This case was anonymised when its retention period ended: nothing more can be recorded on it.';
  if (party && r.erased?.[party]) return `The data of ${PARTY_LABELS[party]} was erased on request: nothing more can be recorded about them.`;
  return undefined;
}
