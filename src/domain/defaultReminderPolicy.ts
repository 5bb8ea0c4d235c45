import type { ReminderPolicy } from './reminderPolicy';

/**
 * The service's reminder policy (DESIGN.md, "Reminders: a pure function of case state"). Durations
 * named `…WorkingDays` count working days of the calendar; `…Days` and `…Months` are calendar days
 * and months at the same London wall-clock time. Every due instant is then moved into working time.
 * A deployment overrides any of these with `mergePolicy`, not by editing this file. Frozen because
 * it is shared by every caller.
 */
export const DEFAULT_REMINDER_POLICY: ReminderPolicy = Object.freeze({
  triage: Object.freeze({ firstAfterWorkingDays: 3, repeatEveryWorkingDays: 1 }),
  assignmentAnswer: Object.freeze({ remindAfterWorkingDays: 2, escalateAfterFurtherWorkingDays: 1 }),
  firstContact: Object.freeze({ remindAfterWorkingDays: 8, escalateAfterWorkingDays: 10 }),
  followUp: Object.freeze({ at: '09:00' }),
  staleCase: Object.freeze({ afterDays: 28, repeatEveryDays: 14 }),
  conference: Object.freeze({ firstNoticeDaysBefore: 7, lastNoticeWorkingDaysBefore: 1, outcomeDueDaysAfter: 1, outcomeDueAt: '09:00' }),
  agreementReview: Object.freeze({ afterMonths: 3, at: '09:00' }),
  reRefer: Object.freeze({ at: '09:00' }),
});
