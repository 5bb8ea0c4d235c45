import { caseProgress, foldCaseLog, type StoredEvent } from '../../src/domain/caseProgress';
import { CaseEventError } from '../../src/domain/caseState';
import { DEFAULT_REMINDER_POLICY } from '../../src/domain/defaultReminderPolicy';
import { dueItems, nextDueLabel, reminderCaseView, REMINDER_VIEW_EVENT_TYPES, type DueCase, type DueItem, type ReminderCaseRow } from '../../src/domain/dueDates';
import { mergePolicy, remindersFor, type ReminderPolicy } from '../../src/domain/reminderPolicy';
import { ACTIVE_STAGES, CLOSED_STAGES, compareStages, isClosedStage, OPEN_STAGES, STAGE_ORDER, stagesBetween } from '../../src/domain/vocabulary';
import { createWorkingCalendar } from '../../src/domain/workingTime';

const calendar = createWorkingCalendar();
const at = (iso: string) => new Date(iso);

let n = 0;
const ev = (type: string, when: string, data: Record<string, unknown> = {}, actor: string | null = 'f1'): StoredEvent => ({ id: String(++n), at: at(when), actorAadId: actor, type, data });

// Monday 2 March 2026: referred, accepted, offered; the pair is confirmed at 13:00.
const confirmed: StoredEvent[] = [
  ev('referred', '2026-03-02T10:00:00Z', {}, 'ref'),
  ev('referral_accepted', '2026-03-02T11:00:00Z', {}, 'c'),
  ev('stage_changed', '2026-03-02T11:00:00Z', { from: 'referred', to: 'accepted' }, 'c'),
  ev('stage_changed', '2026-03-02T11:01:00Z', { from: 'accepted', to: 'assigning' }, 'c'),
  ev('facilitator_offered', '2026-03-02T11:01:00Z', { facilitatorAadId: 'f1' }, 'c'),
  ev('facilitator_offered', '2026-03-02T11:01:00Z', { facilitatorAadId: 'f2' }, 'c'),
  ev('offer_accepted', '2026-03-02T12:00:00Z', { facilitatorAadId: 'f1' }),
  ev('offer_accepted', '2026-03-02T13:00:00Z', { facilitatorAadId: 'f2' }, 'f2'),
  ev('pair_confirmed', '2026-03-02T13:00:00Z', { facilitatorAadIds: ['f1', 'f2'] }, 'f2'),
  ev('stage_changed', '2026-03-02T13:00:00Z', { from: 'assigning', to: 'preparation' }, 'f2'),
];
const row: DueCase = { id: 'case-1', reference: 'RJ-2026-0001', stage: 'preparation', createdAt: at('2026-03-02T10:00:00Z'), pairConfirmedAt: at('2026-03-02T13:00:00Z') };
const contact = (id: string, party: string, when: string, extra: Record<string, unknown> = {}) =>
  ev('contact_logged', when, { contactId: id, party, at: when, method: 'phone', outcome: 'reached', ...extra });

const summary = (items: readonly DueItem[]) => items.map((i) => [i.kind, i.party ?? '-', i.due.toISOString(), i.overdue]);
const FIVE_DAYS = mergePolicy({ firstContact: { remindAfterWorkingDays: 5, escalateAfterWorkingDays: 7 } });

