import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { ENGLAND_AND_WALES_BANK_HOLIDAYS } from './bankHolidays';

/**
 * The service's working time: by default Europe/London, Monday–Friday 09:00–17:30, without England
 * and Wales bank holidays.
 *
 * Conventions (every method):
 * - Instants in and out are JS `Date` values (absolute instants); luxon is used only inside, so
 *   callers never deal with zones. Wall-clock reasoning always happens in the calendar's zone.
 * - Working time on a working day is the half-open interval [dayStart, dayEnd): 09:00 is inside,
 *   17:30 is not (a ping at 17:30 would land as people leave, so it moves to the next 09:00).
 * - Dates are ISO calendar dates (`YYYY-MM-DD`) in the calendar's zone.
 * - A 09:00 wall-clock time stays 09:00 across daylight-saving changes (08:00Z in summer, 09:00Z in
 *   winter), because days are added in wall-clock terms, never as multiples of 24 hours.
 */
export interface WorkingCalendar {
  readonly zone: string;
  readonly dayStart: string;
  readonly dayEnd: string;
  /** A date (ISO, in the calendar's zone) or the date an instant falls on there. */
  isWorkingDay(date: string | Date): boolean;
  isWorkingTime(instant: Date): boolean;
  /** The instant itself when inside working time, else dayStart on the next working day. */
  nextWorkingStart(instant: Date): Date;
  /**
   * "n working days after `instant`": the instant is first moved to `nextWorkingStart`, then the
   * same wall-clock time n working days later. Because every working day is equally long, this is
   * exactly the point at which n working days' worth of working time has elapsed since the instant:
   * submitted Friday 16:00 + 3 = Wednesday 16:00; submitted Saturday 11:00 + 3 = Thursday 09:00
   * (counting starts Monday 09:00); submitted Friday 17:45 + 1 = Tuesday 09:00. n = 0 is
   * `nextWorkingStart`. The result is always inside working time.
   */
  addWorkingDays(instant: Date, n: number): Date;
  /**
   * "n working days before `instant`", for reminders ahead of an event: the n-th working day before
   * the instant's date, at the instant's wall-clock time when that is inside working time, otherwise
   * at dayStart of that day (an event at 18:00 Monday is reminded of at 09:00 the Friday before, not
   * after the event). n must be at least 1. The result is always inside working time.
   */
  workingDaysBefore(instant: Date, n: number): Date;
  /** `time` (HH:mm, default dayStart) on `date` if that is inside working time, else the next working start. */
  atOrNextWorkingStart(date: string, time?: string): Date;
  /**
   * The working time between two instants, in working days (fractional: half a working day is 0.5).
   * The inverse of `addWorkingDays`: workingDaysBetween(t, addWorkingDays(t, n)) is n once t is in
   * working time. Time outside working hours does not count; negative when `to` is before `from`.
   * Reports measure durations with it ("working days from referral to triage").
   */
  workingDaysBetween(from: Date, to: Date): number;
  /**
   * n calendar days later (n may be negative) at the same wall-clock time. A wall-clock time that
   * does not exist on the target day (01:30 on the spring-forward Sunday) moves forward an hour.
   * The result is not clamped into working time.
   */
  addCalendarDays(instant: Date, n: number): Date;
  /** n calendar months later at the same wall-clock time; 31 January + 1 month is 28/29 February. */
  addCalendarMonths(instant: Date, n: number): Date;
  /** The ISO date an instant falls on in the calendar's zone. */
  localDate(instant: Date): string;
  /** Whether the holiday list includes any day of `year` (beyond its last year, no holidays are known). */
  coversYear(year: number): boolean;
}

export interface WorkingCalendarOptions {
  /** IANA zone; default Europe/London. */
  readonly zone?: string;
  /** HH:mm; default 09:00. */
  readonly dayStart?: string;
  /** HH:mm; default 17:30. */
  readonly dayEnd?: string;
  /** Replaces the shipped England and Wales list. */
  readonly holidays?: readonly string[];
  /** Added to `holidays` (or to the shipped list), e.g. a service closure day. */
  readonly extraHolidays?: readonly string[];
}

