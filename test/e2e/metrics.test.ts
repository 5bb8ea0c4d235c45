import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, PARTNER_TENANT } from '../support/app';
import { postActivity, teamsChannel, type TeamsUser } from '../support/activities';

const TOKEN = 'metrics-token-0123456789-abcdef';
const erin: TeamsUser = { aadObjectId: 'eeeeeeee-0000-4000-8000-00000000e0e1', tenantId: PARTNER_TENANT, name: 'Erin Officer' };

let db: TestDatabase;
let redis: TestRedisSpace;
let connector: ConnectorEmulator;
const apps: App[] = [];

beforeAll(async () => {
  db = await createTestDatabase('e2e_metrics');
  redis = testRedisSpace();
  connector = await startConnector();
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await connector?.close();
  await redis?.flushPrefix();
  await db?.drop();
});

async function start(env: Record<string, string>): Promise<App> {
  const app = await startTestApp({ databaseUrl: db.url, redisUrl: redis.url, env: { REDIS_KEY_PREFIX: `{${redis.prefix}}`, ...env } });
  apps.push(app);
  return app;
}

const scrape = (app: App, token?: string) => fetch(`${app.url}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});

test('/metrics is off (404) unless METRICS_TOKEN is set', async () => {
  const app = await start({});
  expect((await scrape(app, TOKEN)).status).toBe(404);
});

test('/metrics answers 401 without the token, and counts turns and card actions with it, and reads the outbox, pool and queue', async () => {
  const app = await start({ METRICS_TOKEN: TOKEN });
  expect((await scrape(app)).status).toBe(401);
  expect((await scrape(app, `${TOKEN}x`)).status).toBe(401);

  const teams = teamsChannel({ serviceUrl: connector.url });
  expect((await postActivity(app.url, teams.message('help', erin))).status).toBe(200);
  expect((await postActivity(app.url, { ...teams.message('help', erin), channelId: 'webchat' })).status).toBe(403);
  // A card verb nobody knows: answered with a 400 on the card, counted as invalid under the label "unknown".
  const invoke = await postActivity(app.url, teams.adaptiveCardAction('no.such.verb', {}, erin, { replyToId: '1:card-in-chat' }));
  expect(invoke.status).toBe(400);
  await app.idle();

  const res = await scrape(app, TOKEN);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const body = await res.text();
  expect(body).toMatch(/rj_turns_total\{kind="message",outcome="ok",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_turns_total\{kind="message",outcome="refused",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_turns_total\{kind="invoke\/adaptiveCard\/action",outcome="ok",service="rj-referrals"\} 1/);
  expect(body).toMatch(/rj_card_actions_total\{verb="unknown",outcome="invalid",service="rj-referrals"\} 1/);
  // Replies within a turn are not proactive sends (those are counted in test/integration/metrics.test.ts).
  expect(body).toMatch(/rj_outbox_backlog\{service="rj-referrals"\} 0/);
  expect(body).toMatch(/rj_pg_pool_clients\{state="idle",service="rj-referrals"\} \d+/);
  expect(body).toMatch(/rj_reminder_queue_jobs\{state="delayed",service="rj-referrals"\} \d+/);
  // Process metrics stay off: they cost throughput, and the platform measures the container.
  expect(body).not.toMatch(/process_cpu_seconds_total/);
  expect(body).not.toContain('Erin');
});

test('a WORKER_ONLY process serves /healthz and /metrics, but no /api/messages', async () => {
  const worker = await start({ METRICS_TOKEN: TOKEN, WORKER_ONLY: '1' });
  expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
  expect((await scrape(worker, TOKEN)).status).toBe(200);
  const teams = teamsChannel({ serviceUrl: connector.url });
  expect((await postActivity(worker.url, teams.message('help', erin))).status).toBe(404);
});
