import { acceptedFacilitators, PARTIES, PARTY_LABELS, type Party } from './caseState';
import { currentConference, type CaseProgress } from './caseProgress';
import {
  remindersFor,
  type CaseReminderRule,
  type ConferenceView,
  type Delivery,
  type OfferView,
  type ParticipantView,
  type ReminderCaseView,
  type ReminderPolicy,
  type Snooze,
} from './reminderPolicy';
import type { CaseStage } from './vocabulary';
import type { WorkingCalendar } from './workingTime';

/*
 * What is due on a case, for people (the case card, the lists) and for the reminder worker, from one
 * source: the folded log (caseProgress.ts) turned into the policy's view, and `remindersFor` over it.
 * The card's due dates are therefore the reminders' due instants, under whatever policy is loaded.
 */

/**
 * The columns of the case row the reminder view reads. The stage and the pair's confirmation are the
 * row's, not the log's: the worker has always read them there, and the card must agree with it.
 */
export interface ReminderCaseRow {
  readonly caseId: string;
  readonly caseReference: string;
  readonly stage: CaseStage;
  readonly submittedAt: Date;
  readonly lastActivityAt: Date;
  readonly pairConfirmedAt: Date | null;
  /** Facilitators whose offer is accepted (the pair the reminders go to). */
  readonly acceptedFacilitators: readonly string[];
  readonly participants: readonly { readonly participantId: string; readonly role: string }[];
  readonly offers: readonly OfferView[];
  readonly snoozes?: readonly Snooze[];
  readonly deliveries?: readonly Delivery[];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function partyOf(role: string): Party | undefined {
  return PARTIES.find((p) => p === role);
}

function validInstant(iso: string): Date | undefined {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The snapshot the reminder policy reads: the case row's columns plus the folded log. */
export function reminderCaseView(row: ReminderCaseRow, p: CaseProgress): ReminderCaseView {
  const conferences = p.conferences.flatMap((c): ConferenceView[] => {
    const startsAt = validInstant(c.startsAt);
    if (!startsAt) return [];
    return [{
      conferenceId: c.conferenceId,
      startsAt,
      scheduledAt: c.scheduledAt,
      ...(c.cancelled ? { cancelledAt: c.cancelled.at } : {}),
      ...(c.held ? { outcomeRecordedAt: c.held.at } : {}),
    }];
  });
  const agreement = p.agreement;
  return {
    caseId: row.caseId,
    caseReference: row.caseReference,
    stage: row.stage,
    submittedAt: row.submittedAt,
    lastActivityAt: row.lastActivityAt,
    offers: row.offers,
    ...(row.pairConfirmedAt ? { pair: { confirmedAt: row.pairConfirmedAt, facilitatorAadObjectIds: row.acceptedFacilitators } } : {}),
    participants: row.participants.map((x): ParticipantView => {
      const party = partyOf(x.role);
      const last = party ? p.contacts[party][0] : undefined;
      return {
        participantId: x.participantId,
        role: x.role,
        ...(last ? { lastContact: { at: new Date(last.at), ...(last.nextFollowUpOn ? { nextFollowUpOn: last.nextFollowUpOn } : {}) } } : {}),
      };
    }),
    conferences,
    ...(agreement
      ? {
          agreement: {
            agreedAt: agreement.agreedAt,
            ...(agreement.reviewOn && ISO_DATE.test(agreement.reviewOn) ? { reviewOn: agreement.reviewOn } : {}),
            ...(agreement.reviewedAt ? { reviewedAt: agreement.reviewedAt } : {}),
          },
        }
      : {}),
    snoozes: row.snoozes ?? [],
    deliveries: row.deliveries ?? [],
  };
}

/**
 * The event types whose data `reminderCaseView` reads from the log (everything else comes from the
 * case row): the store may read just these for a batch of views. test/domain/dueDates.test.ts checks
 * that folding only these gives the same view as folding the whole log.
 */
export const REMINDER_VIEW_EVENT_TYPES = [
  'contact_logged',
  'conference_scheduled',
  'conference_cancelled',
  'conference_held',
  'indirect_completed',
  'agreement_reviewed',
] as const;

// ---------------------------------------------------------------------------------------------
// What is due next
// ---------------------------------------------------------------------------------------------

export type DueKind = 'first_contact' | 'follow_up' | 'conference' | 'conference_outcome' | 'agreement_review';

export interface DueItem {
  readonly kind: DueKind;
  readonly party?: Party;
  readonly due: Date;
  readonly overdue: boolean;
  readonly label: string;
}

/** The policy and calendar the reminder worker runs with, and the time now. */
export interface DueRules {
  readonly policy: ReminderPolicy;
  readonly calendar: WorkingCalendar;
  readonly now: Date;
}

/** What the due items need of the case row (CaseRecord and the list rows have these fields). */
export interface DueCase {
  readonly id: string;
  readonly reference: string;
  readonly stage: CaseStage;
  readonly createdAt: Date;
  readonly pairConfirmedAt: Date | null;
}

/** The reminders that are work someone owes on the case, as the card names them. */
const DUE_RULES: Readonly<Partial<Record<CaseReminderRule, Exclude<DueKind, 'conference'>>>> = {
  first_contact_due: 'first_contact',
  follow_up_due: 'follow_up',
  conference_outcome_due: 'conference_outcome',
  agreement_review: 'agreement_review',
};

function dueLabel(kind: Exclude<DueKind, 'conference'>, party: Party | undefined): string {
  switch (kind) {
    case 'first_contact':
      return `First contact with ${party ? PARTY_LABELS[party] : 'a participant'}`;
    case 'follow_up':
      return `Follow up with ${party ? PARTY_LABELS[party] : 'a participant'}`;
    case 'conference_outcome':
      return 'Record whether the conference was held';
    case 'agreement_review':
      return 'Review the outcome agreement';
  }
}

/**
 * A due item with the span of time in which `dueItems` shows it: the conference only until it starts,
 * its outcome only from then on; every other item always. Which items a case has, and their due
 * instants, do not depend on the time (remindersFor reads `now` only for notices before a
 * conference, which are not due items), so one list serves any later instant until the case changes.
 */
export interface ScheduledDueItem {
  readonly kind: DueKind;
  readonly party?: Party;
  readonly due: Date;
  readonly label: string;
  readonly shownFrom?: Date;
  readonly shownUntil?: Date;
}

export function dueSchedule(c: DueCase, p: CaseProgress, rules: DueRules): ScheduledDueItem[] {
  const view = reminderCaseView(
    {
      caseId: c.id,
      caseReference: c.reference,
      stage: c.stage,
      submittedAt: c.createdAt,
      // Only the stale-case rule reads it, and that rule is not a due item.
      lastActivityAt: p.lastActivityAt ?? c.createdAt,
      pairConfirmedAt: c.pairConfirmedAt,
      acceptedFacilitators: acceptedFacilitators(p.facts),
      // Participant ids only name reminders; the due instants do not depend on them.
      participants: PARTIES.map((party) => ({ participantId: party, role: party })),
      offers: [],
    },
    p,
  );
  const items: ScheduledDueItem[] = [];
  const seen = new Set<string>();
  for (const r of remindersFor(view, rules.policy, rules.calendar, rules.now)) {
    const kind = DUE_RULES[r.rule];
    if (!kind) continue;
    const party = r.about.kind === 'participant' ? partyOf(r.about.role) : undefined;
    // One item per piece of work, however many people its reminder goes to.
    const key = `${kind}|${party ?? ''}|${r.about.kind === 'conference' ? r.about.conferenceId : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push({
      kind,
      due: r.dueAt,
      label: dueLabel(kind, party),
      ...(party ? { party } : {}),
      // Before a conference starts its outcome is not yet work: the conference itself is shown instead.
      ...(r.about.kind === 'conference' ? { shownFrom: new Date(r.about.startsAt) } : {}),
    });
  }
  const conference = currentConference(p);
  const startsAt = conference && !conference.held ? validInstant(conference.startsAt) : undefined;
  if (c.stage === 'conference_scheduled' && startsAt) {
    items.push({ kind: 'conference', due: startsAt, label: 'Conference', shownUntil: startsAt });
  }
  return items;
}

function shownAt(item: ScheduledDueItem, now: number): boolean {
  return (!item.shownFrom || item.shownFrom.getTime() <= now) && (!item.shownUntil || now < item.shownUntil.getTime());
}

/**
 * Everything due on a case, soonest first: the reminders `remindersFor` gives the case that are work
 * (first contact, follow-up, the conference's outcome once it has started, the agreement review), at
 * their due instants, plus the upcoming conference itself, which is not a reminder. Snoozes and
 * deliveries are left out on purpose: they move or spend a ping, not the work, so an item stays
 * overdue after its reminder went out. Overdue means the due instant has come.
 */
export function dueItems(c: DueCase, p: CaseProgress, rules: DueRules): DueItem[] {
  return dueItemsAt(dueSchedule(c, p, rules), rules.now);
}

/** The due items of a schedule (dueSchedule's, or one stored from it) at an instant. */
export function dueItemsAt(schedule: readonly ScheduledDueItem[], at: Date): DueItem[] {
  const now = at.getTime();
  return schedule
    .filter((x) => shownAt(x, now))
    .map((x): DueItem => ({ kind: x.kind, due: x.due, overdue: x.kind !== 'conference' && x.due.getTime() <= now, label: x.label, ...(x.party ? { party: x.party } : {}) }))
    .sort((a, b) => a.due.getTime() - b.due.getTime());
}

/**
 * What the dashboard stores per open case (table case_due, kept by the reminder scheduler), so its
 * overdue filter is an index lookup instead of a fold of every open case. `overdueFrom` is the
 * instant from which `dueItems` calls the case overdue, for as long as the case does not change:
 * `dueItems(c, p, { ...rules, now: t }).some((x) => x.overdue)` exactly when `overdueFrom <= t`.
 * `next` is the first of `dueItems` at `rules.now`, the instant it was computed; `schedule` is
 * dueSchedule's list, from which `dueItemsAt` gives the case's due items at any later instant.
 */
export interface DueProjection {
  readonly overdueFrom: Date | null;
  readonly next: { readonly kind: DueKind; readonly due: Date } | null;
  readonly schedule: readonly ScheduledDueItem[];
}

export function dueProjection(c: DueCase, p: CaseProgress, rules: DueRules): DueProjection {
  const schedule = dueSchedule(c, p, rules);
  let overdueFrom: number | undefined;
  for (const x of schedule) {
    if (x.kind === 'conference') continue;
    // Overdue once both due and shown: an outcome due before its conference started would wait for the start.
    const from = Math.max(x.due.getTime(), x.shownFrom?.getTime() ?? -Infinity);
    overdueFrom = overdueFrom === undefined ? from : Math.min(overdueFrom, from);
  }
  const first = dueItemsAt(schedule, rules.now)[0];
  return { overdueFrom: overdueFrom === undefined ? null : new Date(overdueFrom), next: first ? { kind: first.kind, due: first.due } : null, schedule };
}

/** A short line for lists: the soonest due item, or what the case is waiting for. */
export function nextDueLabel(items: readonly DueItem[], formatDate: (d: Date) => string): string {
  const first = items[0];
  if (!first) return 'Nothing due';
  return `${first.label}: ${first.overdue ? 'overdue since' : 'due'} ${formatDate(first.due)}`;
}
