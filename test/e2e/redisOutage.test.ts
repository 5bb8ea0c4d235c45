/**
 * Redis is only the schedule: killed and started again empty while the bot keeps running, it loses
 * nothing. This file kills its own Redis (other files share the global one, in parallel).
 */
import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import { DAILY_RECONCILE_SCHEDULER } from '../../src/reminders';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startDedicatedRedis, type RestartableServer } from '../support/services';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { invokeCard } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';
import { eventually } from '../support/reminderFixtures';
import { scheduleProbe, type ScheduledJob, type ScheduleProbe } from '../support/schedule';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c0c1', tenantId: STAFF_TENANT, name: 'Cleo Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000e1', tenantId: STAFF_TENANT, name: 'Fern One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000e2', tenantId: STAFF_TENANT, name: 'Fitz Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000000e1', tenantId: PARTNER_TENANT, name: 'Ada Officer' };
const PREFIX = '{rj}';

let db: TestDatabase;
let redis: RestartableServer;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let probe: ScheduleProbe;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

// A Tuesday at 10:00 London that moves with real time: the schedule must not depend on when CI runs.
const BASE = Date.parse('2026-11-24T10:00:00Z');
const started = Date.now();
const clock = () => new Date(BASE + (Date.now() - started));

beforeAll(async () => {
  // The app in production exits on one (installFaultHandlers): an outage must not cause any.
  process.on('unhandledRejection', onUnhandled);
  db = await createTestDatabase('e2e_redis_outage');
  redis = await startDedicatedRedis();
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({
    databaseUrl: db.url,
    redisUrl: redis.url,
    clock,
    // Retries and reconnects tuned down so the test waits seconds, not minutes.
    env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: PREFIX, RECONCILE_RETRY_BASE_MS: '200', RECONCILE_RETRY_MAX_MS: '1000', REDIS_RECONNECT_MAX_MS: '200' },
  });
  probe = await scheduleProbe({ redisUrl: redis.url, prefix: PREFIX, pool, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
}, 60_000);

afterAll(async () => {
  await probe?.close();
  await app?.close();
  await connector?.close();
  await pool?.end();
  await redis?.stop();
  await db?.drop();
  process.off('unhandledRejection', onUnhandled);
});

async function readiness(): Promise<{ status: number; checks: Record<string, string> }> {
  const res = await fetch(`${app.url}/readyz`);
  const body = (await res.json()) as { checks: Record<string, string> };
  return { status: res.status, checks: body.checks };
}

async function caseId(reference: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference]);
  return rows[0]!.id;
}

async function pending(): Promise<Array<{ owner_kind: string; owner_id: string }>> {
  return (await pool.query<{ owner_kind: string; owner_id: string }>('SELECT owner_kind, owner_id FROM reconcile_pending ORDER BY owner_id')).rows;
}

/** The schedule equals what the policy wants for every case: the jobs' ids, nothing more or less. */
async function scheduleComplete(): Promise<ScheduledJob[] | undefined> {
  try {
    const [jobs, wanted] = await Promise.all([probe.jobs(), probe.wanted()]);
    return JSON.stringify(jobs.map((j) => j.id)) === JSON.stringify(wanted) ? jobs : undefined;
  } catch {
    return undefined; // Redis still on its way back
  }
}

test('/readyz is 503 while Redis is down and 200 again once it is back, without a restart', async () => {
  expect(await readiness()).toEqual({ status: 200, checks: { postgres: 'ok', redis: 'ok' } });
  await redis.kill('SIGKILL');
  expect(await readiness()).toEqual({ status: 503, checks: { postgres: 'ok', redis: 'unavailable' } });
  await redis.start();
  const back = await eventually(async () => {
    const r = await readiness();
    return r.status === 200 ? r : undefined;
  }, 10_000, 100);
  expect(back.checks).toEqual({ postgres: 'ok', redis: 'ok' });
});

