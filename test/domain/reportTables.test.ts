import { quarterlyReturn, reportTables, toCsv } from '../../src/domain/reportTables';
import { REPORT_EVENT_TYPES, serviceReport, type ReportCase } from '../../src/domain/reports';
import { createWorkingCalendar } from '../../src/domain/workingTime';

const calendar = createWorkingCalendar();
const at = (iso: string) => new Date(iso);
const kase = (id: string, referred: string, events: Array<[string, string, unknown?]>): ReportCase => ({
  caseId: id,
  referredAt: at(referred),
  source: 'Metropolitan Police',
  events: events.map(([type, when, data]) => ({ type, at: at(when), data })),
});

describe('working days to triage across weekends and bank holidays (median and 90th percentile)', () => {
  // Each case is referred at 10:00 and triaged at 10:00 on another day (London, GMT in December).
  test.each([
    ['Friday → Monday over a weekend', '2026-12-11T10:00:00Z', '2026-12-14T10:00:00Z', 1],
    ['Thursday 24 → Tuesday 29 December over Christmas (Friday), a weekend and Boxing Day\'s substitute (Monday 28)', '2026-12-24T10:00:00Z', '2026-12-29T10:00:00Z', 1],
    ['Wednesday 30 December → Monday 4 January over New Year\'s Day', '2026-12-30T10:00:00Z', '2027-01-04T10:00:00Z', 2],
    ['the same day, half a day later', '2026-12-09T10:00:00Z', '2026-12-09T14:15:00Z', 0.5],
  ])('%s: %p → %p is %p working days', (_what, referred, triaged, days) => {
    const r = serviceReport({ cases: [kase('a', referred, [['referral_accepted', triaged]])], screenings: [] }, { from: at('2026-12-01T00:00:00Z'), to: at('2027-01-01T00:00:00Z') }, calendar);
    expect(r.workingDaysFromReferral.toTriage).toEqual({ n: 1, median: days, p90: days });
  });

  test('over several cases: the nearest-rank median and 90th percentile are real cases\' durations', () => {
    const cases = [
      kase('a', '2026-12-11T10:00:00Z', [['referral_accepted', '2026-12-14T10:00:00Z']]), // 1
      kase('b', '2026-12-24T10:00:00Z', [['referral_declined', '2026-12-29T10:00:00Z']]), // 1
      kase('c', '2026-12-01T10:00:00Z', [['referral_accepted', '2026-12-08T10:00:00Z']]), // 5
      kase('d', '2026-12-02T09:00:00Z', [['referral_accepted', '2026-12-02T17:30:00Z']]), // 1
    ];
    const r = serviceReport({ cases, screenings: [] }, { from: at('2026-12-01T00:00:00Z'), to: at('2027-01-01T00:00:00Z') }, calendar);
    expect(r.workingDaysFromReferral.toTriage).toEqual({ n: 4, median: 1, p90: 5 });
  });
});

describe('report tables and CSV', () => {
  const cases = [
    kase('a', '2026-04-02T09:00:00Z', [
      ['referred', '2026-04-02T09:00:00Z'],
      ['referral_accepted', '2026-04-07T09:00:00Z'],
      ['stage_changed', '2026-04-07T09:00:00Z', { from: 'referred', to: 'accepted' }],
      ['contact_logged', '2026-04-15T09:00:00Z', { contactId: 'k', party: 'offender', at: '2026-04-15T09:00:00Z', method: 'phone', outcome: 'reached' }],
      ['case_closed', '2026-05-21T09:00:00Z', { outcome: 'offender_withdrew' }],
    ]),
  ];
  const period = { from: at('2026-03-31T23:00:00Z'), to: at('2026-06-30T23:00:00Z') };

  test('the store may pass only REPORT_EVENT_TYPES: the figures are the same', () => {
    const only = cases.map((c) => ({ ...c, events: c.events.filter((e) => REPORT_EVENT_TYPES.includes(e.type)) }));
    expect(serviceReport({ cases: only, screenings: [] }, period, calendar)).toEqual(serviceReport({ cases, screenings: [] }, period, calendar));
  });

  test('the quarterly return carries each figure with its rule, and no satisfaction line', () => {
    const r = serviceReport({ cases, screenings: [] }, period, calendar);
    const q = quarterlyReturn(r);
    expect(q.rows.find((row) => row[0] === 'Referrals received')?.[1]).toBe(1);
    expect(q.rows.find((row) => row[0] === 'People supported')?.[1]).toBe(1);
    expect(q.rows.find((row) => row[0] === 'Cases closed')?.[1]).toBe(1);
    expect(q.rows.every((row) => typeof row[2] === 'string' && row[2].length > 10)).toBe(true);
    expect(JSON.stringify(q)).not.toMatch(/satisf/i);
    expect(reportTables(r).map((t) => t.id)).toEqual(['referrals', 'screenings', 'screen_outs', 'conversion', 'durations', 'outcomes', 'quarterly_return']);
  });

  test.each([
    [['plain', 3, null], 'plain,3,\r\n'],
    [['a, b', 'say "hi"'], '"a, b","say ""hi"""\r\n'],
    [['=HYPERLINK("x")'], '"\'=HYPERLINK(""x"")"\r\n'],
    [['+1', '-2', '@x'], "'+1,'-2,'@x\r\n"],
    [[-2], '-2\r\n'],
  ])('CSV row %j', (row, line) => {
    expect(toCsv({ columns: ['h'], rows: [row] })).toBe(`h\r\n${line}`);
  });
});
