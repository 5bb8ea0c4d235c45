/**
 * The access audit of a case (issue 10, item 5): who saw its personal fields, and who changed it.
 * Views are recorded as they happen; changes are the case's own append-only event log. Both hold ids
 * and codes only, so the audit itself never holds a personal value.
 */
import type { Actor } from './permissions';

/** Every way someone can see a case's personal fields, as recorded in `case_access`. */
export const ACCESS_VIEWS = {
  case_card: 'Saw the case card with details',
  contact_form: 'Opened the contact form',
  consent_form: 'Opened the consent form',
  risk_form: 'Opened the risk assessment form',
  conference_form: 'Opened the conference form',
  indirect_form: 'Opened the indirect communication form',
  outcome_form: 'Opened the conference outcome form',
  close_form: 'Opened the closing form',
  reopen_form: 'Opened the reopening form',
  details_refresh: 'Saw a details card (refreshed in Teams)',
  tab_case: 'Opened the case in the dashboard',
  export: 'Exported a participant’s data',
} as const;
export type AccessView = keyof typeof ACCESS_VIEWS;
export const ACCESS_VIEW_CODES = Object.keys(ACCESS_VIEWS) as [AccessView, ...AccessView[]];

/** The form a view opens, by the case card's form kinds. */
export const FORM_VIEWS = {
  contact: 'contact_form',
  consent: 'consent_form',
  risk: 'risk_form',
  conference: 'conference_form',
  indirect: 'indirect_form',
  outcome: 'outcome_form',
  close: 'close_form',
  reopen: 'reopen_form',
} as const satisfies Record<string, AccessView>;

export type ViewerRole = 'coordinator' | 'facilitator' | 'referrer';

/** The role someone saw the case in: the strongest they hold (a coordinator may also facilitate). */
export function viewerRole(a: Actor): ViewerRole {
  if (a.staffTenant && a.coordinator) return 'coordinator';
  if (a.staffTenant && a.facilitator) return 'facilitator';
  return 'referrer';
}

/** What each recorded change of a case was, in the words of the audit (not the timeline's). */
const CHANGE_LABELS: Readonly<Record<string, string>> = {
  referred: 'Made the referral',
  referral_accepted: 'Accepted the referral',
  referral_declined: 'Declined the referral',
  facilitator_offered: 'Offered the case to a facilitator',
  offer_accepted: 'Accepted the offer',
  offer_declined: 'Declined the offer',
  facilitator_removed: 'Replaced a facilitator',
  pair_confirmed: 'Confirmed the pair',
  contact_logged: 'Recorded a contact',
  consent_recorded: 'Recorded consent',
  consent_withdrawn: 'Recorded a withdrawal of consent',
  risk_assessed: 'Recorded a risk assessment',
  risk_signed_off: 'Signed off the risk assessment',
  conference_scheduled: 'Scheduled a conference',
  conference_cancelled: 'Cancelled a conference',
  indirect_chosen: 'Chose indirect communication',
  conference_held: 'Recorded the conference outcome',
  indirect_completed: 'Recorded the indirect communication outcome',
  agreement_reviewed: 'Reviewed the outcome agreement',
  case_closed: 'Closed the case',
  case_reopened: 'Reopened the case',
  stage_changed: 'Moved the case to another stage',
  legal_hold_placed: 'Put the case on legal hold',
  legal_hold_lifted: 'Lifted the legal hold',
  case_anonymised: 'Anonymised the case (retention period ended)',
  erasure_requested: 'Recorded an erasure request',
  erasure_decided: 'Decided an erasure request',
};

export interface AuditEntry {
  readonly at: Date;
  /** Null for the service itself (a system event). */
  readonly actorAadId: string | null;
  readonly role: string;
  readonly kind: 'view' | 'change';
  /** An AccessView for a view, the event type for a change. */
  readonly code: string;
}

/** One line of the audit for a coordinator: what happened, never anything about the participants. */
export function auditText(e: Pick<AuditEntry, 'kind' | 'code'>): string {
  if (e.kind === 'view') return (ACCESS_VIEWS as Readonly<Record<string, string>>)[e.code] ?? `Viewed the case (${e.code})`;
  return CHANGE_LABELS[e.code] ?? `Changed the case (${e.code})`;
}

export const AUDIT_PAGE_SIZE = 50;

/** Pages of the audit, latest first: the page asked for, clamped to those that exist. */
export function auditPage(total: number, wanted: number, size = AUDIT_PAGE_SIZE): { page: number; pageCount: number; offset: number } {
  const pageCount = Math.max(1, Math.ceil(total / size));
  const page = Math.min(Math.max(1, Math.trunc(wanted) || 1), pageCount);
  return { page, pageCount, offset: (page - 1) * size };
}
