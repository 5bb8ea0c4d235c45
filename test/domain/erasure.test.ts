import { erasureDates, erasureReminderDue, partyFromWords, recordingRefusal } from '../../src/domain/erasure';

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

describe('recordingRefusal: nothing is written under a destroyed key', () => {
  const on = new Date('2026-12-01T10:00:00Z');
  test.each<[string, Parameters<typeof recordingRefusal>[0], Parameters<typeof recordingRefusal>[1], string | undefined]>([
    ['an open case, nobody erased', {}, 'harmed_person', undefined],
    ['the case as a whole, nobody erased', {}, undefined, undefined],
    ['an anonymised case, about anyone', { anonymisedAt: on }, 'offender', 'anonymised'],
    ['an anonymised case, about the case', { anonymisedAt: on }, undefined, 'anonymised'],
    ['about the erased person', { erased: { harmed_person: on } }, 'harmed_person', 'The data of the harmed person was erased'],
    ['about the other person', { erased: { harmed_person: on } }, 'offender', undefined],
    ['about the case when one person is erased', { erased: { offender: on } }, undefined, undefined],
  ])('%s', (_name, retention, party, expected) => {
    const r = recordingRefusal(retention, party);
    if (expected === undefined) expect(r).toBeUndefined();
    else expect(r).toContain(expected);
  });
});
