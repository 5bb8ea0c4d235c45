import { DateTime } from 'luxon';
import { z } from 'zod';
import { DEFAULT_REMINDER_POLICY } from './defaultReminderPolicy';
import { isClosedStage, type CaseStage } from './vocabulary';
import type { WorkingCalendar } from './workingTime';

/*
 * Reminders as a pure function of case state (DESIGN.md). The scheduler calls `remindersFor` after
 * every change to a case and after every delivery, and diffs the result against the queued jobs.
 *
 * Contract:
 * - Every due instant is inside working time (it goes through `calendar.nextWorkingStart`) and is
 *   truncated to the whole minute, so it round-trips through the id.
 * - A reminder that was never delivered is returned even when its due instant is in the past: the
 *   scheduler delivers it at once. A one-shot reminder whose id appears in `deliveries` is not
 *   returned again.
 * - Repeating rules (triage, stale case) return only their next occurrence: the first point of the
 *   rule's schedule strictly after the latest delivery of that reminder (its due instant or its
 *   delivery instant, whichever is later). So an outage produces one catch-up ping, not a burst, and
 *   the schedule returns to its grid afterwards. The scheduler must therefore ask again after each
 *   delivery.
 * - A snooze `{ reminderKey, until }` makes the reminder with that key due at `until` (moved into
 *   working time) when that is later than its own due instant; a snooze never brings a reminder
 *   forward. The 3-snooze limit is enforced where snoozes are recorded.
 * - Closed and declined cases have no reminders, not even the agreement review: closing is the
 *   coordinator's decision that follow-up is over, and start-up reconciliation covers open cases only,
 *   so a reminder on a closed case could not be rebuilt after a lost Redis anyway.
 * - "Facilitators" means each facilitator of the confirmed pair, one reminder each; a case with no
 *   confirmed pair sends those reminders to the coordinators instead, so none is lost.
 */

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
const timeOfDay = z.string().regex(TIME_OF_DAY, { message: 'expected HH:mm (24-hour)' });
const count = z.number().int().min(0);
const positive = z.number().int().min(1);

const policySections = {
  triage: z.strictObject({ firstAfterWorkingDays: count, repeatEveryWorkingDays: positive }),
  assignmentAnswer: z.strictObject({ remindAfterWorkingDays: count, escalateAfterFurtherWorkingDays: positive }),
  firstContact: z.strictObject({ remindAfterWorkingDays: count, escalateAfterWorkingDays: count }),
  followUp: z.strictObject({ at: timeOfDay }),
  staleCase: z.strictObject({ afterDays: positive, repeatEveryDays: positive }),
  conference: z.strictObject({
    firstNoticeDaysBefore: positive,
    lastNoticeWorkingDaysBefore: positive,
    outcomeDueDaysAfter: positive,
    outcomeDueAt: timeOfDay,
  }),
  agreementReview: z.strictObject({ afterMonths: positive, at: timeOfDay }),
  reRefer: z.strictObject({ at: timeOfDay }),
};

export const reminderPolicySchema = z.strictObject(policySections).superRefine((policy, ctx) => {
  if (policy.firstContact.escalateAfterWorkingDays <= policy.firstContact.remindAfterWorkingDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['firstContact', 'escalateAfterWorkingDays'],
      message: 'must be greater than firstContact.remindAfterWorkingDays',
    });
  }
});

export type ReminderPolicy = z.infer<typeof reminderPolicySchema>;

/** Every section optional, every field inside a section optional; unknown keys are errors. */
export const reminderPolicyOverrideSchema = z.strictObject({
  triage: policySections.triage.partial().optional(),
  assignmentAnswer: policySections.assignmentAnswer.partial().optional(),
  firstContact: policySections.firstContact.partial().optional(),
  followUp: policySections.followUp.partial().optional(),
  staleCase: policySections.staleCase.partial().optional(),
  conference: policySections.conference.partial().optional(),
  agreementReview: policySections.agreementReview.partial().optional(),
  reRefer: policySections.reRefer.partial().optional(),
});

