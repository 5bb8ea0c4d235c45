import { anonymiseOn, closedBefore, draftsBefore, retentionStatus } from '../../src/domain/retention';

const rules = { years: 7, draftDays: 30, zone: 'Europe/London' };
const d = (iso: string) => new Date(iso);

describe('retention of a closed case', () => {
  test.each([
    ['closed in winter (GMT)', '2026-01-15T10:00:00Z', '2033-01-15T10:00:00.000Z'],
    ['closed in summer (BST): the same London wall-clock time', '2026-07-15T09:00:00Z', '2033-07-15T09:00:00.000Z'],
    ['closed on 29 February: the last day of February seven years on', '2028-02-29T12:00:00Z', '2035-02-28T12:00:00.000Z'],
  ])('%s', (_n, closed, due) => {
    expect(anonymiseOn(d(closed), rules).toISOString()).toBe(due);
  });

  test('closedBefore is the inverse: a case closed exactly then is due', () => {
    const now = d('2033-01-15T10:00:00Z');
    expect(closedBefore(now, rules).toISOString()).toBe('2026-01-15T10:00:00.000Z');
  });

  test.each([
    ['open case', { closedAt: null, heldSince: null, anonymisedAt: null }, '2040-01-01T00:00:00Z', 'open'],
    ['closed last year', { closedAt: d('2026-01-15T10:00:00Z'), heldSince: null, anonymisedAt: null }, '2027-01-01T00:00:00Z', 'kept'],
    ['closed a minute short of seven years', { closedAt: d('2026-01-15T10:00:00Z'), heldSince: null, anonymisedAt: null }, '2033-01-15T09:59:00Z', 'kept'],
    ['closed seven years ago to the minute', { closedAt: d('2026-01-15T10:00:00Z'), heldSince: null, anonymisedAt: null }, '2033-01-15T10:00:00Z', 'due'],
    ['closed eight years ago, on legal hold', { closedAt: d('2026-01-15T10:00:00Z'), heldSince: d('2030-01-01T00:00:00Z'), anonymisedAt: null }, '2034-01-15T10:00:00Z', 'held'],
    ['already anonymised', { closedAt: d('2026-01-15T10:00:00Z'), heldSince: null, anonymisedAt: d('2033-01-16T02:30:00Z') }, '2034-01-15T10:00:00Z', 'anonymised'],
  ] as const)('%s', (_n, c, now, kind) => {
    expect(retentionStatus(c, d(now), rules).kind).toBe(kind);
  });
});

test('drafts untouched for the retention days are abandoned', () => {
  expect(draftsBefore(d('2026-12-31T00:00:00Z'), rules).toISOString()).toBe('2026-12-01T00:00:00.000Z');
});
