import { DEFAULT_REMINDER_POLICY } from '../../src/domain/defaultReminderPolicy';
import {
  mergePolicy,
  parseReminderId,
  reReferReminder,
  reminderId,
  reminderKey,
  remindersFor,
  ReminderPolicyError,
  type CaseReminder,
  type CaseReminderRule,
  type ReminderCaseView,
} from '../../src/domain/reminderPolicy';
import type { CaseStage } from '../../src/domain/vocabulary';
import { createWorkingCalendar } from '../../src/domain/workingTime';

const calendar = createWorkingCalendar();
const policy = DEFAULT_REMINDER_POLICY;
const at = (iso: string): Date => new Date(iso);

const FAC_A = 'aad-fac-a';
const FAC_B = 'aad-fac-b';

/** An open case with nothing pending: recent activity, no offers, no participants. */
function view(overrides: Partial<ReminderCaseView> = {}): ReminderCaseView {
  return {
    caseId: 'case-1',
    caseReference: 'RJ-2026-0001',
    stage: 'preparation',
    submittedAt: at('2026-06-01T09:00:00Z'),
    lastActivityAt: at('2026-11-20T10:00:00Z'),
    offers: [],
    participants: [],
    conferences: [],
    ...overrides,
  };
}

const pair = (confirmedAt = '2026-06-01T10:00:00Z') => ({ confirmedAt: at(confirmedAt), facilitatorAadObjectIds: [FAC_A, FAC_B] });

type Row = [rule: CaseReminderRule, due: string, recipient: string];
const summary = (reminders: readonly CaseReminder[], rules?: readonly CaseReminderRule[]): Row[] =>
  reminders
    .filter((r) => !rules || rules.includes(r.rule))
    .map((r): Row => [r.rule, r.dueAt.toISOString(), r.recipient.kind === 'person' ? r.recipient.aadObjectId : 'coordinators']);

const NOW = at('2026-06-01T00:00:00Z');
const run = (v: ReminderCaseView, now = NOW) => remindersFor(v, policy, calendar, now);

describe('triage due', () => {
  const rules: CaseReminderRule[] = ['triage_due'];
  // submitted Friday 5 June 2026, 16:00 BST
  const submitted = view({ stage: 'referred', submittedAt: at('2026-06-05T15:00:00Z'), lastActivityAt: at('2026-06-05T15:00:00Z') });
  const first = run(submitted).find((r) => r.rule === 'triage_due');
  const delivered = (id: string, deliveredAt: string) => ({ reminderId: id, deliveredAt: at(deliveredAt) });

  test.each<[string, ReminderCaseView, Row[]]>([
    ['untriaged: 3 working days after submission (Friday 16:00 → Wednesday 16:00)', submitted, [['triage_due', '2026-06-10T15:00:00.000Z', 'coordinators']]],
    ['triaged (accepted): none', { ...submitted, stage: 'accepted' }, []],
    ['assigning: none', { ...submitted, stage: 'assigning' }, []],
    ['declined: none', { ...submitted, stage: 'declined' }, []],
  ])('%s', (_label, v, expected) => {
    expect(summary(run(v), rules)).toEqual(expected);
  });

  test('repeats every working day after each delivery, and returns only the next one', () => {
    if (!first) throw new Error('expected a first triage reminder');
    const afterFirst = run({ ...submitted, deliveries: [delivered(first.id, '2026-06-10T15:00:02Z')] });
    expect(summary(afterFirst, rules)).toEqual([['triage_due', '2026-06-11T15:00:00.000Z', 'coordinators']]);
    const second = afterFirst.find((r) => r.rule === 'triage_due');
    if (!second) throw new Error('expected a second triage reminder');
    const afterSecond = run({
      ...submitted,
      deliveries: [delivered(first.id, '2026-06-10T15:00:02Z'), delivered(second.id, '2026-06-11T15:00:01Z')],
    });
    // Friday 12 June is next; then the weekend is skipped
    expect(summary(afterSecond, rules)).toEqual([['triage_due', '2026-06-12T15:00:00.000Z', 'coordinators']]);
  });

  test('a reminder that never fired is still returned however late it is', () => {
    expect(summary(run(submitted, at('2026-07-30T12:00:00Z')), rules)).toEqual([
      ['triage_due', '2026-06-10T15:00:00.000Z', 'coordinators'],
    ]);
  });

  test.each([
    // delivered late on Monday 15 June at 10:00 BST: next is Monday 16:00, not a burst of missed ones
    ['2026-06-15T09:00:00Z', '2026-06-15T15:00:00.000Z'],
    // delivered late on Monday at 16:30 BST: next is Tuesday 16:00
    ['2026-06-15T15:30:00Z', '2026-06-16T15:00:00.000Z'],
  ])('after an outage, delivered at %s → next %s', (deliveredAt, next) => {
    if (!first) throw new Error('expected a first triage reminder');
    expect(summary(run({ ...submitted, deliveries: [delivered(first.id, deliveredAt)] }), rules)).toEqual([
      ['triage_due', next, 'coordinators'],
    ]);
  });

  test('a snooze moves the next occurrence; afterwards the daily schedule resumes', () => {
    if (!first) throw new Error('expected a first triage reminder');
    const snoozes = [{ reminderKey: first.key, until: at('2026-06-12T13:00:00Z') }];
    const snoozed = run({ ...submitted, snoozes });
    expect(summary(snoozed, rules)).toEqual([['triage_due', '2026-06-12T13:00:00.000Z', 'coordinators']]);
    const snoozedReminder = snoozed.find((r) => r.rule === 'triage_due');
    if (!snoozedReminder) throw new Error('expected the snoozed reminder');
    const after = run({ ...submitted, snoozes, deliveries: [delivered(snoozedReminder.id, '2026-06-12T13:00:00Z')] });
    expect(summary(after, rules)).toEqual([['triage_due', '2026-06-12T15:00:00.000Z', 'coordinators']]);
  });
});