export type ReminderPolicyOverride = z.infer<typeof reminderPolicyOverrideSchema>;

export class ReminderPolicyError extends Error {
  override readonly name = 'ReminderPolicyError';
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `${path ? `${path}.` : ''}${key}: unknown key`).join('; ');
      }
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * The base policy (default: DEFAULT_REMINDER_POLICY) with `overrides` applied key by key. Throws
 * ReminderPolicyError naming every wrong key, e.g. `triage.firstAfterWorkingDays: …`.
 */
export function mergePolicy(overrides: unknown, base: ReminderPolicy = DEFAULT_REMINDER_POLICY): ReminderPolicy {
  const parsed = reminderPolicyOverrideSchema.safeParse(overrides ?? {});
  if (!parsed.success) throw new ReminderPolicyError(`invalid reminder policy override: ${describeIssues(parsed.error.issues)}`);
  const o = parsed.data;
  const merged = {
    triage: { ...base.triage, ...o.triage },
    assignmentAnswer: { ...base.assignmentAnswer, ...o.assignmentAnswer },
    firstContact: { ...base.firstContact, ...o.firstContact },
    followUp: { ...base.followUp, ...o.followUp },
    staleCase: { ...base.staleCase, ...o.staleCase },
    conference: { ...base.conference, ...o.conference },
    agreementReview: { ...base.agreementReview, ...o.agreementReview },
    reRefer: { ...base.reRefer, ...o.reRefer },
  };
  const checked = reminderPolicySchema.safeParse(merged);
  if (!checked.success) throw new ReminderPolicyError(`invalid reminder policy: ${describeIssues(checked.error.issues)}`);
  return checked.data;
}

// ---------------------------------------------------------------------------------------------
// Reminders
// ---------------------------------------------------------------------------------------------

export const CASE_REMINDER_RULES = [
  'triage_due',
  'assignment_answer_due',
  'assignment_answer_escalation',
  'first_contact_due',
  'first_contact_escalation',
  'follow_up_due',
  'stale_case',
  'conference_first_notice',
  'conference_last_notice',
  'conference_outcome_due',
  'agreement_review',
] as const;
export type CaseReminderRule = (typeof CASE_REMINDER_RULES)[number];
export type ReminderRule = CaseReminderRule | 're_refer';

export type Recipient =
  | { readonly kind: 'person'; readonly aadObjectId: string }
  | { readonly kind: 'coordinators' };

/** What the reminder is about, for the card that renders it. JSON-safe (it travels in job data). */
export type ReminderAbout =
  | { readonly kind: 'case' }
  | { readonly kind: 'offer'; readonly offerId: string; readonly facilitatorAadObjectId: string }
  | { readonly kind: 'participant'; readonly participantId: string; readonly role: string }
  | { readonly kind: 'conference'; readonly conferenceId: string; readonly startsAt: string }
  | { readonly kind: 'agreement' }
  | { readonly kind: 'screening'; readonly sentencingDate: string };

interface ReminderCommon {
  /** `key|dueCompact`: see `reminderId`. Safe as a BullMQ job id. */
  readonly id: string;
  /** The reminder without its due instant; snoozes refer to it. */
  readonly key: string;
  readonly dueAt: Date;
  readonly recipient: Recipient;
  readonly about: ReminderAbout;
}

export interface CaseReminder extends ReminderCommon {
  readonly rule: CaseReminderRule;
  readonly caseId: string;
  readonly caseReference: string;
}

export interface ReReferReminder extends ReminderCommon {
  readonly rule: 're_refer';
  readonly screeningId: string;
}

export type Reminder = CaseReminder | ReReferReminder;

/** An offer of the case to one facilitator (assignment card). */
export interface OfferView {
  readonly offerId: string;
  readonly facilitatorAadObjectId: string;
  readonly offeredAt: Date;
  /** Accepted or declined. */
  readonly answeredAt?: Date;
  /** Taken back by a coordinator before an answer. */
  readonly withdrawnAt?: Date;
}

