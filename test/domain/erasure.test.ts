import { erasureDates, erasureReminderDue, partyFromWords } from '../../src/domain/erasure';

test.each([
  ['2026-12-03', '2026-12-31', '2026-12-24'],
  ['2027-02-10', '2027-03-10', '2027-03-03'],
  ['2028-02-01', '2028-02-29', '2028-02-22'],
])('received %s: due %s, coordinators reminded from %s', (received, due, remind) => {
  expect(erasureDates(received)).toEqual({ dueOn: due, remindOn: remind });
});

test.each([
  ['day 20: not yet', { remindOn: '2026-12-24', decided: false, reminded: false }, '2026-12-23', false],
  ['day 21: remind', { remindOn: '2026-12-24', decided: false, reminded: false }, '2026-12-24', true],
  ['past day 21, never reminded (the job was down): remind', { remindOn: '2026-12-24', decided: false, reminded: false }, '2027-01-02', true],
  ['already reminded', { remindOn: '2026-12-24', decided: false, reminded: true }, '2026-12-25', false],
  ['decided', { remindOn: '2026-12-24', decided: true, reminded: false }, '2026-12-25', false],
] as const)('%s', (_n, r, today, expected) => {
  expect(erasureReminderDue(r, today)).toBe(expected);
});

test.each([
  ['harmed person', 'harmed_person'],
  ['Harmed  Person', 'harmed_person'],
  ['harmed-person', 'harmed_person'],
  ['harmed_person', 'harmed_person'],
  ['offender', 'offender'],
  ['person who caused the harm', 'offender'],
  ['referrer', undefined],
  ['', undefined],
])('"%s" is %s', (words, party) => {
  expect(partyFromWords(words)).toBe(party);
});
