/**
 * dueProjection, the dashboard's stored form of dueItems: for as long as the case does not change,
 * the case is overdue by dueItems at an instant exactly when overdueFrom has come, and the stored
 * next item is dueItems' first at the instant it was computed. Checked over a sweep of instants
 * through a case's life: first contacts, a follow-up, a conference ahead and then its outcome, the
 * agreement review.
 */
import { caseProgress, type StoredEvent } from '../../src/domain/caseProgress';
import { DEFAULT_REMINDER_POLICY } from '../../src/domain/defaultReminderPolicy';
import { dueItems, dueProjection, type DueCase } from '../../src/domain/dueDates';
import { mergePolicy, type ReminderPolicy } from '../../src/domain/reminderPolicy';
import { createWorkingCalendar } from '../../src/domain/workingTime';

const calendar = createWorkingCalendar();
let n = 0;
const ev = (type: string, when: string, data: Record<string, unknown> = {}): StoredEvent => ({ id: String(++n), at: new Date(when), actorAadId: 'f1', type, data });

const confirmed: StoredEvent[] = [
  ev('referred', '2026-03-02T10:00:00Z'),
  ev('referral_accepted', '2026-03-02T11:00:00Z'),
  ev('stage_changed', '2026-03-02T11:00:00Z', { from: 'referred', to: 'accepted' }),
  ev('facilitator_offered', '2026-03-02T11:01:00Z', { facilitatorAadId: 'f1' }),
  ev('facilitator_offered', '2026-03-02T11:01:00Z', { facilitatorAadId: 'f2' }),
  ev('offer_accepted', '2026-03-02T12:00:00Z', { facilitatorAadId: 'f1' }),
  ev('offer_accepted', '2026-03-02T13:00:00Z', { facilitatorAadId: 'f2' }),
  ev('pair_confirmed', '2026-03-02T13:00:00Z', { facilitatorAadIds: ['f1', 'f2'] }),
  ev('stage_changed', '2026-03-02T13:00:00Z', { from: 'assigning', to: 'preparation' }),
];
const row: DueCase = { id: 'case-1', reference: 'RJ-2026-0001', stage: 'preparation', createdAt: new Date('2026-03-02T10:00:00Z'), pairConfirmedAt: new Date('2026-03-02T13:00:00Z') };
const contacted = [
  ...confirmed,
  ev('contact_logged', '2026-03-04T10:00:00Z', { contactId: 'c1', party: 'harmed_person', at: '2026-03-04T10:00:00Z', method: 'phone', outcome: 'reached', nextFollowUpOn: '2026-03-20' }),
  ev('contact_logged', '2026-03-05T10:00:00Z', { contactId: 'c2', party: 'offender', at: '2026-03-05T10:00:00Z', method: 'phone', outcome: 'reached' }),
];
const scheduled = [...contacted, ev('conference_scheduled', '2026-03-10T10:00:00Z', { conferenceId: 'k1', startsAt: '2026-04-28T13:00:00Z', venue: 'Hall' }), ev('stage_changed', '2026-03-10T10:00:00Z', { from: 'preparation', to: 'conference_scheduled' })];
const held = [...scheduled, ev('conference_held', '2026-04-28T15:00:00Z', { conferenceId: 'k1', agreement: true }), ev('stage_changed', '2026-04-28T15:00:00Z', { from: 'conference_scheduled', to: 'follow_up' })];
const FIVE_DAYS = mergePolicy({ firstContact: { remindAfterWorkingDays: 5, escalateAfterWorkingDays: 7 } });

const HOUR = 3_600_000;
/** Every 12 hours for `days`, and a minute either side of each instant given (where the answer turns). */
function sweep(fromIso: string, days: number, edges: readonly Date[]): Date[] {
  const from = Date.parse(fromIso);
  const regular = Array.from({ length: days * 2 }, (_, i) => from + i * 12 * HOUR);
  const around = edges.flatMap((d) => [d.getTime() - 60_000, d.getTime(), d.getTime() + 60_000]);
  return [...regular, ...around].filter((t) => t >= from).map((t) => new Date(t));
}

describe('dueProjection', () => {
  test.each<[string, StoredEvent[], DueCase, ReminderPolicy, string]>([
    ['pair confirmed, first contacts due', confirmed, row, DEFAULT_REMINDER_POLICY, '2026-03-02T13:00:00Z'],
    ['both contacted, a follow-up set', contacted, row, DEFAULT_REMINDER_POLICY, '2026-03-05T11:00:00Z'],
    ['a conference ahead, its outcome after it', scheduled, { ...row, stage: 'conference_scheduled' }, DEFAULT_REMINDER_POLICY, '2026-03-10T11:00:00Z'],
    ['a conference ahead, computed the day before it', scheduled, { ...row, stage: 'conference_scheduled' }, DEFAULT_REMINDER_POLICY, '2026-04-27T11:00:00Z'],
    ['another policy: 5 working days to first contact', confirmed, row, FIVE_DAYS, '2026-03-02T13:00:00Z'],
    ['held with an agreement: the review', held, { ...row, stage: 'follow_up' }, DEFAULT_REMINDER_POLICY, '2026-04-28T16:00:00Z'],
    ['no pair on the row: nothing due', confirmed, { ...row, pairConfirmedAt: null }, DEFAULT_REMINDER_POLICY, '2026-03-02T13:00:00Z'],
  ])('%s: overdue by dueItems at t exactly when overdueFrom <= t', (_label, log, c, policy, computedAt) => {
    const p = caseProgress(log);
    const projection = dueProjection(c, p, { policy, calendar, now: new Date(computedAt) });
    const first = dueItems(c, p, { policy, calendar, now: new Date(computedAt) })[0];
    expect(projection.next).toEqual(first ? { kind: first.kind, due: first.due } : null);
    const far = dueItems(c, p, { policy, calendar, now: new Date('2027-12-31T00:00:00Z') });
    const edges = [...far.map((x) => x.due), ...(projection.overdueFrom ? [projection.overdueFrom] : [])];
    let seenOverdue = false;
    const wrong: string[] = [];
    for (const t of sweep(computedAt, 150, edges)) {
      const overdue = dueItems(c, p, { policy, calendar, now: t }).some((x) => x.overdue);
      seenOverdue ||= overdue;
      if (overdue !== (projection.overdueFrom !== null && projection.overdueFrom.getTime() <= t.getTime())) wrong.push(t.toISOString());
    }
    expect(wrong).toEqual([]);
    // The sweep must reach the overdue side wherever there is one, or it proves nothing.
    expect(seenOverdue).toBe(projection.overdueFrom !== null);
  });
});
