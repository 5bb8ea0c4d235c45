import { readFile } from 'node:fs/promises';
import {
  CalendarOverrideError,
  createWorkingCalendar,
  parseCalendarOverride,
  type CalendarOverride,
  type WorkingCalendar,
} from './domain/workingTime';

/**
 * Reads and validates a calendar override file (JSON: `{ holidays?, extraHolidays?, zone?,
 * dayStart?, dayEnd? }`). Errors name the file, so a bad `BANK_HOLIDAYS_FILE` stops start-up with
 * a message an operator can act on.
 */
export async function loadCalendarOverride(path: string): Promise<CalendarOverride> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CalendarOverrideError(`cannot read calendar file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CalendarOverrideError(`calendar file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return parseCalendarOverride(json);
  } catch (error) {
    throw new CalendarOverrideError(`${path}: ${(error as Error).message}`);
  }
}

/** An empty path (the `BANK_HOLIDAYS_FILE` default) means the shipped England and Wales calendar. */
export async function loadWorkingCalendar(path: string): Promise<WorkingCalendar> {
  return createWorkingCalendar(path ? await loadCalendarOverride(path) : {});
}