export interface ParticipantView {
  readonly participantId: string;
  /** E.g. `harmed_person`, `offender`; passed through to `about`. */
  readonly role: string;
  /** The most recent contact logged with this participant, if any. */
  readonly lastContact?: {
    readonly at: Date;
    /** The next follow-up date set on that contact (ISO date, London). */
    readonly nextFollowUpOn?: string;
  };
}

export interface ConferenceView {
  readonly conferenceId: string;
  readonly startsAt: Date;
  /** When the conference was (last) scheduled: notices due before that are moot and dropped. */
  readonly scheduledAt: Date;
  readonly cancelledAt?: Date;
  readonly outcomeRecordedAt?: Date;
}

export interface Snooze {
  readonly reminderKey: string;
  readonly until: Date;
}

export interface Delivery {
  readonly reminderId: string;
  readonly deliveredAt: Date;
}

/** The snapshot of one case that the store builds for the policy. */
export interface ReminderCaseView {
  readonly caseId: string;
  readonly caseReference: string;
  readonly stage: CaseStage;
  readonly submittedAt: Date;
  /** The latest activity by a person on the case (events, contacts, updates), not reminder pings. */
  readonly lastActivityAt: Date;
  readonly offers: readonly OfferView[];
  /** Present once both facilitators have accepted. */
  readonly pair?: { readonly confirmedAt: Date; readonly facilitatorAadObjectIds: readonly string[] };
  readonly participants: readonly ParticipantView[];
  readonly conferences: readonly ConferenceView[];
  /** `reviewOn` (yyyy-mm-dd) is the review date agreed at the conference; without one, the policy's months apply. */
  readonly agreement?: { readonly agreedAt: Date; readonly reviewOn?: string; readonly reviewedAt?: Date };
  readonly snoozes?: readonly Snooze[];
  /** Deliveries of this case's reminders from the ledger (any age; only matching ids matter). */
  readonly deliveries?: readonly Delivery[];
}

// Ids ------------------------------------------------------------------------------------------

const COORDINATORS_CODE = 'coordinators';

