import { percentile, serviceReport, type ReportCase, type ReportScreening } from '../../src/domain/reports';
import { createWorkingCalendar } from '../../src/domain/workingTime';

const calendar = createWorkingCalendar();
const at = (iso: string) => new Date(iso);
const period = { from: at('2026-03-01T00:00:00Z'), to: at('2026-06-01T00:00:00Z') };

/** A case referred at `referred` with events at the given instants. */
function kase(id: string, referred: string, source: string, events: Array<[string, string, unknown?]> = []): ReportCase {
  return { caseId: id, referredAt: at(referred), source, events: events.map(([type, when, data]) => ({ type, at: at(when), data })) };
}

const contact = (contactId: string, party: string, outcome: string) => ({ contactId, party, outcome, at: '2026-04-15T09:00:00Z', method: 'phone' });

describe('percentile (nearest rank)', () => {
  test.each([
    [[], 0.5, null],
    [[4], 0.5, 4],
    [[1, 2, 3, 4], 0.5, 2],
    [[5, 1, 3], 0.5, 3],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9, 10],
    [[2, 9], 1, 9],
  ])('%j at %p is %p', (values, q, expected) => {
    expect(percentile(values, q)).toBe(expected);
  });

  test.each([0, -0.1, 1.5, Number.NaN])('refuses q = %p', (q) => {
    expect(() => percentile([1], q)).toThrow(RangeError);
  });
});

