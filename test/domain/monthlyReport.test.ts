import { isFirstWorkingDayOfMonth, previousMonth } from '../../src/domain/monthlyReport';
import { createWorkingCalendar } from '../../src/domain/workingTime';

const calendar = createWorkingCalendar();

describe('the monthly report goes out on the first working day of the month', () => {
  test.each([
    ['2026-06-01T08:00:00Z', true, 'Monday 1 June'],
    ['2026-08-03T08:00:00Z', true, 'Monday 3 August: the 1st and 2nd are a weekend'],
    ['2026-08-04T08:00:00Z', false, 'Tuesday 4 August: Monday was the first'],
    ['2027-01-04T09:00:00Z', true, 'Monday 4 January 2027: Friday the 1st is New Year\'s Day'],
    ['2027-01-01T09:00:00Z', false, 'New Year\'s Day itself'],
    ['2026-05-01T08:00:00Z', true, 'Friday 1 May (the bank holiday is Monday 4 May)'],
    ['2026-05-04T08:00:00Z', false, 'the early May bank holiday'],
    ['2026-12-01T09:00:00Z', true, 'Tuesday 1 December'],
  ])('%s → %p (%s)', (at, expected) => {
    expect(isFirstWorkingDayOfMonth(calendar, new Date(at))).toBe(expected);
  });

  test('it covers the month before, from its first London midnight to the next (BST and GMT)', () => {
    expect(previousMonth(calendar, new Date('2026-11-02T09:00:00Z'))).toEqual({
      from: new Date('2026-09-30T23:00:00Z'),
      to: new Date('2026-11-01T00:00:00Z'),
      key: '2026-10',
      label: 'October 2026',
    });
    expect(previousMonth(calendar, new Date('2027-01-04T09:00:00Z')).key).toBe('2026-12');
  });
});