describe('assignment answer due and its escalation', () => {
  const rules: CaseReminderRule[] = ['assignment_answer_due', 'assignment_answer_escalation'];
  const offer = { offerId: 'offer-1', facilitatorAadObjectId: FAC_A, offeredAt: at('2026-06-08T09:00:00Z') };

  test.each<[string, ReminderCaseView, Row[]]>([
    [
      'unanswered offer Monday 10:00: facilitator on Wednesday, coordinators on Thursday',
      view({ stage: 'assigning', offers: [offer] }),
      [
        ['assignment_answer_due', '2026-06-10T09:00:00.000Z', FAC_A],
        ['assignment_answer_escalation', '2026-06-11T09:00:00.000Z', 'coordinators'],
      ],
    ],
    [
      'offer late on Friday 17:00 BST: Tuesday 17:00, Wednesday 17:00',
      view({ stage: 'assigning', offers: [{ ...offer, offeredAt: at('2026-06-12T16:00:00Z') }] }),
      [
        ['assignment_answer_due', '2026-06-16T16:00:00.000Z', FAC_A],
        ['assignment_answer_escalation', '2026-06-17T16:00:00.000Z', 'coordinators'],
      ],
    ],
    [
      'offer on Maundy Thursday: over Easter',
      view({ stage: 'assigning', offers: [{ ...offer, offeredAt: at('2026-04-02T10:00:00Z') }] }),
      [
        ['assignment_answer_due', '2026-04-08T10:00:00.000Z', FAC_A],
        ['assignment_answer_escalation', '2026-04-09T10:00:00.000Z', 'coordinators'],
      ],
    ],
    ['answered: none', view({ stage: 'assigning', offers: [{ ...offer, answeredAt: at('2026-06-09T10:00:00Z') }] }), []],
    ['withdrawn: none', view({ stage: 'assigning', offers: [{ ...offer, withdrawnAt: at('2026-06-09T10:00:00Z') }] }), []],
  ])('%s', (_label, v, expected) => {
    expect(summary(run(v), rules)).toEqual(expected);
  });

  test('delivering the facilitator reminder leaves the escalation', () => {
    const v = view({ stage: 'assigning', offers: [offer] });
    const due = run(v).find((r) => r.rule === 'assignment_answer_due');
    if (!due) throw new Error('expected the facilitator reminder');
    expect(summary(run({ ...v, deliveries: [{ reminderId: due.id, deliveredAt: due.dueAt }] }), rules)).toEqual([
      ['assignment_answer_escalation', '2026-06-11T09:00:00.000Z', 'coordinators'],
    ]);
  });

  test('the reminder is about the offer and its facilitator', () => {
    const reminders = run(view({ stage: 'assigning', offers: [offer] })).filter((r) => rules.includes(r.rule));
    expect(reminders.map((r) => r.about)).toEqual([
      { kind: 'offer', offerId: 'offer-1', facilitatorAadObjectId: FAC_A },
      { kind: 'offer', offerId: 'offer-1', facilitatorAadObjectId: FAC_A },
    ]);
  });
});