describe('serviceReport', () => {
  const cases: ReportCase[] = [
    // Referred Thursday 2 April 10:00 BST; triaged Tuesday 7 April 10:00 BST, over Good Friday and
    // Easter Monday: 2 working days. Pair confirmed a week later; first contact after that.
    kase('a', '2026-04-02T09:00:00Z', 'Metropolitan Police', [
      ['referred', '2026-04-02T09:00:00Z'],
      ['referral_accepted', '2026-04-07T09:00:00Z'],
      ['pair_confirmed', '2026-04-14T09:00:00Z'],
      ['contact_logged', '2026-04-15T09:00:00Z', contact('k1', 'harmed_person', 'no_answer')],
      ['contact_logged', '2026-04-16T09:00:00Z', contact('k2', 'harmed_person', 'reached')],
      ['contact_logged', '2026-04-17T09:00:00Z', contact('k3', 'harmed_person', 'reached')],
      ['contact_logged', '2026-04-17T10:00:00Z', contact('k4', 'offender', 'reached')],
      ['conference_scheduled', '2026-05-01T09:00:00Z'],
      ['conference_held', '2026-05-20T09:00:00Z'],
      ['case_closed', '2026-05-21T09:00:00Z', { outcome: 'conference_held' }],
    ]),
    // Referred Friday 6 March 16:00 GMT, declined Monday 9 March 12:30: 1.5h + 3.5h = 5h of 8.5h.
    kase('b', '2026-03-06T16:00:00Z', 'Probation Service (London)', [
      ['referred', '2026-03-06T16:00:00Z'],
      ['referral_declined', '2026-03-09T12:30:00Z'],
      ['case_closed', '2026-03-09T12:30:00Z', { outcome: 'declined_at_triage' }],
    ]),
    // Closed, reopened, closed again in the period: counted once, by its last closure.
    kase('c', '2026-03-10T10:00:00Z', 'Metropolitan Police', [
      ['referral_accepted', '2026-03-11T10:00:00Z'],
      ['pair_confirmed', '2026-03-12T10:00:00Z'],
      ['indirect_chosen', '2026-03-20T10:00:00Z'],
      ['case_closed', '2026-04-01T10:00:00Z', { outcome: 'offender_withdrew' }],
      ['case_reopened', '2026-04-02T10:00:00Z', { reason: 'x' }],
      ['case_closed', '2026-04-10T10:00:00Z', { outcome: 'no_contact_possible' }],
    ]),
    // Still open, not triaged.
    kase('d', '2026-05-29T10:00:00Z', 'Metropolitan Police', [['referred', '2026-05-29T10:00:00Z']]),
    // Referred before the period but closed in it: no referral figure, but an outcome.
    kase('e', '2026-02-10T10:00:00Z', 'Metropolitan Police', [
      ['referral_accepted', '2026-02-11T10:00:00Z'],
      ['case_closed', '2026-03-15T10:00:00Z', { outcome: 'harmed_person_withdrew' }],
    ]),
    // Referred on the period's end: not in it (half-open).
    kase('f', '2026-06-01T00:00:00Z', 'Metropolitan Police', []),
    // Reopened after a closure in the period and still open: no outcome counted.
    kase('g', '2026-03-02T10:00:00Z', 'Self-referral', [
      ['case_closed', '2026-03-20T10:00:00Z', { outcome: 'unsuitable_after_assessment' }],
      ['case_reopened', '2026-03-25T10:00:00Z', { reason: 'x' }],
    ]),
  ];
  const screenings: ReportScreening[] = [
    { at: at('2026-03-02T10:00:00Z'), outcome: 'eligible', reasonCodes: [] },
    { at: at('2026-03-03T10:00:00Z'), outcome: 'ineligible', reasonCodes: ['NOT_SENTENCED', 'NOT_LONDON'] },
    { at: at('2026-03-04T10:00:00Z'), outcome: 'ineligible', reasonCodes: ['NOT_SENTENCED', 'NOT_SENTENCED'] },
    { at: at('2026-03-05T10:00:00Z'), outcome: 'needs_review', reasonCodes: [] },
    { at: at('2026-02-05T10:00:00Z'), outcome: 'ineligible', reasonCodes: ['NO_ARREST'] },
  ];
  const report = serviceReport({ cases, screenings }, period, calendar);

  test('referrals made in the period, by London month and source', () => {
    expect(report.referrals).toBe(5);
    expect(report.referralsByMonthAndSource).toEqual([
      { month: '2026-03', source: 'Metropolitan Police', count: 1 },
      { month: '2026-03', source: 'Probation Service (London)', count: 1 },
      { month: '2026-03', source: 'Self-referral', count: 1 },
      { month: '2026-04', source: 'Metropolitan Police', count: 1 },
      { month: '2026-05', source: 'Metropolitan Police', count: 1 },
    ]);
  });

  test('screenings in the period, and each failing rule of a screen-out once', () => {
    expect(report.screenings).toEqual({ total: 4, eligible: 1, needsReview: 1, ineligible: 2 });
    expect(report.screenOutsByReason).toMatchObject({ NOT_SENTENCED: 2, NOT_LONDON: 1, NO_ARREST: 0 });
  });

  test('conversion of the period\'s referrals', () => {
    expect(report.conversion).toEqual({ referred: 5, accepted: 2, pairConfirmed: 2, conferenceOrIndirect: 2, restorativeOutcome: 1 });
  });

  test('working days from referral, across weekends and bank holidays', () => {
    const { toTriage, toPairConfirmed, toFirstContact } = report.workingDaysFromReferral;
    // a: Thursday 10:00 to Tuesday 10:00 over Good Friday and Easter Monday is 1; b: 5h of 8.5h is
    // 0.6; c: 1 → sorted [0.6, 1, 1]
    expect(toTriage).toEqual({ n: 3, median: 1, p90: 1 });
    // a: 1 + a week (5) = 6; c: 2
    expect(toPairConfirmed).toEqual({ n: 2, median: 2, p90: 6 });
    // a: first of its two contacts only
    expect(toFirstContact).toEqual({ n: 1, median: 7, p90: 7 });
  });

  test('people supported: each party of a case reached in the period counts once', () => {
    const withOutside = [...cases, kase('h', '2026-01-05T10:00:00Z', 'Metropolitan Police', [['contact_logged', '2026-02-01T10:00:00Z', contact('k9', 'offender', 'reached')]])];
    expect(serviceReport({ cases: withOutside, screenings }, period, calendar).peopleSupported).toBe(2);
  });

  test('outcomes of cases whose last closure fell in the period', () => {
    expect(report.outcomes).toEqual({
      conference_held: 1,
      indirect_communication_completed: 0,
      harmed_person_withdrew: 1,
      offender_withdrew: 0,
      unsuitable_after_assessment: 0,
      no_contact_possible: 1,
      declined_at_triage: 1,
    });
  });

  test('an empty period has zero counts and no durations', () => {
    const empty = serviceReport({ cases, screenings }, { from: at('2030-01-01T00:00:00Z'), to: at('2030-02-01T00:00:00Z') }, calendar);
    expect(empty.referrals).toBe(0);
    expect(empty.workingDaysFromReferral.toTriage).toEqual({ n: 0, median: null, p90: null });
  });

  test('a period that ends before it starts is refused', () => {
    expect(() => serviceReport({ cases, screenings }, { from: period.to, to: period.from }, calendar)).toThrow(RangeError);
  });
});
