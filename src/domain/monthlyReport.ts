import { DateTime } from 'luxon';
import type { WorkingCalendar } from './workingTime';

/*
 * When the monthly report goes out and which month it covers. A cron pattern cannot say "the first
 * working day" (bank holidays move it), so the job runs at 09:00 on each weekday of the first week
 * and asks this whether today is the day.
 */

/** Weekdays 1-7 of the month at 09:00 in the calendar's zone: the first working day is among them. */
export const MONTHLY_REPORT_CRON = '0 9 1-7 * 1-5';

export function isFirstWorkingDayOfMonth(calendar: WorkingCalendar, instant: Date): boolean {
  const today = DateTime.fromJSDate(instant).setZone(calendar.zone);
  if (!calendar.isWorkingDay(today.toISODate() ?? '')) return false;
  for (let d = today.startOf('month'); d < today.startOf('day'); d = d.plus({ days: 1 })) {
    if (calendar.isWorkingDay(d.toISODate() ?? '')) return false;
  }
  return true;
}

/** The calendar month before the one `instant` falls in, half-open, in the calendar's zone. */
export function previousMonth(calendar: WorkingCalendar, instant: Date): { from: Date; to: Date; key: string; label: string } {
  const to = DateTime.fromJSDate(instant).setZone(calendar.zone).startOf('month');
  const from = to.minus({ months: 1 });
  return { from: from.toJSDate(), to: to.toJSDate(), key: from.toFormat('yyyy-MM'), label: from.setLocale('en-GB').toFormat('LLLL yyyy') };
}