describe('first contact due and its escalation', () => {
  const rules: CaseReminderRule[] = ['first_contact_due', 'first_contact_escalation'];
  const harmed = { participantId: 'p-harmed', role: 'harmed_person' };
  const offender = { participantId: 'p-offender', role: 'offender' };
  const contacted = { lastContact: { at: at('2026-06-03T10:00:00Z') } };

  test.each<[string, ReminderCaseView, Row[]]>([
    [
      'pair confirmed Monday 1 June 11:00: each facilitator at 8 working days, coordinators at 10',
      view({ pair: pair(), participants: [harmed] }),
      [
        ['first_contact_due', '2026-06-11T10:00:00.000Z', FAC_A],
        ['first_contact_due', '2026-06-11T10:00:00.000Z', FAC_B],
        ['first_contact_escalation', '2026-06-15T10:00:00.000Z', 'coordinators'],
      ],
    ],
    [
      'confirmed Friday 22 May: the late May bank holiday is skipped',
      view({ pair: pair('2026-05-22T09:00:00Z'), participants: [harmed] }),
      [
        ['first_contact_due', '2026-06-04T09:00:00.000Z', FAC_A],
        ['first_contact_due', '2026-06-04T09:00:00.000Z', FAC_B],
        ['first_contact_escalation', '2026-06-08T09:00:00.000Z', 'coordinators'],
      ],
    ],
    [
      'contact logged with the offender: only the harmed person remains',
      view({ pair: pair(), participants: [harmed, { ...offender, ...contacted }] }),
      [
        ['first_contact_due', '2026-06-11T10:00:00.000Z', FAC_A],
        ['first_contact_due', '2026-06-11T10:00:00.000Z', FAC_B],
        ['first_contact_escalation', '2026-06-15T10:00:00.000Z', 'coordinators'],
      ],
    ],
    ['contact logged with both: none', view({ pair: pair(), participants: [{ ...harmed, ...contacted }, { ...offender, ...contacted }] }), []],
    ['no confirmed pair yet: none', view({ stage: 'assigning', participants: [harmed] }), []],
  ])('%s', (_label, v, expected) => {
    expect(summary(run(v), rules)).toEqual(expected);
  });

  test('one reminder per party, about that party', () => {
    const reminders = run(view({ pair: pair(), participants: [harmed, offender] })).filter((r) => r.rule === 'first_contact_escalation');
    expect(reminders.map((r) => r.about)).toEqual([
      { kind: 'participant', participantId: 'p-harmed', role: 'harmed_person' },
      { kind: 'participant', participantId: 'p-offender', role: 'offender' },
    ]);
  });
});