describe('dueItems: the reminders of the case, at their due instants', () => {
  test.each<[string, ReminderPolicy, string]>([
    // 8 working days from Monday 2 March 13:00: Thursday 12 March 13:00.
    ['the default policy: 8 working days', DEFAULT_REMINDER_POLICY, '2026-03-12T13:00:00.000Z'],
    // 5 working days: Monday 9 March 13:00.
    ['a policy of 5 working days', FIVE_DAYS, '2026-03-09T13:00:00.000Z'],
  ])('first contact under %s', (_label, policy, due) => {
    const p = caseProgress(confirmed);
    const now = at('2026-03-03T10:00:00Z');
    const items = dueItems(row, p, { policy, calendar, now });
    expect(summary(items)).toEqual([
      ['first_contact', 'harmed_person', due, false],
      ['first_contact', 'offender', due, false],
    ]);
    // The very instant the worker's reminder is scheduled for.
    const view = reminderCaseView({ ...rowOf(), participants: [{ participantId: 'p-h', role: 'harmed_person' }] }, p);
    const reminder = remindersFor(view, policy, calendar, now).find((r) => r.rule === 'first_contact_due');
    expect(reminder?.dueAt.toISOString()).toBe(due);
  });

  test.each<[string, StoredEvent[], DueCase, string, (string | boolean)[][]]>([
    ['overdue once the instant has come', confirmed, row, '2026-03-12T13:00:00Z', [
      ['first_contact', 'harmed_person', '2026-03-12T13:00:00.000Z', true],
      ['first_contact', 'offender', '2026-03-12T13:00:00.000Z', true],
    ]],
    ['no pair confirmed on the row: no first contact yet', confirmed, { ...row, pairConfirmedAt: null }, '2026-03-12T13:00:00Z', []],
    ['a contact with a follow-up date: at the policy time (09:00) that day', [...confirmed, contact('a', 'harmed_person', '2026-03-04T10:00:00Z', { nextFollowUpOn: '2026-03-09' })], row, '2026-03-05T10:00:00Z', [
      ['follow_up', 'harmed_person', '2026-03-09T09:00:00.000Z', false],
      ['first_contact', 'offender', '2026-03-12T13:00:00.000Z', false],
    ]],
    ['a follow-up date on a Saturday moves to Monday', [...confirmed, contact('a', 'offender', '2026-03-04T10:00:00Z', { nextFollowUpOn: '2026-03-14' })], row, '2026-03-05T10:00:00Z', [
      ['first_contact', 'harmed_person', '2026-03-12T13:00:00.000Z', false],
      ['follow_up', 'offender', '2026-03-16T09:00:00.000Z', false],
    ]],
    ['a closed case has nothing due', confirmed, { ...row, stage: 'closed' }, '2026-04-20T10:00:00Z', []],
    ['a declined referral has nothing due', confirmed, { ...row, stage: 'declined' }, '2026-04-20T10:00:00Z', []],
  ])('%s', (_label, events, c, now, expected) => {
    expect(summary(dueItems(c, caseProgress(events), { policy: DEFAULT_REMINDER_POLICY, calendar, now: at(now) }))).toEqual(expected);
  });

  describe('a conference and its outcome', () => {
    const both = [contact('a', 'harmed_person', '2026-03-04T10:00:00Z'), contact('b', 'offender', '2026-03-04T10:00:00Z')];
    // Tuesday 21 April 2026, 14:00 BST.
    const scheduled = [...confirmed, ...both, ev('conference_scheduled', '2026-03-20T10:00:00Z', { conferenceId: 'k1', startsAt: '2026-04-21T13:00:00Z', venue: 'v' })];
    const c: DueCase = { ...row, stage: 'conference_scheduled' };
    const run = (events: StoredEvent[], now: string, policy = DEFAULT_REMINDER_POLICY) => summary(dueItems(c, caseProgress(events), { policy, calendar, now: at(now) }));

    test.each<[string, StoredEvent[], string, ReminderPolicy, (string | boolean)[][]]>([
      ['ahead: the conference itself, no outcome yet', scheduled, '2026-04-01T10:00:00Z', DEFAULT_REMINDER_POLICY, [['conference', '-', '2026-04-21T13:00:00.000Z', false]]],
      ['started: the outcome is due the next morning at 09:00 (the reminder)', scheduled, '2026-04-21T15:00:00Z', DEFAULT_REMINDER_POLICY, [['conference_outcome', '-', '2026-04-22T08:00:00.000Z', false]]],
      ['and overdue from then', scheduled, '2026-04-22T08:00:00Z', DEFAULT_REMINDER_POLICY, [['conference_outcome', '-', '2026-04-22T08:00:00.000Z', true]]],
      ['a policy of 2 days at 10:00 moves it', scheduled, '2026-04-21T15:00:00Z', mergePolicy({ conference: { outcomeDueDaysAfter: 2, outcomeDueAt: '10:00' } }), [['conference_outcome', '-', '2026-04-23T09:00:00.000Z', false]]],
      ['held: nothing more', [...scheduled, ev('conference_held', '2026-04-21T16:00:00Z', { conferenceId: 'k1', agreement: false })], '2026-04-22T10:00:00Z', DEFAULT_REMINDER_POLICY, []],
      ['cancelled: nothing', [...scheduled, ev('conference_cancelled', '2026-04-01T16:00:00Z', { conferenceId: 'k1', reason: 'x' })], '2026-04-22T10:00:00Z', DEFAULT_REMINDER_POLICY, []],
    ])('%s', (_label, events, now, policy, expected) => {
      expect(run(events, now, policy)).toEqual(expected);
    });

    test('an agreement is reviewed on its own date, or after the policy months, at the policy time', () => {
      const held = (extra: Record<string, unknown>) => [...scheduled, ev('conference_held', '2026-04-21T16:00:00Z', { conferenceId: 'k1', agreement: true, ...extra })];
      const f = { ...row, stage: 'follow_up' as const };
      const due = (events: StoredEvent[]) => summary(dueItems(f, caseProgress(events), { policy: DEFAULT_REMINDER_POLICY, calendar, now: at('2026-05-01T10:00:00Z') }));
      expect(due(held({ reviewOn: '2026-06-01' }))).toEqual([['agreement_review', '-', '2026-06-01T08:00:00.000Z', false]]);
      // Three months after 21 April: Tuesday 21 July, 09:00 BST.
      expect(due(held({}))).toEqual([['agreement_review', '-', '2026-07-21T08:00:00.000Z', false]]);
      expect(due([...held({}), ev('agreement_reviewed', '2026-06-01T10:00:00Z')])).toEqual([]);
    });
  });

  test('a delivered or snoozed reminder leaves the work due: the card shows the work, not the pings', () => {
    const p = caseProgress(confirmed);
    const now = at('2026-03-13T10:00:00Z');
    const view = reminderCaseView(rowOf(), p);
    const fired = remindersFor(view, DEFAULT_REMINDER_POLICY, calendar, now).filter((r) => r.rule === 'first_contact_due');
    expect(fired.length).toBeGreaterThan(0);
    const items = dueItems(row, p, { policy: DEFAULT_REMINDER_POLICY, calendar, now });
    expect(items.every((i) => i.kind === 'first_contact' && i.overdue)).toBe(true);
    expect(nextDueLabel(items, (d) => d.toISOString().slice(0, 10))).toBe('First contact with the harmed person: overdue since 2026-03-12');
    expect(nextDueLabel([], String)).toBe('Nothing due');
  });
});

