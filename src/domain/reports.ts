import { REASON_CODES, type ReasonCode } from './eligibility';
import { CLOSING_OUTCOMES, type ClosingOutcome } from './caseState';
import { CONTACT_LOGGED, parseContactLogged } from './caseProgress';
import type { WorkingCalendar } from './workingTime';

/*
 * The figures funders ask for, as pure functions of the event log. Every figure has a written
 * counting rule (docs/REPORTING.md); durations are in working days of the service's calendar.
 * Inputs are what the store reads: a case's referral facts and its events, and the anonymous
 * screening records. Nothing here knows where they came from.
 */

export interface ReportEvent {
  readonly type: string;
  readonly at: Date;
  /** `case_closed` and `contact_logged` are read with their data. */
  readonly data?: unknown;
}

export interface ReportCase {
  readonly caseId: string;
  readonly referredAt: Date;
  /** The referral source as recorded on the case (a partner organisation, or a REFERRAL_SOURCES label). */
  readonly source: string;
  /** Oldest first. */
  readonly events: readonly ReportEvent[];
}

export interface ReportScreening {
  readonly at: Date;
  readonly outcome: 'eligible' | 'ineligible' | 'needs_review';
  readonly reasonCodes: readonly string[];
}

/** Half-open: from ≤ t < to. */
export interface ReportPeriod {
  readonly from: Date;
  readonly to: Date;
}

export interface DurationFigure {
  /** Referrals in the period that reached the milestone. */
  readonly n: number;
  /** Working days; null when n is 0. */
  readonly median: number | null;
  readonly p90: number | null;
}

export interface ServiceReport {
  readonly period: { readonly from: string; readonly to: string };
  readonly referrals: number;
  /** Month (YYYY-MM, the calendar's zone) → source → referrals. */
  readonly referralsByMonthAndSource: ReadonlyArray<{ readonly month: string; readonly source: string; readonly count: number }>;
  readonly screenings: { readonly total: number; readonly eligible: number; readonly needsReview: number; readonly ineligible: number };
  /** Each failing rule of an ineligible screening counts once. */
  readonly screenOutsByReason: Readonly<Record<ReasonCode, number>>;
  /** Of the referrals made in the period, how many reached each step (by now). */
  readonly conversion: {
    readonly referred: number;
    readonly accepted: number;
    readonly pairConfirmed: number;
    readonly conferenceOrIndirect: number;
    readonly restorativeOutcome: number;
  };
  readonly workingDaysFromReferral: {
    readonly toTriage: DurationFigure;
    readonly toPairConfirmed: DurationFigure;
    readonly toFirstContact: DurationFigure;
  };
  /** Participants (a party of a case) reached by a logged contact in the period. */
  readonly peopleSupported: number;
  /** Cases whose last closure fell in the period, by outcome. */
  readonly outcomes: Readonly<Record<ClosingOutcome, number>>;
}

const inPeriod = (t: Date, p: ReportPeriod): boolean => t.getTime() >= p.from.getTime() && t.getTime() < p.to.getTime();

const firstOf = (events: readonly ReportEvent[], types: readonly string[]): ReportEvent | undefined => events.find((e) => types.includes(e.type));

/**
 * Nearest-rank percentile (the smallest value with at least q of the values at or below it): always
 * one of the observed durations, so a figure can be traced to a case. Empty → null.
 */
