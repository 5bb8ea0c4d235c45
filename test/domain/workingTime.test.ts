import { DateTime } from 'luxon';
import { ENGLAND_AND_WALES_BANK_HOLIDAYS } from '../../src/domain/bankHolidays';
import {
  CalendarOverrideError,
  createWorkingCalendar,
  parseCalendarOverride,
} from '../../src/domain/workingTime';

const calendar = createWorkingCalendar();
const at = (iso: string): Date => new Date(iso);
const london = (d: Date): string => DateTime.fromJSDate(d, { zone: 'Europe/London' }).toFormat("ccc yyyy-MM-dd HH:mm");

describe('shipped bank holidays', () => {
  // Derived independently from the rules (Gregorian computus, fixed Mondays, weekend substitution)
  // so a typo in the data file is caught.
  function easterSunday(year: number): DateTime {
    const a = year % 19;
    const b = Math.floor(year / 100);
    const c = year % 100;
    const d = Math.floor(b / 4);
    const e = b % 4;
    const f = Math.floor((b + 8) / 25);
    const g = Math.floor((b - f + 1) / 3);
    const h = (19 * a + b - d - g + 15) % 30;
    const i = Math.floor(c / 4);
    const k = c % 4;
    const l = (32 + 2 * e + 2 * i - h - k) % 7;
    const m = Math.floor((a + 11 * h + 22 * l) / 451);
    const month = Math.floor((h + l - 7 * m + 114) / 31);
    const day = ((h + l - 7 * m + 114) % 31) + 1;
    return DateTime.utc(year, month, day);
  }
  const mondayOnOrAfter = (d: DateTime): DateTime => d.plus({ days: (8 - d.weekday) % 7 });
  const lastMondayOf = (year: number, month: number): DateTime => {
    const last = DateTime.utc(year, month, 1).endOf('month').startOf('day');
    return last.minus({ days: (last.weekday + 6) % 7 });
  };
  const nextWeekday = (d: DateTime, taken: DateTime[]): DateTime => {
    let x = d;
    while (x.weekday > 5 || taken.some((t) => t.equals(x))) x = x.plus({ days: 1 });
    return x;
  };
  function derived(year: number): string[] {
    const easter = easterSunday(year);
    const newYear = nextWeekday(DateTime.utc(year, 1, 1), []);
    const christmas = nextWeekday(DateTime.utc(year, 12, 25), []);
    const boxing = nextWeekday(DateTime.utc(year, 12, 26), [christmas]);
    return [
      newYear,
      easter.minus({ days: 2 }),
      easter.plus({ days: 1 }),
      mondayOnOrAfter(DateTime.utc(year, 5, 1)),
      lastMondayOf(year, 5),
      lastMondayOf(year, 8),
      christmas,
      boxing,
    ].map((d) => d.toISODate() ?? '');
  }

  test.each([2025, 2026, 2027, 2028, 2029, 2030])('%i matches the rules', (year) => {
    const shipped = ENGLAND_AND_WALES_BANK_HOLIDAYS.filter((d) => d.startsWith(`${year}-`));
    expect(shipped).toEqual(derived(year));
  });

  test.each([
    [2025, true],
    [2030, true],
    [2031, false],
  ])('coversYear(%i) is %s', (year, covered) => {
    expect(calendar.coversYear(year)).toBe(covered);
  });
});

describe('isWorkingDay', () => {
  test.each([
    ['2026-03-27', true, 'Friday before the spring clock change'],
    ['2026-03-28', false, 'Saturday'],
    ['2026-03-29', false, 'Sunday (clocks go forward)'],
    ['2026-04-02', true, 'Maundy Thursday'],
    ['2026-04-03', false, 'Good Friday'],
    ['2026-04-06', false, 'Easter Monday'],
    ['2026-04-07', true, 'Tuesday after Easter'],
    ['2026-12-24', true, 'Christmas Eve'],
    ['2026-12-25', false, 'Christmas Day'],
    ['2026-12-28', false, 'substitute Boxing Day'],
    ['2026-12-29', true, 'Tuesday after Christmas'],
    ['2027-01-01', false, "New Year's Day"],
    ['2027-12-27', false, 'substitute Christmas Day'],
    ['2028-01-03', false, "substitute New Year's Day"],
  ])('%s → %s (%s)', (date, expected) => {
    expect(calendar.isWorkingDay(date)).toBe(expected);
  });

  test.each([
    // 23:30Z on Thursday 2 April is 00:30 BST on Good Friday
    ['2026-04-02T23:30:00Z', false],
    ['2026-04-02T22:30:00Z', true],
    ['2026-12-24T23:59:00Z', true],
    ['2026-12-25T00:00:00Z', false],
  ])('the London date of instant %s → %s', (iso, expected) => {
    expect(calendar.isWorkingDay(at(iso))).toBe(expected);
  });
});