describe('follow-up due', () => {
  const rules: CaseReminderRule[] = ['follow_up_due'];
  const withFollowUp = (nextFollowUpOn: string | undefined, extra: Partial<ReminderCaseView> = { pair: pair() }) =>
    view({
      participants: [
        { participantId: 'p-harmed', role: 'harmed_person', lastContact: { at: at('2026-06-03T10:00:00Z'), ...(nextFollowUpOn ? { nextFollowUpOn } : {}) } },
      ],
      ...extra,
    });

  test.each<[string, ReminderCaseView, Row[]]>([
    ['winter date: 09:00 GMT', withFollowUp('2026-11-25'), [['follow_up_due', '2026-11-25T09:00:00.000Z', FAC_A], ['follow_up_due', '2026-11-25T09:00:00.000Z', FAC_B]]],
    ['summer date: 09:00 BST', withFollowUp('2026-07-01'), [['follow_up_due', '2026-07-01T08:00:00.000Z', FAC_A], ['follow_up_due', '2026-07-01T08:00:00.000Z', FAC_B]]],
    ['first Monday after the spring change', withFollowUp('2026-03-30'), [['follow_up_due', '2026-03-30T08:00:00.000Z', FAC_A], ['follow_up_due', '2026-03-30T08:00:00.000Z', FAC_B]]],
    ['first Monday after the autumn change', withFollowUp('2026-10-26'), [['follow_up_due', '2026-10-26T09:00:00.000Z', FAC_A], ['follow_up_due', '2026-10-26T09:00:00.000Z', FAC_B]]],
    ['a Saturday: Monday 09:00', withFollowUp('2026-11-28'), [['follow_up_due', '2026-11-30T09:00:00.000Z', FAC_A], ['follow_up_due', '2026-11-30T09:00:00.000Z', FAC_B]]],
    ['Christmas Day: 29 December', withFollowUp('2026-12-25'), [['follow_up_due', '2026-12-29T09:00:00.000Z', FAC_A], ['follow_up_due', '2026-12-29T09:00:00.000Z', FAC_B]]],
    ['no confirmed pair: the coordinators, so it is not lost', withFollowUp('2026-11-25', {}), [['follow_up_due', '2026-11-25T09:00:00.000Z', 'coordinators']]],
    ['latest contact set no follow-up date: none', withFollowUp(undefined), []],
  ])('%s', (_label, v, expected) => {
    expect(summary(run(v), rules)).toEqual(expected);
  });

  test('has the documented id format', () => {
    const [first] = run(withFollowUp('2026-11-25')).filter((r) => r.rule === 'follow_up_due');
    expect(first?.id).toBe('follow_up_due|case-1|p-harmed.person-aad-fac-a|20261125T0900Z');
  });

  test.each([
    ['snoozed to Friday 14:00', '2026-11-27T14:00:00Z', '2026-11-27T14:00:00.000Z'],
    ['snoozed into the weekend: Monday 09:00', '2026-11-28T10:00:00Z', '2026-11-30T09:00:00.000Z'],
    ['snoozed to 17:30: next morning', '2026-11-26T17:30:00Z', '2026-11-27T09:00:00.000Z'],
    ['a snooze earlier than the due time does not bring it forward', '2026-11-20T10:00:00Z', '2026-11-25T09:00:00.000Z'],
  ])('%s', (_label, until, expected) => {
    const v = withFollowUp('2026-11-25');
    const target = run(v).find((r) => r.rule === 'follow_up_due' && r.recipient.kind === 'person' && r.recipient.aadObjectId === FAC_A);
    if (!target) throw new Error('expected a follow-up for facilitator A');
    const snoozed = run({ ...v, snoozes: [{ reminderKey: target.key, until: at(until) }] });
    expect(summary(snoozed, ['follow_up_due'])).toEqual(
      [
        ['follow_up_due', expected, FAC_A] as Row,
        ['follow_up_due', '2026-11-25T09:00:00.000Z', FAC_B] as Row,
      ].sort((a, b) => a[1].localeCompare(b[1]) || a[2].localeCompare(b[2])),
    );
  });

  test('a delivered follow-up is not returned again; a new follow-up date is', () => {
    const v = withFollowUp('2026-11-25');
    const deliveries = run(v).map((r) => ({ reminderId: r.id, deliveredAt: r.dueAt }));
    expect(summary(run({ ...v, deliveries }), rules)).toEqual([]);
    const rescheduled = withFollowUp('2026-12-02');
    expect(summary(run({ ...rescheduled, deliveries }), rules)).toEqual([
      ['follow_up_due', '2026-12-02T09:00:00.000Z', FAC_A],
      ['follow_up_due', '2026-12-02T09:00:00.000Z', FAC_B],
    ]);
  });
});