export function percentile(values: readonly number[], q: number): number | null {
  if (!(q > 0 && q <= 1)) throw new RangeError(`q must be in (0, 1], got ${q}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

/** Rounded to one decimal place: a tenth of a working day is under an hour, finer than anyone acts on. */
const round1 = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);

function durationFigure(values: readonly number[]): DurationFigure {
  return { n: values.length, median: round1(percentile(values, 0.5)), p90: round1(percentile(values, 0.9)) };
}

const RESTORATIVE_TYPES = ['conference_held', 'indirect_completed'] as const;
const PLAN_TYPES = ['conference_scheduled', 'indirect_chosen'] as const;

/**
 * Every event type serviceReport reads: a store may pass a case's events of these types only (the
 * figures are the same as from the whole log), which keeps a year's report to a few rows per case.
 */
export const REPORT_EVENT_TYPES: readonly string[] = [
  'referral_accepted',
  'referral_declined',
  'pair_confirmed',
  CONTACT_LOGGED,
  ...PLAN_TYPES,
  ...RESTORATIVE_TYPES,
  'case_closed',
  'case_reopened',
];

function closingOutcome(data: unknown): ClosingOutcome | undefined {
  if (typeof data !== 'object' || data === null || !('outcome' in data)) return undefined;
  const outcome = (data as { outcome: unknown }).outcome;
  return typeof outcome === 'string' && Object.hasOwn(CLOSING_OUTCOMES, outcome) ? (outcome as ClosingOutcome) : undefined;
}

export function serviceReport(
  input: { readonly cases: readonly ReportCase[]; readonly screenings: readonly ReportScreening[] },
  period: ReportPeriod,
  calendar: WorkingCalendar,
): ServiceReport {
  if (!(period.from.getTime() < period.to.getTime())) throw new RangeError('the report period must end after it starts');
  const cohort = input.cases.filter((c) => inPeriod(c.referredAt, period));

  const byMonth = new Map<string, number>();
  for (const c of cohort) {
    const key = `${calendar.localDate(c.referredAt).slice(0, 7)}\u0000${c.source}`;
    byMonth.set(key, (byMonth.get(key) ?? 0) + 1);
  }
  const referralsByMonthAndSource = [...byMonth.entries()]
    .map(([key, count]) => {
      const [month, source] = key.split('\u0000') as [string, string];
      return { month, source, count };
    })
    .sort((a, b) => a.month.localeCompare(b.month) || a.source.localeCompare(b.source));

  const screenings = input.screenings.filter((s) => inPeriod(s.at, period));
  const screenOutsByReason = Object.fromEntries(REASON_CODES.map((c) => [c, 0])) as Record<ReasonCode, number>;
  for (const s of screenings) {
    if (s.outcome !== 'ineligible') continue;
    for (const code of new Set(s.reasonCodes)) if (Object.hasOwn(screenOutsByReason, code)) screenOutsByReason[code as ReasonCode] += 1;
  }

  const toTriage: number[] = [];
  const toPair: number[] = [];
  const toContact: number[] = [];
  const conversion = { referred: cohort.length, accepted: 0, pairConfirmed: 0, conferenceOrIndirect: 0, restorativeOutcome: 0 };
  for (const c of cohort) {
    const since = (e: ReportEvent | undefined, into: number[]) => {
      if (e) into.push(calendar.workingDaysBetween(c.referredAt, e.at));
    };
    since(firstOf(c.events, ['referral_accepted', 'referral_declined']), toTriage);
    since(firstOf(c.events, ['pair_confirmed']), toPair);
    since(firstOf(c.events, ['contact_logged']), toContact);
    if (firstOf(c.events, ['referral_accepted'])) conversion.accepted += 1;
    if (firstOf(c.events, ['pair_confirmed'])) conversion.pairConfirmed += 1;
    if (firstOf(c.events, PLAN_TYPES)) conversion.conferenceOrIndirect += 1;
    if (firstOf(c.events, RESTORATIVE_TYPES)) conversion.restorativeOutcome += 1;
  }

  const supported = new Set<string>();
  for (const c of input.cases) {
    for (const e of c.events) {
      if (e.type !== CONTACT_LOGGED || !inPeriod(e.at, period)) continue;
      const contact = parseContactLogged(e.data);
      if (contact?.outcome === 'reached') supported.add(`${c.caseId}\u0000${contact.party}`);
    }
  }

  const outcomes = Object.fromEntries(Object.keys(CLOSING_OUTCOMES).map((o) => [o, 0])) as Record<ClosingOutcome, number>;
  for (const c of input.cases) {
    // A reopened case is counted by its last closure only, so it is never counted twice.
    const lastClose = [...c.events].reverse().find((e) => e.type === 'case_closed' || e.type === 'case_reopened');
    if (lastClose?.type !== 'case_closed' || !inPeriod(lastClose.at, period)) continue;
    const outcome = closingOutcome(lastClose.data);
    if (outcome) outcomes[outcome] += 1;
  }

  return {
    period: { from: period.from.toISOString(), to: period.to.toISOString() },
    referrals: cohort.length,
    referralsByMonthAndSource,
    screenings: {
      total: screenings.length,
      eligible: screenings.filter((s) => s.outcome === 'eligible').length,
      needsReview: screenings.filter((s) => s.outcome === 'needs_review').length,
      ineligible: screenings.filter((s) => s.outcome === 'ineligible').length,
    },
    screenOutsByReason,
    conversion,
    workingDaysFromReferral: { toTriage: durationFigure(toTriage), toPairConfirmed: durationFigure(toPair), toFirstContact: durationFigure(toContact) },
    peopleSupported: supported.size,
    outcomes,
  };
}
