import { DateTime } from 'luxon';

/** Injected everywhere time matters so tests control it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export const LONDON = 'Europe/London';

/** Today's date in London, yyyy-mm-dd: the date a referrer would write on a form. */
export function londonDate(at: Date): string {
  return DateTime.fromJSDate(at).setZone(LONDON).toISODate() ?? '';
}

/** "25 November 2026": how dates read on cards. */
export function displayDate(at: Date | string): string {
  const dt = typeof at === 'string' ? DateTime.fromISO(at, { zone: LONDON }) : DateTime.fromJSDate(at).setZone(LONDON);
  return dt.setLocale('en-GB').toFormat('d LLLL yyyy');
}