describe('isWorkingTime: [09:00, 17:30) London', () => {
  test.each([
    // winter (GMT = UTC)
    ['2026-01-14T08:59:59.999Z', false],
    ['2026-01-14T09:00:00.000Z', true],
    ['2026-01-14T17:29:59.999Z', true],
    ['2026-01-14T17:30:00.000Z', false],
    // summer (BST = UTC+1): 09:00 London is 08:00Z
    ['2026-07-15T07:59:59.999Z', false],
    ['2026-07-15T08:00:00.000Z', true],
    ['2026-07-15T16:29:59.999Z', true],
    ['2026-07-15T16:30:00.000Z', false],
    // first working day after each clock change
    ['2026-03-30T08:00:00Z', true],
    ['2026-03-30T07:59:00Z', false],
    ['2026-10-26T08:00:00Z', false],
    ['2026-10-26T09:00:00Z', true],
    // weekend and holiday at midday
    ['2026-07-18T11:00:00Z', false],
    ['2026-12-25T12:00:00Z', false],
  ])('%s → %s', (iso, expected) => {
    expect(calendar.isWorkingTime(at(iso))).toBe(expected);
  });
});

describe('nextWorkingStart', () => {
  test.each([
    ['inside working time: itself', '2026-01-14T11:22:33.444Z', '2026-01-14T11:22:33.444Z'],
    ['exactly 09:00: itself', '2026-01-14T09:00:00Z', '2026-01-14T09:00:00Z'],
    ['before 09:00: 09:00 that day', '2026-01-14T06:10:00Z', '2026-01-14T09:00:00Z'],
    ['exactly 17:30: next morning', '2026-01-14T17:30:00Z', '2026-01-15T09:00:00Z'],
    ['late Friday: Monday', '2026-01-16T17:30:00Z', '2026-01-19T09:00:00Z'],
    ['Saturday: Monday', '2026-01-17T12:00:00Z', '2026-01-19T09:00:00Z'],
    ['Friday evening before spring change: Monday 09:00 BST', '2026-03-27T18:00:00Z', '2026-03-30T08:00:00Z'],
    ['Sunday of spring change: Monday 09:00 BST', '2026-03-29T01:30:00Z', '2026-03-30T08:00:00Z'],
    ['Friday evening before autumn change: Monday 09:00 GMT', '2026-10-23T17:00:00Z', '2026-10-26T09:00:00Z'],
    ['Sunday of autumn change, 01:30 the second time', '2026-10-25T01:30:00Z', '2026-10-26T09:00:00Z'],
    ['Maundy Thursday evening: Tuesday after Easter', '2026-04-02T16:45:00Z', '2026-04-07T08:00:00Z'],
    ['Christmas Eve evening: 29 December', '2026-12-24T18:00:00Z', '2026-12-29T09:00:00Z'],
    ['New Year\'s Eve 17:30: 4 January (1 Jan is a Friday)', '2026-12-31T17:30:00Z', '2027-01-04T09:00:00Z'],
    ['Christmas 2027 falls on a weekend: 29 December', '2027-12-24T17:45:00Z', '2027-12-29T09:00:00Z'],
  ])('%s', (_label, input, expected) => {
    expect(calendar.nextWorkingStart(at(input)).toISOString()).toBe(at(expected).toISOString());
  });
});