describe('stale case', () => {
  const rules: CaseReminderRule[] = ['stale_case'];
  // Tuesday 1 September 2026, 11:00 BST
  const quiet = view({ lastActivityAt: at('2026-09-01T10:00:00Z') });

  const nextAfter = (v: ReminderCaseView, deliveredAt: (r: CaseReminder) => Date = (r) => r.dueAt): ReminderCaseView => {
    const stale = run(v).find((r) => r.rule === 'stale_case');
    if (!stale) throw new Error('expected a stale reminder');
    return { ...v, deliveries: [...(v.deliveries ?? []), { reminderId: stale.id, deliveredAt: deliveredAt(stale) }] };
  };

  test('28 days after the last activity, then every 14 days, keeping 11:00 London across the clock change', () => {
    const dues: string[] = [];
    let v = quiet;
    for (let i = 0; i < 3; i += 1) {
      dues.push(summary(run(v), rules)[0]?.[1] ?? 'none');
      v = nextAfter(v);
    }
    expect(dues).toEqual(['2026-09-29T10:00:00.000Z', '2026-10-13T10:00:00.000Z', '2026-10-27T11:00:00.000Z']);
  });

  test('a due date on a weekend moves to Monday 09:00, and the schedule stays anchored', () => {
    // Saturday 7 February 2026: +28 and +42 days are Saturdays
    const v = view({ lastActivityAt: at('2026-02-07T10:00:00Z') });
    expect(summary(run(v), rules)).toEqual([['stale_case', '2026-03-09T09:00:00.000Z', 'coordinators']]);
    expect(summary(run(nextAfter(v)), rules)).toEqual([['stale_case', '2026-03-23T09:00:00.000Z', 'coordinators']]);
  });

  test('new activity restarts the schedule and old deliveries no longer count', () => {
    const delivered = nextAfter(quiet);
    const active = { ...delivered, lastActivityAt: at('2026-10-05T12:00:00Z') };
    expect(summary(run(active), rules)).toEqual([['stale_case', '2026-11-02T13:00:00.000Z', 'coordinators']]);
  });

  test.each<[CaseStage, number]>([
    ['referred', 1],
    ['assigning', 1],
    ['follow_up', 1],
    ['closed', 0],
    ['declined', 0],
  ])('stage %s → %i stale reminder(s)', (stage, count) => {
    expect(summary(run({ ...quiet, stage }), rules)).toHaveLength(count);
  });
});

describe('conference', () => {
  const rules: CaseReminderRule[] = ['conference_first_notice', 'conference_last_notice', 'conference_outcome_due'];
  const conference = { conferenceId: 'conf-1', startsAt: at('2026-11-19T14:00:00Z'), scheduledAt: at('2026-10-01T10:00:00Z') };
  const both = (rule: CaseReminderRule, due: string): Row[] => [[rule, due, FAC_A], [rule, due, FAC_B]];
  const base = view({ stage: 'conference_scheduled', pair: pair(), conferences: [conference] });
  const early = at('2026-11-01T12:00:00Z');

  test.each<[string, ReminderCaseView, Date, Row[]]>([
    [
      'Thursday 14:00: a week before, the working day before, and the next morning',
      base,
      early,
      [
        ...both('conference_first_notice', '2026-11-12T14:00:00.000Z'),
        ...both('conference_last_notice', '2026-11-18T14:00:00.000Z'),
        ...both('conference_outcome_due', '2026-11-20T09:00:00.000Z'),
      ],
    ],
    [
      'Tuesday after Easter: the notice is on Maundy Thursday',
      { ...base, conferences: [{ ...conference, startsAt: at('2026-04-07T09:00:00Z'), scheduledAt: at('2026-03-01T10:00:00Z') }] },
      at('2026-03-02T12:00:00Z'),
      [
        ...both('conference_first_notice', '2026-03-31T09:00:00.000Z'),
        ...both('conference_last_notice', '2026-04-02T09:00:00.000Z'),
        ...both('conference_outcome_due', '2026-04-08T08:00:00.000Z'),
      ],
    ],
    [
      'a Saturday prison visit: notices moved into working days, outcome on Monday',
      { ...base, conferences: [{ ...conference, startsAt: at('2026-11-21T10:00:00Z') }] },
      early,
      [
        ...both('conference_first_notice', '2026-11-16T09:00:00.000Z'),
        ...both('conference_last_notice', '2026-11-20T10:00:00.000Z'),
        ...both('conference_outcome_due', '2026-11-23T09:00:00.000Z'),
      ],
    ],
    [
      'scheduled only 3 days ahead: the week-before notice is moot',
      { ...base, conferences: [{ ...conference, scheduledAt: at('2026-11-16T10:00:00Z') }] },
      at('2026-11-16T10:00:00Z'),
      [...both('conference_last_notice', '2026-11-18T14:00:00.000Z'), ...both('conference_outcome_due', '2026-11-20T09:00:00.000Z')],
    ],
    [
      'the conference has started: only the outcome reminder',
      base,
      at('2026-11-19T14:00:00Z'),
      both('conference_outcome_due', '2026-11-20T09:00:00.000Z'),
    ],
    ['outcome recorded: none', { ...base, conferences: [{ ...conference, outcomeRecordedAt: at('2026-11-19T17:00:00Z') }] }, early, []],
    ['cancelled: none', { ...base, conferences: [{ ...conference, cancelledAt: at('2026-11-02T17:00:00Z') }] }, early, []],
  ])('%s', (_label, v, now, expected) => {
    expect(summary(run(v, now), rules)).toEqual(expected);
  });
});

