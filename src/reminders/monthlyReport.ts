import type { Pool } from 'pg';
import { monthlyReportCard } from '../../cards/monthlyReport';
import type { Clock } from '../shared/clock';
import { isFirstWorkingDayOfMonth, previousMonth } from '../domain/monthlyReport';
import { serviceReport } from '../domain/reports';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import { DashboardRepository } from '../store/dashboardRepository';
import type { ReminderMessenger } from './delivery';

/** The Job Scheduler (BullMQ) and job name of the monthly report; reconciled with the daily one. */
export const MONTHLY_REPORT_SCHEDULER = 'reports.monthly';
export const MONTHLY_REPORT_JOB = 'reports.monthly-card';

export type MonthlyReportOutcome = 'sent' | 'not_first_working_day' | 'already_sent' | 'no_channel';

export interface MonthlyReportDeps {
  pool: Pool;
  calendar: WorkingCalendar;
  clock: Clock;
  log: Logger;
  messenger: ReminderMessenger;
  referralsChannel: () => Promise<string | undefined>;
  /** Where the card's button opens the dashboard; no button without it. */
  dashboardUrl?: string;
}

/**
 * Last month's headline figures to the coordinators' channel, once per month. The month is claimed
 * in `settings` before sending, so two workers (or a retried job) post it once; a failed send gives
 * the claim back and throws, so BullMQ's retry can try again.
 */
export class MonthlyReportJob {
  constructor(private readonly d: MonthlyReportDeps) {}

  async run(): Promise<MonthlyReportOutcome> {
    const now = this.d.clock();
    if (!isFirstWorkingDayOfMonth(this.d.calendar, now)) return 'not_first_working_day';
    const channel = await this.d.referralsChannel();
    if (!channel) {
      this.d.log.warn('monthly report not sent: no referrals channel is registered');
      return 'no_channel';
    }
    const month = previousMonth(this.d.calendar, now);
    const key = `monthly_report_sent:${month.key}`;
    const claimed = await this.d.pool.query(
      "INSERT INTO settings (key, value, updated_by) VALUES ($1, $2::jsonb, 'system') ON CONFLICT (key) DO NOTHING",
      [key, JSON.stringify({ at: now.toISOString() })],
    );
    if (claimed.rowCount !== 1) return 'already_sent';
    try {
      const input = await new DashboardRepository(this.d.pool).reportInput(month.from, month.to);
      const report = serviceReport(input, month, this.d.calendar);
      const sent = await this.d.messenger.sendToConversation(channel, monthlyReportCard({ monthLabel: month.label, report, ...(this.d.dashboardUrl ? { dashboardUrl: this.d.dashboardUrl } : {}) }));
      if (!sent.ok) throw new Error(`sending the monthly report failed: ${sent.kind} ${sent.status ?? ''}`.trim());
    } catch (err) {
      await this.d.pool.query('DELETE FROM settings WHERE key = $1', [key]);
      throw err;
    }
    this.d.log.info({ month: month.key }, 'monthly report sent');
    return 'sent';
  }
}