/** Keeps components free of the separators '|' and '.', and of ':' which BullMQ job ids forbid. */
function encodeComponent(value: string): string {
  return encodeURIComponent(value).replace(/[.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function recipientCode(recipient: Recipient): string {
  return recipient.kind === 'coordinators' ? COORDINATORS_CODE : `person-${encodeComponent(recipient.aadObjectId)}`;
}

/**
 * `rule|owner|subject.recipient` — owner is the case id (the screening id for re-refer), subject
 * is what the reminder is about within the owner (offer, participant, conference id, or `case`),
 * recipient is `coordinators` or `person-<aadObjectId>`. Components are percent-encoded, so the
 * key contains no ':' and splits unambiguously.
 */
export function reminderKey(rule: ReminderRule, ownerId: string, subject: string, recipient: Recipient): string {
  return `${rule}|${encodeComponent(ownerId)}|${encodeComponent(subject)}.${recipientCode(recipient)}`;
}

const COMPACT_FORMAT = "yyyyMMdd'T'HHmm'Z'";

/**
 * `key|yyyyMMddTHHmmZ` (UTC, to the minute), e.g.
 * `follow_up_due|c-1|p-2.person-aad-3|20261125T0900Z`. Same inputs, same id; no ':' anywhere, so it
 * is usable as a BullMQ job id.
 */
export function reminderId(key: string, dueAt: Date): string {
  return `${key}|${DateTime.fromJSDate(dueAt, { zone: 'utc' }).toFormat(COMPACT_FORMAT)}`;
}

/** The inverse of `reminderId`; undefined for anything that is not one. */
export function parseReminderId(id: string): { key: string; rule: string; dueAt: Date } | undefined {
  const cut = id.lastIndexOf('|');
  if (cut < 0) return undefined;
  const key = id.slice(0, cut);
  const parts = key.split('|');
  if (parts.length !== 3 || !parts[0]) return undefined;
  const due = DateTime.fromFormat(id.slice(cut + 1), COMPACT_FORMAT, { zone: 'utc' });
  if (!due.isValid) return undefined;
  return { key, rule: parts[0], dueAt: due.toJSDate() };
}

// Computation -------------------------------------------------------------------------------------

/** A repeating rule whose schedule cannot reach the last delivery within this many steps is a data error. */
const MAX_OCCURRENCES_SCANNED = 10_000;

const COORDINATORS: Recipient = { kind: 'coordinators' };

function person(aadObjectId: string): Recipient {
  return { kind: 'person', aadObjectId };
}

function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

function truncateToMinute(instant: Date): Date {
  return new Date(instant.getTime() - (((instant.getTime() % 60_000) + 60_000) % 60_000));
}

function requireInstant(instant: Date, label: string): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) throw new RangeError(`${label} must be a valid Date`);
}

interface Draft {
  readonly rule: CaseReminderRule;
  readonly subject: string;
  readonly recipient: Recipient;
  readonly about: ReminderAbout;
}

/**
 * Every reminder this case should have now, sorted by due instant then id. `now` only decides
 * whether a conference is still ahead (notices before a conference that has started are dropped);
 * everything else follows from the case view, so the same view gives the same reminders.
 */
export function remindersFor(
  view: ReminderCaseView,
  policy: ReminderPolicy,
  calendar: WorkingCalendar,
  now: Date,
): CaseReminder[] {
  requireInstant(now, 'now');
  if (isClosedStage(view.stage)) return [];

  const settle = (instant: Date): Date => truncateToMinute(calendar.nextWorkingStart(instant));
  const keyOf = (draft: Draft): string => reminderKey(draft.rule, view.caseId, draft.subject, draft.recipient);

  const snoozeUntil = new Map<string, Date>();
  for (const snooze of view.snoozes ?? []) {
    const current = snoozeUntil.get(snooze.reminderKey);
    snoozeUntil.set(snooze.reminderKey, current ? laterOf(current, snooze.until) : snooze.until);
  }
  const deliveredIds = new Set<string>();
  const deliveriesByKey = new Map<string, { dueAt: Date; deliveredAt: Date }[]>();
  for (const delivery of view.deliveries ?? []) {
    deliveredIds.add(delivery.reminderId);
    const parsed = parseReminderId(delivery.reminderId);
    if (!parsed) continue;
    const list = deliveriesByKey.get(parsed.key) ?? [];
    list.push({ dueAt: parsed.dueAt, deliveredAt: delivery.deliveredAt });
    deliveriesByKey.set(parsed.key, list);
  }

  const withSnooze = (key: string, due: Date): Date => {
    const until = snoozeUntil.get(key);
    return until && until.getTime() > due.getTime() ? settle(until) : due;
  };

  const build = (draft: Draft, key: string, dueAt: Date): CaseReminder => ({
    id: reminderId(key, dueAt),
    key,
    rule: draft.rule,
    caseId: view.caseId,
    caseReference: view.caseReference,
    dueAt,
    recipient: draft.recipient,
    about: draft.about,
  });

  const out: CaseReminder[] = [];

  /** A reminder that fires once at `rawDue`; `keep` vetoes it after snoozing (e.g. past the event). */
  const once = (draft: Draft, rawDue: Date, keep: (due: Date) => boolean = () => true): void => {
    const key = keyOf(draft);
    const due = withSnooze(key, settle(rawDue));
    const reminder = build(draft, key, due);
    if (!deliveredIds.has(reminder.id) && keep(due)) out.push(reminder);
  };

  /** A reminder on a schedule of settled instants (non-decreasing); only the next occurrence is kept. */
  const repeating = (draft: Draft, schedule: Iterable<Date>): void => {
    const key = keyOf(draft);
    let first: Date | undefined;
    let threshold: number | undefined;
    let scanned = 0;
    for (const occurrence of schedule) {
      if (first === undefined) {
        first = occurrence;
        // Deliveries due before this schedule began belong to an earlier period (e.g. before new activity).
        for (const d of deliveriesByKey.get(key) ?? []) {
          if (d.dueAt.getTime() < first.getTime()) continue;
          const t = Math.max(d.dueAt.getTime(), d.deliveredAt.getTime());
          threshold = threshold === undefined ? t : Math.max(threshold, t);
        }
      }
      if (threshold === undefined || occurrence.getTime() > threshold) {
        out.push(build(draft, key, withSnooze(key, occurrence)));
        return;
      }
      scanned += 1;
      if (scanned > MAX_OCCURRENCES_SCANNED) {
        throw new RangeError(`${key}: no occurrence after the last delivery within ${MAX_OCCURRENCES_SCANNED} steps`);
      }
    }
  };

  const facilitatorRecipients: readonly Recipient[] =
    view.pair && view.pair.facilitatorAadObjectIds.length > 0
      ? view.pair.facilitatorAadObjectIds.map(person)
      : [COORDINATORS];

  // Triage due: from N working days after submission, then every M working days until triaged.
  if (view.stage === 'referred') {
    const { firstAfterWorkingDays, repeatEveryWorkingDays } = policy.triage;
    repeating(
      { rule: 'triage_due', subject: 'case', recipient: COORDINATORS, about: { kind: 'case' } },
      (function* triageSchedule() {
        let due = settle(calendar.addWorkingDays(view.submittedAt, firstAfterWorkingDays));
        for (;;) {
          yield due;
          due = settle(calendar.addWorkingDays(due, repeatEveryWorkingDays));
        }
      })(),
    );
  }

  // Assignment answer due, then its escalation: two reminders per unanswered offer.
  for (const offer of view.offers) {
    if (offer.answeredAt || offer.withdrawnAt) continue;
    const about: ReminderAbout = { kind: 'offer', offerId: offer.offerId, facilitatorAadObjectId: offer.facilitatorAadObjectId };
    const { remindAfterWorkingDays, escalateAfterFurtherWorkingDays } = policy.assignmentAnswer;
    once(
      { rule: 'assignment_answer_due', subject: offer.offerId, recipient: person(offer.facilitatorAadObjectId), about },
      calendar.addWorkingDays(offer.offeredAt, remindAfterWorkingDays),
    );
    once(
      { rule: 'assignment_answer_escalation', subject: offer.offerId, recipient: COORDINATORS, about },
      calendar.addWorkingDays(offer.offeredAt, remindAfterWorkingDays + escalateAfterFurtherWorkingDays),
    );
  }

  for (const participant of view.participants) {
    const about: ReminderAbout = { kind: 'participant', participantId: participant.participantId, role: participant.role };

    // First contact due: once a pair is confirmed, until any contact with this party is logged.
    if (view.pair && !participant.lastContact) {
      const { remindAfterWorkingDays, escalateAfterWorkingDays } = policy.firstContact;
      for (const recipient of facilitatorRecipients) {
        once(
          { rule: 'first_contact_due', subject: participant.participantId, recipient, about },
          calendar.addWorkingDays(view.pair.confirmedAt, remindAfterWorkingDays),
        );
      }
      once(
        { rule: 'first_contact_escalation', subject: participant.participantId, recipient: COORDINATORS, about },
        calendar.addWorkingDays(view.pair.confirmedAt, escalateAfterWorkingDays),
      );
    }

    // Follow-up due: the date set on the latest contact; a newer contact replaces it.
    const followUpOn = participant.lastContact?.nextFollowUpOn;
    if (followUpOn) {
      for (const recipient of facilitatorRecipients) {
        once(
          { rule: 'follow_up_due', subject: participant.participantId, recipient, about },
          calendar.atOrNextWorkingStart(followUpOn, policy.followUp.at),
        );
      }
    }
  }

  // Stale case: N days without activity, then every M days; new activity restarts the schedule.
  {
    const { afterDays, repeatEveryDays } = policy.staleCase;
    repeating(
      { rule: 'stale_case', subject: 'case', recipient: COORDINATORS, about: { kind: 'case' } },
      (function* staleSchedule() {
        // Each occurrence from the anchor, so moving one off a weekend does not shift the next.
        for (let k = 0; ; k += 1) yield settle(calendar.addCalendarDays(view.lastActivityAt, afterDays + k * repeatEveryDays));
      })(),
    );
  }

  // Conference: notices before it while it is still ahead; an outcome reminder after it.
  for (const conference of view.conferences) {
    if (conference.cancelledAt || conference.outcomeRecordedAt) continue;
    const about: ReminderAbout = {
      kind: 'conference',
      conferenceId: conference.conferenceId,
      startsAt: conference.startsAt.toISOString(),
    };
    const { firstNoticeDaysBefore, lastNoticeWorkingDaysBefore, outcomeDueDaysAfter, outcomeDueAt } = policy.conference;
    const ahead = now.getTime() < conference.startsAt.getTime();
    const notice = (due: Date): boolean =>
      ahead && due.getTime() >= truncateToMinute(conference.scheduledAt).getTime() && due.getTime() < conference.startsAt.getTime();
    const outcomeDay = calendar.localDate(calendar.addCalendarDays(conference.startsAt, outcomeDueDaysAfter));
    for (const recipient of facilitatorRecipients) {
      once(
        { rule: 'conference_first_notice', subject: conference.conferenceId, recipient, about },
        calendar.addCalendarDays(conference.startsAt, -firstNoticeDaysBefore),
        notice,
      );
      once(
        { rule: 'conference_last_notice', subject: conference.conferenceId, recipient, about },
        calendar.workingDaysBefore(conference.startsAt, lastNoticeWorkingDaysBefore),
        notice,
      );
      once(
        { rule: 'conference_outcome_due', subject: conference.conferenceId, recipient, about },
        calendar.atOrNextWorkingStart(outcomeDay, outcomeDueAt),
      );
    }
  }

  // Agreement review: some months after the outcome agreement, until the review is recorded.
  if (view.agreement && !view.agreement.reviewedAt) {
    const reviewDay = view.agreement.reviewOn ?? calendar.localDate(calendar.addCalendarMonths(view.agreement.agreedAt, policy.agreementReview.afterMonths));
    const due = calendar.atOrNextWorkingStart(reviewDay, policy.agreementReview.at);
    const recipients = facilitatorRecipients.some((r) => r.kind === 'coordinators')
      ? facilitatorRecipients
      : [...facilitatorRecipients, COORDINATORS];
    for (const recipient of recipients) {
      once({ rule: 'agreement_review', subject: 'case', recipient, about: { kind: 'agreement' } }, due);
    }
  }

  return out.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface ScreenedOutReferral {
  readonly id: string;
  readonly referrerAadObjectId: string;
  /** ISO date (London) the offender is due to be sentenced. */
  readonly sentencingDate: string;
}

/**
 * The re-refer reminder of a referral screened out only as NOT_SENTENCED: to the referrer, at the
 * policy's time on the sentencing date (or the next working start). Owned by the screening, not a
 * case; its id is `re_refer|<screeningId>|screening.person-<aad>|<due>`.
 */
export function reReferReminder(
  screening: ScreenedOutReferral,
  calendar: WorkingCalendar,
  policy: ReminderPolicy = DEFAULT_REMINDER_POLICY,
): ReReferReminder {
  const recipient = person(screening.referrerAadObjectId);
  const key = reminderKey('re_refer', screening.id, 'screening', recipient);
  const dueAt = truncateToMinute(calendar.nextWorkingStart(calendar.atOrNextWorkingStart(screening.sentencingDate, policy.reRefer.at)));
  return {
    id: reminderId(key, dueAt),
    key,
    rule: 're_refer',
    screeningId: screening.id,
    dueAt,
    recipient,
    about: { kind: 'screening', sentencingDate: screening.sentencingDate },
  };
}