describe('addWorkingDays: n working days of working time after the instant', () => {
  test.each([
    ['late Friday submission, 16:00 + 3 = Wednesday 16:00', '2026-06-05T15:00:00Z', 3, 'Wed 2026-06-10 16:00'],
    ['Friday 17:45 + 1 = Tuesday 09:00 (counting starts Monday 09:00)', '2026-06-05T16:45:00Z', 1, 'Tue 2026-06-09 09:00'],
    ['Saturday 11:00 + 3 = Thursday 09:00', '2026-06-06T10:00:00Z', 3, 'Thu 2026-06-11 09:00'],
    ['exactly 09:00 Monday + 1 = Tuesday 09:00', '2026-06-08T08:00:00Z', 1, 'Tue 2026-06-09 09:00'],
    ['exactly 17:30 Monday + 1 = Wednesday 09:00', '2026-06-08T16:30:00Z', 1, 'Wed 2026-06-10 09:00'],
    ['17:29 Monday + 1 = Tuesday 17:29', '2026-06-08T16:29:00Z', 1, 'Tue 2026-06-09 17:29'],
    ['n = 0 inside working time is the instant', '2026-06-08T12:00:00Z', 0, 'Mon 2026-06-08 13:00'],
    ['n = 0 on a Sunday is Monday 09:00', '2026-06-07T12:00:00Z', 0, 'Mon 2026-06-08 09:00'],
    ['across the spring change, wall clock kept', '2026-03-26T10:00:00Z', 3, 'Tue 2026-03-31 10:00'],
    ['across the autumn change, wall clock kept', '2026-10-23T08:00:00Z', 1, 'Mon 2026-10-26 09:00'],
    ['over Easter 2026', '2026-04-02T14:00:00Z', 1, 'Tue 2026-04-07 15:00'],
    ['over Easter 2027 (25 March + 2)', '2027-03-25T12:00:00Z', 2, 'Wed 2027-03-31 12:00'],
    ['over Christmas 2026', '2026-12-23T12:00:00Z', 3, 'Wed 2026-12-30 12:00'],
    ['over New Year 2027', '2026-12-31T12:00:00Z', 1, 'Mon 2027-01-04 12:00'],
    ['over the late May bank holiday', '2026-05-22T09:00:00Z', 8, 'Thu 2026-06-04 10:00'],
  ])('%s', (_label, input, n, expectedLondon) => {
    const result = calendar.addWorkingDays(at(input), n);
    expect(london(result)).toBe(expectedLondon);
    expect(calendar.isWorkingTime(result)).toBe(true);
  });

  test.each([-1, 1.5, Number.NaN])('rejects n = %p', (n) => {
    expect(() => calendar.addWorkingDays(at('2026-06-08T12:00:00Z'), n)).toThrow(RangeError);
  });

  test('rejects an invalid Date', () => {
    expect(() => calendar.addWorkingDays(new Date('nope'), 1)).toThrow(RangeError);
  });
});

describe('workingDaysBetween: working time elapsed, in working days', () => {
  test.each([
    ['same instant', '2026-06-08T10:00:00Z', '2026-06-08T10:00:00Z', 0],
    ['half a working day (4h15 of 8h30)', '2026-06-08T08:00:00Z', '2026-06-08T12:15:00Z', 0.5],
    ['Friday 16:00 to Wednesday 16:00 is 3', '2026-06-05T15:00:00Z', '2026-06-10T15:00:00Z', 3],
    ['a weekend counts for nothing (Friday 17:30 to Monday 09:00)', '2026-06-05T16:30:00Z', '2026-06-08T08:00:00Z', 0],
    ['evening hours count for nothing (18:00 to 08:00 next day)', '2026-06-08T17:00:00Z', '2026-06-09T07:00:00Z', 0],
    ['Saturday to Thursday 09:00 is 3', '2026-06-06T10:00:00Z', '2026-06-11T08:00:00Z', 3],
    ['over Easter 2026 (Thursday 15:00 to Tuesday 15:00)', '2026-04-02T14:00:00Z', '2026-04-07T14:00:00Z', 1],
    ['over Christmas and New Year 2026', '2026-12-23T12:00:00Z', '2027-01-04T12:00:00Z', 5],
    ['across the spring clock change, wall clock kept', '2026-03-26T10:00:00Z', '2026-03-31T09:00:00Z', 3],
    ['backwards is negative', '2026-06-10T15:00:00Z', '2026-06-05T15:00:00Z', -3],
    ['the whole of 2026: 261 weekdays less 8 bank holidays', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 261 - 8],
  ])('%s', (_label, from, to, expected) => {
    expect(calendar.workingDaysBetween(at(from), at(to))).toBeCloseTo(expected, 9);
  });

  test.each([
    ['2026-06-05T15:00:00Z', 3],
    ['2026-06-06T10:00:00Z', 3],
    ['2026-12-23T12:00:00Z', 3],
    ['2026-03-26T10:00:00Z', 3],
    ['2026-05-22T09:00:00Z', 8],
    ['2026-06-08T08:00:00Z', 0],
  ])('is the inverse of addWorkingDays from %s + %d (once inside working time)', (from, n) => {
    const start = calendar.nextWorkingStart(at(from));
    expect(calendar.workingDaysBetween(start, calendar.addWorkingDays(at(from), n))).toBeCloseTo(n, 9);
  });
});