/** The reminder row for a case folded from `confirmed`, as the store builds it. */
function rowOf(): ReminderCaseRow {
  return {
    caseId: 'case-1',
    caseReference: 'RJ-2026-0001',
    stage: 'preparation',
    submittedAt: at('2026-03-02T10:00:00Z'),
    lastActivityAt: at('2026-03-02T13:00:00Z'),
    pairConfirmedAt: at('2026-03-02T13:00:00Z'),
    acceptedFacilitators: ['f1', 'f2'],
    participants: [{ participantId: 'p-h', role: 'harmed_person' }, { participantId: 'p-o', role: 'offender' }],
    offers: [],
  };
}

describe('foldCaseLog: the one fold', () => {
  const log = [
    ...confirmed,
    contact('a', 'harmed_person', '2026-03-04T10:00:00Z', { nextFollowUpOn: '2026-03-09' }),
    // Logged later for an earlier day: does not replace the newer contact.
    contact('b', 'harmed_person', '2026-03-03T10:00:00Z', { nextFollowUpOn: '2026-03-06' }),
    // Same instant as `a`, logged later: the later one wins the tie.
    contact('c', 'harmed_person', '2026-03-04T10:00:00Z', { nextFollowUpOn: '2026-03-10' }),
    ev('reminder_sent', '2026-03-05T09:00:00Z', { reminderId: 'x' }, null),
    ev('conference_scheduled', '2026-03-20T10:00:00Z', { conferenceId: 'k1', startsAt: '2026-04-21T13:00:00Z', venue: 'v' }),
    // Scheduling the same conference again moves it (its notices start over).
    ev('conference_scheduled', '2026-03-25T10:00:00Z', { conferenceId: 'k1', startsAt: '2026-04-28T13:00:00Z', venue: 'v' }),
    ev('conference_held', '2026-04-28T15:00:00Z', { conferenceId: 'k1', agreement: true, reviewOn: '2026-07-01' }),
    ev('stage_changed', '2026-04-28T15:00:00Z', { from: 'preparation', to: 'follow_up' }),
  ];

  test('contacts newest by their own time, ties to the later logged; a rescheduled conference is one record', () => {
    const p = foldCaseLog(log);
    expect(p.contacts.harmed_person.map((x) => x.contactId)).toEqual(['c', 'a', 'b']);
    expect(p.conferences).toHaveLength(1);
    expect(p.conferences[0]).toMatchObject({ startsAt: '2026-04-28T13:00:00Z', scheduledAt: at('2026-03-25T10:00:00Z'), held: { agreement: true } });
    expect(p.agreement).toMatchObject({ reviewOn: '2026-07-01' });
    expect(p.malformed).toEqual([]);
  });

  test('the reminder view needs only REMINDER_VIEW_EVENT_TYPES: folding just those gives the same view', () => {
    const types: readonly string[] = REMINDER_VIEW_EVENT_TYPES;
    const full = reminderCaseView(rowOf(), foldCaseLog(log));
    const some = foldCaseLog(log.filter((e) => types.includes(e.type)));
    expect(reminderCaseView(rowOf(), some)).toEqual(full);
    expect(full.participants[0]).toEqual({ participantId: 'p-h', role: 'harmed_person', lastContact: { at: at('2026-03-04T10:00:00Z'), nextFollowUpOn: '2026-03-10' } });
    expect(full.conferences).toEqual([{ conferenceId: 'k1', startsAt: at('2026-04-28T13:00:00Z'), scheduledAt: at('2026-03-25T10:00:00Z'), outcomeRecordedAt: at('2026-04-28T15:00:00Z') }]);
    expect(full.agreement).toEqual({ agreedAt: at('2026-04-28T15:00:00Z'), reviewOn: '2026-07-01' });
  });

  test('is lenient: a malformed event is skipped and listed, the rest still folds; caseProgress refuses it', () => {
    const bad = [
      ...confirmed,
      ev('conference_scheduled', '2026-03-20T10:00:00Z', { conferenceId: 'k0' }),
      ev('case_closed', '2026-03-20T10:00:00Z', { outcome: 'went_fishing' }),
      ev('conference_held', '2026-03-20T10:00:00Z', null as unknown as Record<string, unknown>),
      contact('ok', 'offender', '2026-03-05T10:00:00Z', { nextFollowUpOn: '2026-03-11' }),
      // Malformed contacts (no time, a time that is not one, a follow-up that is not a date) are skipped.
      ev('contact_logged', '2026-03-05T12:00:00Z', { party: 'offender' }),
      contact('t', 'offender', 'yesterday'),
      contact('d', 'offender', '2026-03-06T10:00:00Z', { nextFollowUpOn: 'soon' }),
    ];
    const p = foldCaseLog(bad);
    expect(p.malformed.map((m) => m.type)).toEqual(['conference_scheduled', 'case_closed', 'conference_held']);
    expect(p.facts.stage).toBe('preparation');
    expect(p.conferences).toEqual([]);
    expect(p.contacts.offender.map((x) => x.contactId)).toEqual(['ok']);
    expect(() => caseProgress(bad)).toThrow(CaseEventError);
    expect(() => caseProgress(bad)).toThrow(/case event \d+: conference_scheduled: startsAt must be a string/);
  });
});