export const DEFAULT_ZONE = 'Europe/London';
export const DEFAULT_DAY_START = '09:00';
export const DEFAULT_DAY_END = '17:30';

const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Guards days-forward/backward loops: no real calendar has a year without a working day. */
const MAX_DAYS_SCANNED = 366 * 2;

const MS_PER_DAY = 86_400_000;

/** A calendar date as days since 1970-01-01, so stepping over days is arithmetic, not zone lookups. */
type DayNumber = number;

/** A wall-clock time in the calendar's zone. */
interface Wall {
  readonly day: DayNumber;
  readonly msOfDay: number;
}

function dayNumber(year: number, month: number, day: number): DayNumber {
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

function dayFromIso(iso: string): DayNumber {
  return dayNumber(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10)));
}

function isoOfDay(day: DayNumber): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

function isIsoDate(value: string): boolean {
  return DATE_PATTERN.test(value) && DateTime.fromISO(value, { zone: 'utc' }).isValid;
}

function parseTime(value: string, label: string): { hour: number; minute: number } {
  const match = TIME_PATTERN.exec(value);
  if (!match) throw new RangeError(`${label} must be HH:mm (24-hour), got ${JSON.stringify(value)}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function requireIsoDate(value: string, label: string): void {
  if (!isIsoDate(value)) throw new RangeError(`${label} must be an ISO date YYYY-MM-DD, got ${JSON.stringify(value)}`);
}

function requireInstant(instant: Date, label: string): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new RangeError(`${label} must be a valid Date`);
  }
}

function requireInteger(n: number, label: string, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${label} must be an integer >= ${min}, got ${n}`);
}