test('Redis SIGKILLed and started again empty: every reminder is back with the same ids and due times, and changes made meanwhile are in the schedule', async () => {
  const untouched = await s.refer(alice);
  const triaged = await s.refer(alice);
  const [untouchedId, triagedId] = [await caseId(untouched), await caseId(triaged)];
  const before = await eventually(scheduleComplete, 15_000, 100);
  expect(new Set(before.map((j) => j.ownerId))).toEqual(new Set([untouchedId, triagedId]));
  expect(before.filter((j) => j.ownerId === triagedId).map((j) => j.rule)).toContain('triage_due');
  await eventually(async () => (await probe.schedulers()).includes(DAILY_RECONCILE_SCHEDULER));

  await redis.kill('SIGKILL');

  // Case changes still commit while Redis is away: a card action and a new referral.
  const card = await s.waitForCard(CHANNEL, `Referral ${triaged}`);
  const accept = button(card.card, 'Accept into service');
  const accepted = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(accept.verb, accept.data, coord, { replyToId: card.activityId })));
  expect(accepted.status).toBe(200);
  expect(button(invokeCard(accepted), 'Assign facilitators')).toBeDefined();
  const during = await s.refer(alice);
  const duringId = await caseId(during);
  // Each change the worker could not put in Redis is owed, in PostgreSQL.
  await eventually(async () => {
    const owed = new Set((await pending()).map((p) => `${p.owner_kind}:${p.owner_id}`));
    return owed.has(`case:${triagedId}`) && owed.has(`case:${duringId}`);
  }, 10_000, 100);

  const restartedAt = Date.now();
  await redis.start();
  const after = await eventually(async () => {
    const jobs = await scheduleComplete();
    return jobs && new Set(jobs.map((j) => j.ownerId)).size === 3 ? jobs : undefined;
  }, 60_000, 100);
  const recoveredMs = Date.now() - restartedAt;
  expect(recoveredMs).toBeLessThan(60_000);
  if (process.env.TEST_LOG) console.info(`schedule rebuilt ${recoveredMs} ms after Redis restarted empty`);

  // The untouched case's reminders are back as they were: same ids, same run times.
  const mine = (jobs: ScheduledJob[], owner: string) => jobs.filter((j) => j.ownerId === owner);
  expect(mine(after, untouchedId).map((j) => j.id)).toEqual(mine(before, untouchedId).map((j) => j.id));
  mine(after, untouchedId).forEach((j, i) => expect(Math.abs(j.runsAt - mine(before, untouchedId)[i]!.runsAt)).toBeLessThan(1000));
  // The triage made during the outage shows: its triage reminder is gone, the next stage's are there.
  expect(mine(after, triagedId).map((j) => j.rule)).not.toContain('triage_due');
  expect(mine(after, triagedId).map((j) => j.id)).not.toEqual(mine(before, triagedId).map((j) => j.id));
  expect(mine(after, triagedId).length).toBeGreaterThan(0);
  // The referral made during the outage has its reminders.
  expect(mine(after, duringId).map((j) => j.rule)).toContain('triage_due');
  // Every job runs at its reminder's due time (ids keep the minute only), none moved to a catch-up time: none was due yet.
  const offset = BASE - started;
  for (const j of after) expect(j.runsAt - (Date.parse(idDue(j.id)) - offset)).toBeGreaterThanOrEqual(-1000);
  for (const j of after) expect(j.runsAt - (Date.parse(idDue(j.id)) - offset)).toBeLessThan(61_000);

  // The safety-net job scheduler is registered again, and nothing is owed any more.
  await eventually(async () => (await probe.schedulers()).includes(DAILY_RECONCILE_SCHEDULER), 10_000, 100);
  await eventually(async () => (await pending()).length === 0, 10_000, 100);
  expect(unhandled).toEqual([]);
}, 120_000);

/** The due instant at the end of a reminder id, `yyyyMMddTHHmmZ`, as ISO. */
function idDue(id: string): string {
  const m = /\|(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(id);
  if (!m) throw new Error(`no due instant in ${id}`);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00Z`;
}
