import type { ServiceReport } from '../src/domain/reports';
import { card, facts, heading, subtle, type AdaptiveCard, type CardAction } from './adaptive';

/**
 * The coordinators' monthly headline figures, posted to their channel on the first working day of
 * the month. Counts only: no case, person or source is named, since anyone in the channel reads it.
 */
export interface MonthlyReportView {
  /** "November 2026". */
  readonly monthLabel: string;
  readonly report: ServiceReport;
  /** The dashboard tab (a Teams deep link), when the tab's address is configured. */
  readonly dashboardUrl?: string;
}

const days = (d: number | null) => (d === null ? 'none yet' : `${d} working days`);

export function monthlyReportCard(v: MonthlyReportView): AdaptiveCard {
  const r = v.report;
  const closed = Object.values(r.outcomes).reduce((a, b) => a + b, 0);
  const actions: CardAction[] = v.dashboardUrl ? [{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: v.dashboardUrl }] : [];
  return card(
    [
      heading(`Last month: ${v.monthLabel}`),
      facts([
        ['Referrals received', String(r.referrals)],
        ['Accepted', String(r.conversion.accepted)],
        ['Pair confirmed', String(r.conversion.pairConfirmed)],
        ['Conference or indirect', String(r.conversion.conferenceOrIndirect)],
        ['People supported', String(r.peopleSupported)],
        ['Screenings (screened out)', `${r.screenings.total} (${r.screenings.ineligible})`],
        ['Median to first contact', days(r.workingDaysFromReferral.toFirstContact.median)],
        ['Cases closed', String(closed)],
      ]),
      subtle('Counted by the service\'s reporting rules (the dashboard explains them); conversion follows last month\'s referrals to where they are now.'),
    ],
    actions,
  );
}
