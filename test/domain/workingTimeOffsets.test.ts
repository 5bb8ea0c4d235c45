import { DateTime } from 'luxon';
import { createWorkingCalendar } from '../../src/domain/workingTime';

/*
 * The calendar caches the zone's offset per day (and per quarter hour on a DST day): every instant
 * around the 2026 clock changes, and on ordinary days, reads the same wall-clock time as luxon.
 */
describe('cached zone offsets', () => {
  test.each(['Europe/London', 'America/St_Johns', 'Australia/Lord_Howe'])('%s: every minute around both 2026 clock changes', (zone) => {
    const calendar = createWorkingCalendar({ zone, holidays: [] });
    const ranges = [
      ['2026-03-27T00:00:00Z', '2026-04-07T00:00:00Z'],
      ['2026-10-01T00:00:00Z', '2026-11-05T00:00:00Z'],
      ['2026-07-01T00:00:00Z', '2026-07-03T00:00:00Z'],
    ];
    for (const [from, to] of ranges) {
      for (let ms = Date.parse(from!); ms < Date.parse(to!); ms += 60_000) {
        const instant = new Date(ms);
        const local = DateTime.fromJSDate(instant, { zone });
        if (calendar.localDate(instant) !== local.toISODate()) throw new Error(`${zone} ${instant.toISOString()}: ${calendar.localDate(instant)} vs ${local.toISODate()}`);
        const working = local.weekday <= 5 && local.hour * 60 + local.minute >= 9 * 60 && local.hour * 60 + local.minute < 17 * 60 + 30;
        if (calendar.isWorkingTime(instant) !== working) throw new Error(`${zone} ${instant.toISOString()}: isWorkingTime`);
      }
    }
  });
});
