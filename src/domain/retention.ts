/**
 * Retention (issue 10, item 6): how long personal data is kept. A closed or declined case keeps its
 * participants' details for RETENTION_YEARS after it closed, then is anonymised unless a coordinator
 * has put it on legal hold; abandoned referral drafts go after DRAFT_RETENTION_DAYS. Pure: the job
 * and the store ask these rules and act on their answer.
 */
import { DateTime } from 'luxon';

export const DEFAULT_RETENTION_YEARS = 7;
export const DEFAULT_DRAFT_RETENTION_DAYS = 30;

/** Daily, early, London time: the retention pass (a BullMQ job scheduler, reconciled like the others). */
export const RETENTION_CRON = '30 2 * * *';

export interface RetentionRules {
  readonly years: number;
  readonly draftDays: number;
  readonly zone: string;
}

/** When a case closed on `closedAt` is due to be anonymised: the same calendar day, `years` later. */
export function anonymiseOn(closedAt: Date, rules: Pick<RetentionRules, 'years' | 'zone'>): Date {
  return DateTime.fromJSDate(closedAt, { zone: rules.zone }).plus({ years: rules.years }).toJSDate();
}

/** Cases closed at or before this instant are due now. */
export function closedBefore(now: Date, rules: Pick<RetentionRules, 'years' | 'zone'>): Date {
  return DateTime.fromJSDate(now, { zone: rules.zone }).minus({ years: rules.years }).toJSDate();
}

/** Drafts (dialog state) untouched since before this instant are abandoned. */
export function draftsBefore(now: Date, rules: Pick<RetentionRules, 'draftDays'>): Date {
  return new Date(now.getTime() - rules.draftDays * 24 * 3600 * 1000);
}

export type RetentionStatus =
  | { readonly kind: 'open' }
  | { readonly kind: 'kept'; readonly until: Date }
  | { readonly kind: 'held'; readonly since: Date }
  | { readonly kind: 'due'; readonly since: Date }
  | { readonly kind: 'anonymised'; readonly on: Date };

/** Where one case stands: what the case card says, and what the retention pass does with it. */
export function retentionStatus(
  c: { readonly closedAt: Date | null; readonly heldSince: Date | null; readonly anonymisedAt: Date | null },
  now: Date,
  rules: Pick<RetentionRules, 'years' | 'zone'>,
): RetentionStatus {
  if (c.anonymisedAt) return { kind: 'anonymised', on: c.anonymisedAt };
  if (!c.closedAt) return { kind: 'open' };
  if (c.heldSince) return { kind: 'held', since: c.heldSince };
  const due = anonymiseOn(c.closedAt, rules);
  return due.getTime() <= now.getTime() ? { kind: 'due', since: due } : { kind: 'kept', until: due };
}

/** The events that record retention decisions (not lifecycle moves: the stage stays as it was). */
export const LEGAL_HOLD_PLACED = 'legal_hold_placed';
export const LEGAL_HOLD_LIFTED = 'legal_hold_lifted';
export const CASE_ANONYMISED = 'case_anonymised';

/** Shown where the participants' details were, once they are gone. */
export const ANONYMISED_TEXT = 'Removed: the retention period ended';