export function createWorkingCalendar(options: WorkingCalendarOptions = {}): WorkingCalendar {
  const zone = options.zone ?? DEFAULT_ZONE;
  if (!IANAZone.isValidZone(zone)) throw new RangeError(`zone ${JSON.stringify(zone)} is not a valid IANA zone`);
  const dayStart = options.dayStart ?? DEFAULT_DAY_START;
  const dayEnd = options.dayEnd ?? DEFAULT_DAY_END;
  const start = parseTime(dayStart, 'dayStart');
  const end = parseTime(dayEnd, 'dayEnd');
  if (start.hour * 60 + start.minute >= end.hour * 60 + end.minute) {
    throw new RangeError(`dayStart ${dayStart} must be before dayEnd ${dayEnd}`);
  }
  const holidayList = [...(options.holidays ?? ENGLAND_AND_WALES_BANK_HOLIDAYS), ...(options.extraHolidays ?? [])];
  holidayList.forEach((d) => requireIsoDate(d, 'holiday'));
  const holidays: ReadonlySet<DayNumber> = new Set(holidayList.map(dayFromIso));
  const holidayYears: ReadonlySet<number> = new Set(holidayList.map((d) => Number(d.slice(0, 4))));
  const startMs = (start.hour * 60 + start.minute) * 60_000;
  const endMs = (end.hour * 60 + end.minute) * 60_000;

  // Zone lookups (Intl) are the expensive part, so each operation does at most one conversion in
  // (wallOf) and one out (instantOf); everything between is integer arithmetic on wall-clock time.
  // Comparing wall-clock times is sound here because working hours never contain a DST transition.
  // The zone's offset per UTC day, asked of Intl at the day's two ends: a report over a year of cases
  // converts tens of thousands of instants. A day whose two ends disagree (a DST change) is cached by
  // quarter hour instead, again only where both ends agree, so a cached offset is exact for every
  // instant it covers. Both caches are bounded (a calendar lives as long as the process).
  const ianaZone = IANAZone.create(zone);
  const dayOffsets = new Map<number, number>();
  const quarterOffsets = new Map<number, number>();
  const QUARTER_HOUR = 15 * 60_000;
  const cachedOffset = (cache: Map<number, number>, size: number, ms: number): number | undefined => {
    const bucket = Math.floor(ms / size);
    const known = cache.get(bucket);
    if (known !== undefined) return known;
    const first = ianaZone.offset(bucket * size);
    if (ianaZone.offset((bucket + 1) * size - 1) !== first) return undefined;
    if (cache.size >= 100_000) cache.clear();
    cache.set(bucket, first);
    return first;
  };
  const offsetMinutes = (ms: number): number =>
    cachedOffset(dayOffsets, MS_PER_DAY, ms) ?? cachedOffset(quarterOffsets, QUARTER_HOUR, ms) ?? ianaZone.offset(ms);
  const wallOf = (instant: Date): Wall => {
    const local = instant.getTime() + offsetMinutes(instant.getTime()) * 60_000;
    const day = Math.floor(local / MS_PER_DAY);
    return { day, msOfDay: local - day * MS_PER_DAY };
  };
  const instantOf = (wall: Wall): Date => {
    const f = new Date(wall.day * MS_PER_DAY + wall.msOfDay);
    return DateTime.fromObject(
      {
        year: f.getUTCFullYear(),
        month: f.getUTCMonth() + 1,
        day: f.getUTCDate(),
        hour: f.getUTCHours(),
        minute: f.getUTCMinutes(),
        second: f.getUTCSeconds(),
        millisecond: f.getUTCMilliseconds(),
      },
      { zone },
    ).toJSDate();
  };
  const workingDay = (day: DayNumber): boolean => {
    const weekday = new Date(day * MS_PER_DAY).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !holidays.has(day);
  };
  // Working days before a day, by arithmetic on weekdays less a binary search over the weekday
  // holidays, so a report over 100,000 cases does not walk calendars day by day.
  const weekdayHolidays = [...holidays].filter((d) => {
    const weekday = new Date(d * MS_PER_DAY).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }).sort((a, b) => a - b);
  const MONDAY_EPOCH: DayNumber = 4; // 1970-01-05 was a Monday
  const workingDaysBefore = (day: DayNumber): number => {
    const n = day - MONDAY_EPOCH;
    const weekdays = Math.floor(n / 7) * 5 + Math.min(((n % 7) + 7) % 7, 5);
    let lo = 0;
    let hi = weekdayHolidays.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (weekdayHolidays[mid]! < day) lo = mid + 1;
      else hi = mid;
    }
    return weekdays - lo;
  };
  /** Working days elapsed from a fixed origin to this wall time. */
  const workingPosition = (wall: Wall): number => {
    const within = workingDay(wall.day) ? Math.min(Math.max(wall.msOfDay - startMs, 0), endMs - startMs) / (endMs - startMs) : 0;
    return workingDaysBefore(wall.day) + within;
  };
  const inWorkingTime = (wall: Wall): boolean => workingDay(wall.day) && wall.msOfDay >= startMs && wall.msOfDay < endMs;
  const nextWorkingDay = (day: DayNumber, direction: 1 | -1): DayNumber => {
    let candidate = day;
    for (let i = 0; i < MAX_DAYS_SCANNED; i += 1) {
      candidate += direction;
      if (workingDay(candidate)) return candidate;
    }
    throw new RangeError(`no working day within ${MAX_DAYS_SCANNED} days of ${isoOfDay(day)}`);
  };
  /** Undefined when the wall time is already inside working time. */
  const laterWorkingStart = (wall: Wall): Wall | undefined => {
    if (workingDay(wall.day)) {
      if (wall.msOfDay < startMs) return { day: wall.day, msOfDay: startMs };
      if (wall.msOfDay < endMs) return undefined;
    }
    return { day: nextWorkingDay(wall.day, 1), msOfDay: startMs };
  };

  return {
    zone,
    dayStart,
    dayEnd,
    isWorkingDay(date) {
      if (typeof date === 'string') {
        requireIsoDate(date, 'date');
        return workingDay(dayFromIso(date));
      }
      requireInstant(date, 'date');
      return workingDay(wallOf(date).day);
    },
    isWorkingTime(instant) {
      requireInstant(instant, 'instant');
      return inWorkingTime(wallOf(instant));
    },
    nextWorkingStart(instant) {
      requireInstant(instant, 'instant');
      const later = laterWorkingStart(wallOf(instant));
      return later ? instantOf(later) : new Date(instant.getTime());
    },
    addWorkingDays(instant, n) {
      requireInstant(instant, 'instant');
      requireInteger(n, 'n', 0);
      const wall = wallOf(instant);
      const from = laterWorkingStart(wall);
      if (!from && n === 0) return new Date(instant.getTime());
      let day = (from ?? wall).day;
      for (let i = 0; i < n; i += 1) day = nextWorkingDay(day, 1);
      return instantOf({ day, msOfDay: (from ?? wall).msOfDay });
    },
    workingDaysBefore(instant, n) {
      requireInstant(instant, 'instant');
      requireInteger(n, 'n', 1);
      const wall = wallOf(instant);
      let day = wall.day;
      for (let i = 0; i < n; i += 1) day = nextWorkingDay(day, -1);
      const sameTime = { day, msOfDay: wall.msOfDay };
      return instantOf(inWorkingTime(sameTime) ? sameTime : { day, msOfDay: startMs });
    },
    atOrNextWorkingStart(date, time = dayStart) {
      requireIsoDate(date, 'date');
      const { hour, minute } = parseTime(time, 'time');
      const wall = { day: dayFromIso(date), msOfDay: (hour * 60 + minute) * 60_000 };
      return instantOf(laterWorkingStart(wall) ?? wall);
    },
    workingDaysBetween(from, to) {
      requireInstant(from, 'from');
      requireInstant(to, 'to');
      return workingPosition(wallOf(to)) - workingPosition(wallOf(from));
    },
    addCalendarDays(instant, n) {
      requireInstant(instant, 'instant');
      requireInteger(n, 'n', Number.MIN_SAFE_INTEGER);
      return DateTime.fromJSDate(instant, { zone }).plus({ days: n }).toJSDate();
    },
    addCalendarMonths(instant, n) {
      requireInstant(instant, 'instant');
      requireInteger(n, 'n', Number.MIN_SAFE_INTEGER);
      return DateTime.fromJSDate(instant, { zone }).plus({ months: n }).toJSDate();
    },
    localDate(instant) {
      requireInstant(instant, 'instant');
      return isoOfDay(wallOf(instant).day);
    },
    coversYear(year) {
      return holidayYears.has(year);
    },
  };
}

