export const DAY = 24 * 3600 * 1000;

/**
 * A Monday 10:00 UTC at least a day after the real time: a working-day start for the app's injected
 * clock, ahead of the stamps the database gives events with its own now(). Tests only move forward from it.
 */
export function nextMonday(): Date {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