describe('agreement review', () => {
  const rules: CaseReminderRule[] = ['agreement_review'];
  const base = view({ stage: 'follow_up', pair: pair(), agreement: { agreedAt: at('2026-06-15T13:00:00Z') } });

  test.each<[string, ReminderCaseView, Row[]]>([
    [
      '3 months later at 09:00: both facilitators and the coordinators',
      base,
      [
        ['agreement_review', '2026-09-15T08:00:00.000Z', 'coordinators'],
        ['agreement_review', '2026-09-15T08:00:00.000Z', FAC_A],
        ['agreement_review', '2026-09-15T08:00:00.000Z', FAC_B],
      ],
    ],
    [
      'falling on Boxing Day 2026 (a Saturday): Tuesday 29 December',
      { ...base, agreement: { agreedAt: at('2026-09-26T11:00:00Z') } },
      [
        ['agreement_review', '2026-12-29T09:00:00.000Z', 'coordinators'],
        ['agreement_review', '2026-12-29T09:00:00.000Z', FAC_A],
        ['agreement_review', '2026-12-29T09:00:00.000Z', FAC_B],
      ],
    ],
    [
      'the review date agreed at the conference wins over the 3 months (a Sunday: Monday at 09:00)',
      { ...base, agreement: { agreedAt: at('2026-06-15T13:00:00Z'), reviewOn: '2026-08-02' } },
      [
        ['agreement_review', '2026-08-03T08:00:00.000Z', 'coordinators'],
        ['agreement_review', '2026-08-03T08:00:00.000Z', FAC_A],
        ['agreement_review', '2026-08-03T08:00:00.000Z', FAC_B],
      ],
    ],
    [
      'no confirmed pair: the coordinators once',
      { ...base, pair: undefined },
      [['agreement_review', '2026-09-15T08:00:00.000Z', 'coordinators']],
    ],
    ['review recorded: none', { ...base, agreement: { agreedAt: at('2026-06-15T13:00:00Z'), reviewedAt: at('2026-09-16T10:00:00Z') } }, []],
    ['case closed: none', { ...base, stage: 'closed' }, []],
  ])('%s', (_label, v, expected) => {
    expect(summary(run(v), rules)).toEqual(expected);
  });
});