describe('workingDaysBefore', () => {
  test.each([
    ['Monday 10:00 − 1 = Friday 10:00', '2026-11-30T10:00:00Z', 1, 'Fri 2026-11-27 10:00'],
    ['Monday 18:00 − 1 = Friday 09:00 (not after the event)', '2026-11-30T18:00:00Z', 1, 'Fri 2026-11-27 09:00'],
    ['Monday 08:00 − 1 = Friday 09:00', '2026-11-30T08:00:00Z', 1, 'Fri 2026-11-27 09:00'],
    ['Sunday 14:00 − 1 = Friday 14:00', '2026-11-29T14:00:00Z', 1, 'Fri 2026-11-27 14:00'],
    ['Tuesday after Easter − 1 = Maundy Thursday', '2026-04-07T13:00:00Z', 1, 'Thu 2026-04-02 14:00'],
    ['Monday after the spring change − 1 = Friday, wall clock kept', '2026-03-30T09:00:00Z', 1, 'Fri 2026-03-27 10:00'],
    ['Tuesday 29 December 2026 − 2 = Wednesday 23rd', '2026-12-29T11:00:00Z', 2, 'Wed 2026-12-23 11:00'],
  ])('%s', (_label, input, n, expectedLondon) => {
    const result = calendar.workingDaysBefore(at(input), n);
    expect(london(result)).toBe(expectedLondon);
    expect(calendar.isWorkingTime(result)).toBe(true);
  });

  test('rejects n = 0', () => {
    expect(() => calendar.workingDaysBefore(at('2026-11-30T10:00:00Z'), 0)).toThrow(RangeError);
  });
});

describe('atOrNextWorkingStart', () => {
  test.each([
    ['2026-11-25', undefined, '2026-11-25T09:00:00.000Z'],
    ['2026-07-01', undefined, '2026-07-01T08:00:00.000Z'],
    ['2026-03-27', undefined, '2026-03-27T09:00:00.000Z'],
    ['2026-03-29', undefined, '2026-03-30T08:00:00.000Z'],
    ['2026-03-30', undefined, '2026-03-30T08:00:00.000Z'],
    ['2026-10-23', undefined, '2026-10-23T08:00:00.000Z'],
    ['2026-10-25', undefined, '2026-10-26T09:00:00.000Z'],
    ['2026-10-26', undefined, '2026-10-26T09:00:00.000Z'],
    ['2026-11-28', undefined, '2026-11-30T09:00:00.000Z'],
    ['2026-12-25', undefined, '2026-12-29T09:00:00.000Z'],
    ['2027-01-01', undefined, '2027-01-04T09:00:00.000Z'],
    ['2026-04-03', undefined, '2026-04-07T08:00:00.000Z'],
    ['2026-11-25', '17:29', '2026-11-25T17:29:00.000Z'],
    ['2026-11-25', '17:30', '2026-11-26T09:00:00.000Z'],
    ['2026-11-25', '07:00', '2026-11-25T09:00:00.000Z'],
    ['2026-11-27', '18:00', '2026-11-30T09:00:00.000Z'],
  ])('%s at %s → %s', (date, time, expected) => {
    expect(calendar.atOrNextWorkingStart(date, time).toISOString()).toBe(expected);
  });

  test('09:00 London stays 09:00 London on every working day of 2026', () => {
    const wrong: string[] = [];
    for (let d = DateTime.fromISO('2026-01-01', { zone: 'utc' }); d.year === 2026; d = d.plus({ days: 1 })) {
      const date = d.toISODate() ?? '';
      if (!calendar.isWorkingDay(date)) continue;
      const result = calendar.atOrNextWorkingStart(date);
      if (london(result).slice(4) !== `${date} 09:00`) wrong.push(`${date} → ${london(result)}`);
    }
    expect(wrong).toEqual([]);
  });

  test.each([['2026-02-30'], ['26-11-25'], ['2026-11-25T09:00']])('rejects date %s', (date) => {
    expect(() => calendar.atOrNextWorkingStart(date)).toThrow(RangeError);
  });

  test('rejects a bad time', () => {
    expect(() => calendar.atOrNextWorkingStart('2026-11-25', '9am')).toThrow(RangeError);
  });
});

