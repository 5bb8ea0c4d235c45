/**
 * England and Wales bank holidays, 2025–2030, as published by GOV.UK (substitute days included: a
 * holiday falling on a weekend moves to the next weekday, as in 2026, 2027 and 2028).
 *
 * Beyond the last year listed the calendar knows no holidays; `WorkingCalendar.coversYear` lets
 * the composition root warn before that happens. A deployment extends or replaces this list with a
 * calendar override file (see `parseCalendarOverride`), not by editing code.
 */
export const ENGLAND_AND_WALES_BANK_HOLIDAYS: readonly string[] = [
  // 2025 — Easter Sunday 20 April
  '2025-01-01', '2025-04-18', '2025-04-21', '2025-05-05', '2025-05-26', '2025-08-25', '2025-12-25', '2025-12-26',
  // 2026 — Easter Sunday 5 April; Boxing Day is a Saturday, substitute Monday 28 December
  '2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28',
  // 2027 — Easter Sunday 28 March; Christmas and Boxing Day fall on the weekend
  '2027-01-01', '2027-03-26', '2027-03-29', '2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28',
  // 2028 — Easter Sunday 16 April; New Year's Day is a Saturday
  '2028-01-03', '2028-04-14', '2028-04-17', '2028-05-01', '2028-05-29', '2028-08-28', '2028-12-25', '2028-12-26',
  // 2029 — Easter Sunday 1 April
  '2029-01-01', '2029-03-30', '2029-04-02', '2029-05-07', '2029-05-28', '2029-08-27', '2029-12-25', '2029-12-26',
  // 2030 — Easter Sunday 21 April
  '2030-01-01', '2030-04-19', '2030-04-22', '2030-05-06', '2030-05-27', '2030-08-26', '2030-12-25', '2030-12-26',
];