describe('re-refer', () => {
  test.each([
    ['2026-11-25', '2026-11-25T09:00:00.000Z', 're_refer|scr-1|screening.person-aad-referrer|20261125T0900Z'],
    ['2026-07-01', '2026-07-01T08:00:00.000Z', 're_refer|scr-1|screening.person-aad-referrer|20260701T0800Z'],
    ['2026-04-03', '2026-04-07T08:00:00.000Z', 're_refer|scr-1|screening.person-aad-referrer|20260407T0800Z'],
    ['2026-10-25', '2026-10-26T09:00:00.000Z', 're_refer|scr-1|screening.person-aad-referrer|20261026T0900Z'],
  ])('sentencing on %s → %s', (sentencingDate, due, id) => {
    const reminder = reReferReminder({ id: 'scr-1', referrerAadObjectId: 'aad-referrer', sentencingDate }, calendar);
    expect(reminder).toEqual({
      id,
      key: 're_refer|scr-1|screening.person-aad-referrer',
      rule: 're_refer',
      screeningId: 'scr-1',
      dueAt: at(due),
      recipient: { kind: 'person', aadObjectId: 'aad-referrer' },
      about: { kind: 'screening', sentencingDate },
    });
  });

  test('the policy time applies', () => {
    const reminder = reReferReminder(
      { id: 'scr-1', referrerAadObjectId: 'aad-referrer', sentencingDate: '2026-11-25' },
      calendar,
      mergePolicy({ reRefer: { at: '10:30' } }),
    );
    expect(reminder.dueAt.toISOString()).toBe('2026-11-25T10:30:00.000Z');
  });
});

/** A case with something pending under every rule. */
function busyCase(stage: CaseStage, shiftDays = 0): ReminderCaseView {
  const shift = (iso: string) => new Date(at(iso).getTime() + shiftDays * 86_400_000);
  return {
    caseId: 'case-busy',
    caseReference: 'RJ-2026-0042',
    stage,
    submittedAt: shift('2026-03-27T16:17:18Z'),
    lastActivityAt: shift('2026-03-28T22:45:00Z'),
    offers: [{ offerId: 'offer-9', facilitatorAadObjectId: 'aad-fac-c', offeredAt: shift('2026-10-23T17:10:00Z') }],
    pair: { confirmedAt: shift('2026-10-24T03:00:00Z'), facilitatorAadObjectIds: [FAC_A, FAC_B] },
    participants: [
      { participantId: 'p-harmed', role: 'harmed_person' },
      { participantId: 'p-offender', role: 'offender', lastContact: { at: shift('2026-10-30T12:00:00Z'), nextFollowUpOn: '2026-12-25' } },
    ],
    conferences: [{ conferenceId: 'conf-7', startsAt: shift('2026-12-28T19:00:00Z'), scheduledAt: shift('2026-10-01T10:00:00Z') }],
    agreement: { agreedAt: shift('2026-07-26T23:30:00Z') },
    snoozes: [{ reminderKey: reminderKey('stale_case', 'case-busy', 'case', { kind: 'coordinators' }), until: shift('2026-06-06T07:00:00Z') }],
  };
}

describe('every rule together', () => {
  const now = at('2026-03-01T00:00:00Z');

  test.each<[CaseStage, number]>([
    ['closed', 0],
    ['declined', 0],
    ['referred', 1],
    ['follow_up', 1],
  ])('stage %s: reminders present? %i', (stage, present) => {
    expect(Math.sign(remindersFor(busyCase(stage), policy, calendar, now).length)).toBe(present);
  });

  test('an open case covers every case rule', () => {
    const rules = new Set(remindersFor(busyCase('referred'), policy, calendar, now).map((r) => r.rule));
    expect([...rules].sort()).toEqual(
      [
        'agreement_review',
        'assignment_answer_due',
        'assignment_answer_escalation',
        'conference_first_notice',
        'conference_last_notice',
        'conference_outcome_due',
        'first_contact_due',
        'first_contact_escalation',
        'follow_up_due',
        'stale_case',
        'triage_due',
      ].sort(),
    );
  });

  test('nothing is due outside working time, whatever the inputs', () => {
    const outside: string[] = [];
    // every 7 hours over 5 weeks: weekends, nights, both clock changes of 2026 and Christmas
    for (const start of [0, 205, 270]) {
      for (let step = 0; step < 120; step += 1) {
        const shiftDays = start + (step * 7) / 24;
        for (const r of remindersFor(busyCase('referred', shiftDays), policy, calendar, now)) {
          if (!calendar.isWorkingTime(r.dueAt)) outside.push(`${r.id} (${r.dueAt.toISOString()})`);
        }
      }
    }
    expect(outside).toEqual([]);
  });

  test('ids are deterministic, unique, whole-minute and free of colons', () => {
    const first = remindersFor(busyCase('referred'), policy, calendar, now);
    const again = remindersFor(busyCase('referred'), policy, calendar, now);
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(new Set(first.map((r) => r.id)).size).toBe(first.length);
    for (const r of first) {
      expect(r.id).not.toContain(':');
      expect(r.dueAt.getTime() % 60_000).toBe(0);
      expect(parseReminderId(r.id)).toEqual({ key: r.key, rule: r.rule, dueAt: r.dueAt });
    }
  });

  test('result is sorted by due instant', () => {
    const dues = remindersFor(busyCase('referred'), policy, calendar, now).map((r) => r.dueAt.getTime());
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
  });
});

