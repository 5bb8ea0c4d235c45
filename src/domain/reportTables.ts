import { CLOSING_OUTCOMES, type ClosingOutcome } from './caseState';
import { REASON_CODES, REASON_EXPLANATIONS } from './eligibility';
import type { ServiceReport } from './reports';

/*
 * A service report as the tables the dashboard shows beside its charts, exports as CSV, and sends
 * to funders as the quarterly return. One source for all three, so the CSV always equals the table.
 */

export type Cell = string | number | null;

export interface ReportTable {
  /** Stable id: the CSV export's `table` parameter. */
  readonly id: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export const REPORT_TABLE_IDS = ['referrals', 'screenings', 'screen_outs', 'conversion', 'durations', 'outcomes', 'quarterly_return'] as const;
export type ReportTableId = (typeof REPORT_TABLE_IDS)[number];

/**
 * The quarterly return for funders: each figure with the counting rule it follows (docs/REPORTING.md).
 * Satisfaction is not recorded by the service, so it is not in the return rather than shown as zero.
 */
export function quarterlyReturn(r: ServiceReport): ReportTable {
  const d = r.workingDaysFromReferral;
  return {
    id: 'quarterly_return',
    title: 'Quarterly return',
    columns: ['Figure', 'Value', 'Counting rule'],
    rows: [
      ['Referrals received', r.referrals, 'Referral forms submitted in the period (screenings without a form are not referrals)'],
      ['People supported', r.peopleSupported, 'Distinct participants of a case reached by a logged contact in the period'],
      ['Referrals accepted', r.conversion.accepted, 'Referrals of the period accepted into the service by the report date'],
      ['Facilitator pair confirmed', r.conversion.pairConfirmed, 'Referrals of the period whose two facilitators both accepted'],
      ['Conferences or indirect communication', r.conversion.conferenceOrIndirect, 'Referrals of the period with a conference scheduled or indirect communication chosen'],
      ['Restorative outcomes', r.conversion.restorativeOutcome, 'Referrals of the period with a conference held or indirect communication completed'],
      ['Screenings', r.screenings.total, 'Completed eligibility screenings in the period, anonymous'],
      ['Screened out', r.screenings.ineligible, 'Screenings of the period with at least one rule answered "no"'],
      ['Median working days to first contact', d.toFirstContact.median, 'Nearest-rank median, working days from submission to the first logged contact'],
      ['90th percentile working days to first contact', d.toFirstContact.p90, 'Nearest-rank 90th percentile of the same durations'],
      ['Cases closed', Object.values(r.outcomes).reduce((a, b) => a + b, 0), 'Cases whose last closure fell in the period'],
    ],
  };
}

export function reportTables(r: ServiceReport): ReportTable[] {
  const d = r.workingDaysFromReferral;
  const outcomeRows = (Object.keys(CLOSING_OUTCOMES) as ClosingOutcome[]).map((o): Cell[] => [CLOSING_OUTCOMES[o], r.outcomes[o]]);
  return [
    {
      id: 'referrals',
      title: 'Referrals by month and source',
      columns: ['Month', 'Source', 'Referrals'],
      rows: r.referralsByMonthAndSource.map((x) => [x.month, x.source, x.count]),
    },
    {
      id: 'screenings',
      title: 'Screenings',
      columns: ['Outcome', 'Screenings'],
      rows: [
        ['Eligible', r.screenings.eligible],
        ['Needs review', r.screenings.needsReview],
        ['Ineligible', r.screenings.ineligible],
        ['Total', r.screenings.total],
      ],
    },
    {
      id: 'screen_outs',
      title: 'Screen-outs by reason',
      columns: ['Reason code', 'Reason', 'Screenings'],
      rows: REASON_CODES.map((c) => [c, REASON_EXPLANATIONS[c].title, r.screenOutsByReason[c]]),
    },
    {
      id: 'conversion',
      title: 'Conversion of the period\'s referrals',
      columns: ['Step', 'Referrals'],
      rows: [
        ['Referred', r.conversion.referred],
        ['Accepted', r.conversion.accepted],
        ['Pair confirmed', r.conversion.pairConfirmed],
        ['Conference or indirect', r.conversion.conferenceOrIndirect],
        ['Restorative outcome', r.conversion.restorativeOutcome],
      ],
    },
    {
      id: 'durations',
      title: 'Working days from referral',
      columns: ['To', 'Referrals', 'Median', '90th percentile'],
      rows: [
        ['Triage', d.toTriage.n, d.toTriage.median, d.toTriage.p90],
        ['Pair confirmed', d.toPairConfirmed.n, d.toPairConfirmed.median, d.toPairConfirmed.p90],
        ['First contact', d.toFirstContact.n, d.toFirstContact.median, d.toFirstContact.p90],
      ],
    },
    { id: 'outcomes', title: 'Outcomes of cases closed in the period', columns: ['Outcome', 'Cases'], rows: outcomeRows },
    quarterlyReturn(r),
  ];
}

/**
 * RFC 4180 CSV (CRLF, quoted when needed). A text cell that a spreadsheet would run as a formula
 * (starting with = + - @, tab or CR) gets a leading apostrophe: sources and labels are typed by people.
 */
export function toCsv(table: Pick<ReportTable, 'columns' | 'rows'>): string {
  const cell = (v: Cell): string => {
    if (v === null) return '';
    if (typeof v === 'number') return String(v);
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [table.columns, ...table.rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
