import { bearerMatches, createMetrics, noMetrics } from '../../src/metrics';

test('counts turns, card actions, sends, lateness and reconciles under their names, with safe labels only', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.turn('message', 'ok');
  m.turn('message', 'ok');
  m.turn('invoke', 'refused');
  m.cardAction('triage.accept', 'ok');
  m.cardAction('Harriet Victim <script>', 'invalid');
  m.proactiveSend(201);
  m.proactiveSend(429);
  m.proactiveSend('error');
  m.reminderLateness(3);
  m.reconcileDuration('all', 0.2);
  const body = (await m.scrape())!.body;
  expect(body).toMatch(/rj_turns_total\{kind="message",outcome="ok",service="rj-referrals"\} 2/);
  expect(body).toMatch(/rj_turns_total\{kind="invoke",outcome="refused",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_card_actions_total\{verb="triage.accept",outcome="ok",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_card_actions_total\{verb="other",outcome="invalid",service="rj-referrals"\} 1/);
  expect(body).not.toContain('Harriet');
  expect(body).toMatch(/rj_proactive_sends_total\{status="429",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_proactive_sends_total\{status="error",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_reminder_lateness_seconds_bucket\{le="5",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_reconcile_duration_seconds_count\{service="rj-referrals",scope="all"\} 1/);
});

test('reads queue, outbox and pool figures from their owners when scraped, summing several sources', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.addSources({ queue: async () => ({ waiting: 1, delayed: 40, failed: 2 }), pgPool: () => ({ total: 5, idle: 3, waiting: 0 }) });
  m.addSources({ outbox: async () => ({ backlog: 7, oldestAgeSeconds: 12.5 }) });
  const body = (await m.scrape())!.body;
  expect(body).toMatch(/rj_reminder_queue_jobs\{state="delayed",service="rj-referrals"\} 40/);
  expect(body).toMatch(/rj_reminder_queue_jobs\{state="failed",service="rj-referrals"\} 2/);
  expect(body).toMatch(/rj_outbox_backlog\{service="rj-referrals"\} 7/);
  expect(body).toMatch(/rj_outbox_oldest_age_seconds\{service="rj-referrals"\} 12.5/);
  expect(body).toMatch(/rj_pg_pool_clients\{state="in_use",service="rj-referrals"\} 2/);
});

test('off: records nothing and exposes nothing', async () => {
  noMetrics.turn('message', 'ok');
  expect(await noMetrics.scrape()).toBeUndefined();
});

test.each([
  ['Bearer s3cret-token-0123456789', true],
  ['Bearer s3cret-token-012345678', false],
  ['Bearer ', false],
  ['s3cret-token-0123456789', false],
  [undefined, false],
])('bearer %p matches: %p', (header, expected) => {
  expect(bearerMatches(header, 's3cret-token-0123456789')).toBe(expected);
});