describe('ids', () => {
  test.each([
    ['triage_due' as const, 'case-1', 'case', { kind: 'coordinators' as const }, 'triage_due|case-1|case.coordinators'],
    ['follow_up_due' as const, 'c:1', 'p|2', { kind: 'person' as const, aadObjectId: 'a.b' }, 'follow_up_due|c%3A1|p%7C2.person-a%2Eb'],
  ])('reminderKey(%s, %s, %s) = %s', (rule, owner, subject, recipient, expected) => {
    expect(reminderKey(rule, owner, subject, recipient)).toBe(expected);
  });

  test.each([
    ['2026-11-25T09:00:00Z', 'k|o|s.coordinators|20261125T0900Z'],
    ['2026-07-01T08:00:59.999Z', 'k|o|s.coordinators|20260701T0800Z'],
  ])('reminderId at %s', (due, expected) => {
    expect(reminderId('k|o|s.coordinators', at(due))).toBe(expected);
  });

  test.each([['nonsense'], ['a|b|20261125T0900Z'], ['a|b|c|2026-11-25']])('parseReminderId(%s) is undefined', (id) => {
    expect(parseReminderId(id)).toBeUndefined();
  });
});

describe('mergePolicy', () => {
  test('no overrides: the defaults', () => {
    expect(mergePolicy({})).toEqual(DEFAULT_REMINDER_POLICY);
    expect(mergePolicy(undefined)).toEqual(DEFAULT_REMINDER_POLICY);
  });

  test('overrides one key and keeps its siblings', () => {
    const merged = mergePolicy({ triage: { firstAfterWorkingDays: 5 }, staleCase: { repeatEveryDays: 7 } });
    expect(merged.triage).toEqual({ firstAfterWorkingDays: 5, repeatEveryWorkingDays: 1 });
    expect(merged.staleCase).toEqual({ afterDays: 28, repeatEveryDays: 7 });
    expect(DEFAULT_REMINDER_POLICY.triage.firstAfterWorkingDays).toBe(3);
  });

  test('an override changes the due instant', () => {
    const v = view({ stage: 'referred', submittedAt: at('2026-06-05T15:00:00Z'), lastActivityAt: at('2026-06-05T15:00:00Z') });
    const merged = mergePolicy({ triage: { firstAfterWorkingDays: 5 } });
    const due = remindersFor(v, merged, calendar, NOW).find((r) => r.rule === 'triage_due')?.dueAt.toISOString();
    expect(due).toBe('2026-06-12T15:00:00.000Z');
  });

  test.each([
    [{ triage: { firstAfterWorkingDay: 5 } }, 'triage.firstAfterWorkingDay: unknown key'],
    [{ triages: {} }, 'triages: unknown key'],
    [{ staleCase: { afterDays: -1 } }, 'staleCase.afterDays'],
    [{ staleCase: { repeatEveryDays: 0 } }, 'staleCase.repeatEveryDays'],
    [{ triage: { repeatEveryWorkingDays: 1.5 } }, 'triage.repeatEveryWorkingDays'],
    [{ followUp: { at: '9:00' } }, 'followUp.at'],
    [{ conference: { outcomeDueAt: 'noon' } }, 'conference.outcomeDueAt'],
    [{ firstContact: { escalateAfterWorkingDays: 8 } }, 'firstContact.escalateAfterWorkingDays'],
    ['not an object', '(root)'],
  ])('rejects %j naming %s', (overrides, named) => {
    expect(() => mergePolicy(overrides)).toThrow(ReminderPolicyError);
    expect(() => mergePolicy(overrides)).toThrow(named);
  });
});
