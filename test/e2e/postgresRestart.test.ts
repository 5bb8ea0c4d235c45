/**
 * PostgreSQL restarted under a running bot: readiness says so and recovers, referrals work again, and
 * the reminder listener reconnects. This file restarts its own PostgreSQL (other files share the
 * global one, in parallel); Redis is the shared one, under a prefix of this file's own.
 */
import { Client } from 'pg';
import type { App } from '../../src/main';
import { createPool } from '../../src/store/db';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { startDedicatedPostgres, type RestartableServer } from '../support/services';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { invokeCard } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';
import { eventually } from '../support/reminderFixtures';
import { scheduleProbe, type ScheduleProbe } from '../support/schedule';
import type { Pool } from 'pg';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c0c1', tenantId: STAFF_TENANT, name: 'Cleo Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000e1', tenantId: STAFF_TENANT, name: 'Fern One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000e2', tenantId: STAFF_TENANT, name: 'Fitz Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000000e1', tenantId: PARTNER_TENANT, name: 'Ada Officer' };

let pg: RestartableServer;
let dbUrl: string;
let redis: TestRedisSpace;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let probe: ScheduleProbe;

// A Wednesday at 11:00 London that moves with real time.
const BASE = Date.parse('2026-11-25T11:00:00Z');
const started = Date.now();
const clock = () => new Date(BASE + (Date.now() - started));

beforeAll(async () => {
  pg = await startDedicatedPostgres();
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query('CREATE DATABASE rj');
  await admin.end();
  const url = new URL(pg.url);
  url.pathname = '/rj';
  dbUrl = url.toString();
  redis = testRedisSpace();
  // Idle clients of this pool die with the server: createPool's handler keeps that from crashing jest.
  pool = createPool(dbUrl, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: dbUrl, redisUrl: redis.url, clock, env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: `{${redis.prefix}}` } });
  probe = await scheduleProbe({ redisUrl: redis.url, prefix: `{${redis.prefix}}`, pool, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
}, 60_000);

afterAll(async () => {
  await probe?.close();
  await app?.close();
  await connector?.close();
  await pool?.end();
  await redis?.flushPrefix();
  await pg?.stop();
});

async function readiness(): Promise<{ status: number; checks: Record<string, string> }> {
  const res = await fetch(`${app.url}/readyz`);
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, string> }).checks };
}

async function rulesOf(reference: string): Promise<string[] | undefined> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference]);
  const id = rows[0]?.id;
  return id ? (await probe.jobs()).filter((j) => j.ownerId === id).map((j) => j.rule).sort() : undefined;
}

async function listenerConnected(): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'rj-reminders-listener'");
  return rows[0]!.n === 1;
}

test('PostgreSQL restarted: /readyz 503 then 200, a referral works, and the listener reconciles changes again', async () => {
  expect(await readiness()).toEqual({ status: 200, checks: { postgres: 'ok', redis: 'ok' } });
  const first = await s.refer(alice);
  expect(await eventually(() => rulesOf(first).then((r) => r?.includes('triage_due')), 10_000, 100)).toBe(true);

  await pg.kill('SIGINT');
  expect(await readiness()).toEqual({ status: 503, checks: { postgres: 'unavailable', redis: 'ok' } });
  await pg.start();
  const back = await eventually(async () => {
    const r = await readiness();
    return r.status === 200 ? r : undefined;
  }, 15_000, 100);
  expect(back.checks).toEqual({ postgres: 'ok', redis: 'ok' });

  // Over /api/messages, as Teams would send it.
  const second = await s.refer(alice);
  expect(second).not.toBe(first);
  await eventually(listenerConnected, 15_000, 100);
  expect(await eventually(() => rulesOf(second).then((r) => r?.includes('triage_due')), 15_000, 100)).toBe(true);

  // A change made now reaches the schedule only through the reconnected listener's notification.
  const card = await s.waitForCard(CHANNEL, `Referral ${second}`);
  const accept = button(card.card, 'Accept into service');
  const accepted = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(accept.verb, accept.data, coord, { replyToId: card.activityId })));
  expect(button(invokeCard(accepted), 'Assign facilitators')).toBeDefined();
  await eventually(async () => {
    const rules = await rulesOf(second);
    return rules !== undefined && rules.length > 0 && !rules.includes('triage_due');
  }, 10_000, 100);
  expect(await rulesOf(first)).toContain('triage_due');
}, 90_000);