describe('addCalendarDays and addCalendarMonths keep London wall-clock time', () => {
  test.each([
    ['into BST', '2026-03-28T09:00:00Z', 1, '2026-03-29T08:00:00.000Z'],
    ['out of BST', '2026-10-24T08:00:00Z', 1, '2026-10-25T09:00:00.000Z'],
    ['backwards over the spring change', '2026-04-02T13:00:00Z', -7, '2026-03-26T14:00:00.000Z'],
    ['28 days over the autumn change', '2026-10-01T10:00:00Z', 28, '2026-10-29T11:00:00.000Z'],
    ['a skipped wall time moves forward an hour', '2026-03-28T01:30:00Z', 1, '2026-03-29T01:30:00.000Z'],
  ])('%s', (_label, input, n, expected) => {
    expect(calendar.addCalendarDays(at(input), n).toISOString()).toBe(expected);
  });

  test.each([
    ['3 months over the autumn change', '2026-09-15T08:00:00Z', 3, '2026-12-15T09:00:00.000Z'],
    ['31 January + 1 month is 28 February', '2026-01-31T12:00:00Z', 1, '2026-02-28T12:00:00.000Z'],
  ])('%s', (_label, input, n, expected) => {
    expect(calendar.addCalendarMonths(at(input), n).toISOString()).toBe(expected);
  });

  test.each([
    ['2026-04-02T23:30:00Z', '2026-04-03'],
    ['2026-12-31T23:59:00Z', '2026-12-31'],
  ])('localDate(%s) = %s', (iso, date) => {
    expect(calendar.localDate(at(iso))).toBe(date);
  });
});

describe('createWorkingCalendar options', () => {
  test.each([
    ['shipped list', {}, '2026-12-25', false],
    ['holidays replaces the list', { holidays: ['2026-12-24'] }, '2026-12-25', true],
    ['holidays replaces the list (new day is off)', { holidays: ['2026-12-24'] }, '2026-12-24', false],
    ['extraHolidays extends the shipped list', { extraHolidays: ['2026-12-24'] }, '2026-12-24', false],
    ['extraHolidays keeps the shipped days', { extraHolidays: ['2026-12-24'] }, '2026-12-25', false],
    ['an empty list means no holidays', { holidays: [] }, '2026-04-03', true],
  ])('%s', (_label, options, date, working) => {
    expect(createWorkingCalendar(options).isWorkingDay(date)).toBe(working);
  });

  test('dayStart and dayEnd move the working window', () => {
    const short = createWorkingCalendar({ dayStart: '10:00', dayEnd: '16:00' });
    expect(short.nextWorkingStart(at('2026-01-14T09:30:00Z')).toISOString()).toBe('2026-01-14T10:00:00.000Z');
    expect(short.isWorkingTime(at('2026-01-14T16:00:00Z'))).toBe(false);
    expect(short.atOrNextWorkingStart('2026-01-14')).toEqual(at('2026-01-14T10:00:00Z'));
  });

  test.each([
    [{ zone: 'Mars/Olympus' }],
    [{ dayStart: '9:00' }],
    [{ dayStart: '17:30', dayEnd: '09:00' }],
    [{ holidays: ['2026-13-01'] }],
    [{ extraHolidays: ['tomorrow'] }],
  ])('rejects %j', (options) => {
    expect(() => createWorkingCalendar(options)).toThrow(RangeError);
  });
});

describe('parseCalendarOverride', () => {
  test.each([
    [{}, {}],
    [{ extraHolidays: ['2026-12-24'] }, { extraHolidays: ['2026-12-24'] }],
    [{ holidays: [], dayEnd: '17:00' }, { holidays: [], dayEnd: '17:00' }],
  ])('accepts %j', (input, expected) => {
    expect(parseCalendarOverride(input)).toEqual(expected);
  });

  test.each([
    [{ holidays: ['2026-12-25', '2026-02-30'] }, 'holidays.1'],
    [{ holiday: ['2026-12-25'] }, 'holiday: unknown key'],
    [{ extraHolidays: '2026-12-24' }, 'extraHolidays'],
    [{ dayStart: '9am' }, 'dayStart'],
    [{ dayStart: '18:00', dayEnd: '09:00' }, 'dayStart'],
    [{ zone: 'Nowhere/Land' }, 'zone'],
    [null, '(root)'],
    [['2026-12-25'], '(root)'],
  ])('rejects %j naming %s', (input, named) => {
    expect(() => parseCalendarOverride(input)).toThrow(CalendarOverrideError);
    expect(() => parseCalendarOverride(input)).toThrow(named);
  });

  test('a parsed override builds a calendar', () => {
    const override = parseCalendarOverride({ extraHolidays: ['2026-12-24'] });
    expect(createWorkingCalendar(override).nextWorkingStart(at('2026-12-23T18:00:00Z')).toISOString()).toBe(
      '2026-12-29T09:00:00.000Z',
    );
  });
});