const isoDateSchema = z.string().refine(isIsoDate, { message: 'expected an ISO date YYYY-MM-DD' });
const timeSchema = z.string().regex(TIME_PATTERN, { message: 'expected HH:mm (24-hour)' });

/**
 * The calendar override file: every field optional. `holidays` replaces the shipped bank holiday
 * list; `extraHolidays` adds days to whichever list is in force (service closures).
 */
export const calendarOverrideSchema = z
  .strictObject({
    zone: z.string().refine((zone) => IANAZone.isValidZone(zone), { message: 'expected an IANA time zone' }).optional(),
    dayStart: timeSchema.optional(),
    dayEnd: timeSchema.optional(),
    holidays: z.array(isoDateSchema).optional(),
    extraHolidays: z.array(isoDateSchema).optional(),
  })
  .refine((o) => o.dayStart === undefined || o.dayEnd === undefined || o.dayStart < o.dayEnd, {
    message: 'dayStart must be before dayEnd',
    path: ['dayStart'],
  });

export type CalendarOverride = z.infer<typeof calendarOverrideSchema>;

export class CalendarOverrideError extends Error {
  override readonly name = 'CalendarOverrideError';
}

/** Validates already-parsed JSON; the message names each offending key (e.g. `holidays.2`). */
export function parseCalendarOverride(content: unknown): CalendarOverride {
  const result = calendarOverrideSchema.safeParse(content);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${path ? `${path}.` : ''}${key}: unknown key`).join('; ');
    }
    return `${path || '(root)'}: ${issue.message}`;
  });
  throw new CalendarOverrideError(`invalid calendar override: ${problems.join('; ')}`);
}