describe('the one list of stages', () => {
  test('derived sets, in lifecycle order', () => {
    expect(STAGE_ORDER).toEqual(['referred', 'accepted', 'declined', 'assigning', 'preparation', 'ready', 'conference_scheduled', 'indirect_communication', 'follow_up', 'closed']);
    expect([...CLOSED_STAGES].sort()).toEqual(['closed', 'declined']);
    expect(OPEN_STAGES).toEqual(['referred', 'accepted', 'assigning', 'preparation', 'ready', 'conference_scheduled', 'indirect_communication', 'follow_up']);
    expect(ACTIVE_STAGES).toEqual(OPEN_STAGES.slice(1));
    expect(STAGE_ORDER.filter(isClosedStage)).toEqual(['declined', 'closed']);
  });

  test.each<[Parameters<typeof stagesBetween>, string[] | RegExp]>([
    [['preparation', 'ready'], ['preparation', 'ready']],
    [['assigning', 'follow_up'], ['assigning', 'preparation', 'ready', 'conference_scheduled', 'indirect_communication', 'follow_up']],
    [['ready', 'preparation'], /not a range/],
    [['accepted', 'closed'], /not a range/],
  ])('stagesBetween(%j)', (args, expected) => {
    if (expected instanceof RegExp) expect(() => stagesBetween(...args)).toThrow(expected);
    else expect(stagesBetween(...args)).toEqual(expected);
  });

  test('compareStages sorts by the lifecycle, not by label', () => {
    expect((['follow_up', 'accepted', 'ready', 'conference_scheduled'] as const).slice().sort(compareStages)).toEqual(['accepted', 'ready', 'conference_scheduled', 'follow_up']);
  });
});
