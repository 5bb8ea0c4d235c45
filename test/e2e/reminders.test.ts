import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText, invokeCard } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c0c1', tenantId: STAFF_TENANT, name: 'Cleo Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000e1', tenantId: STAFF_TENANT, name: 'Fern One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000e2', tenantId: STAFF_TENANT, name: 'Fitz Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000000e1', tenantId: PARTNER_TENANT, name: 'Ada Officer' };

let db: TestDatabase;
let redis: TestRedisSpace;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;

// Reminders only go out in working time, so the app runs on a clock that starts on a Thursday at
// 10:00 London and moves with real time.
const BASE = Date.parse('2026-11-26T10:00:00Z');
const started = Date.now();
const clock = () => new Date(BASE + (Date.now() - started));

beforeAll(async () => {
  db = await createTestDatabase('e2e_reminders');
  redis = testRedisSpace();
  // createPool handles errors on idle clients: the database is dropped (WITH FORCE) in afterAll.
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: redis.url, env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: `{${redis.prefix}}` }, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await redis?.flushPrefix();
  await db?.drop();
});

test('a referral left untriaged pings the coordinators\' channel; only a coordinator can snooze it, and Open goes to their own chat', async () => {
  const reference = await s.refer(alice);
  // Time travel by data: the referral was made a week ago. Appending an event to the case's log is
  // what every change does, and it makes the worker reconcile the case.
  // The week is measured on the app's clock, not the database's: now() would tie the test to the hour CI runs.
  await pool.query("UPDATE cases SET created_at = $2::timestamptz - interval '7 days' WHERE reference = $1", [reference, clock().toISOString()]);
  await pool.query(
    "INSERT INTO case_events (case_id, actor_aad_id, actor_role, type, data) SELECT id, NULL, 'system', 'test_touch', '{}' FROM cases WHERE reference = $1",
    [reference],
  );
  const reminder = await s.waitForCard(CHANNEL, `Triage due: ${reference}`, 15000);
  expect(JSON.stringify(reminder.card)).not.toMatch(/Harriet|Olly|7946/);
  // The card reaches Teams a moment before the worker records the delivery as sent.
  const sentDeliveries = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM reminder_deliveries WHERE rule = 'triage_due' AND status = 'sent'")).rows[0]!.n;
  for (const deadline = Date.now() + 10_000; (await sentDeliveries()) === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  expect(await sentDeliveries()).toBe(1);

  const snooze = button(reminder.card, 'Snooze');
  const byFacilitator = await s.chat(f1).post(s.inChannel(s.chat(f1).teams.adaptiveCardAction(snooze.verb, snooze.data, f1, { replyToId: reminder.activityId })));
  expect(JSON.stringify(byFacilitator.body)).toContain('Only the facilitators assigned to this case, or a coordinator, can act on its reminders.');
  const snoozed = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(snooze.verb, snooze.data, coord, { replyToId: reminder.activityId })));
  expect(cardText(invokeCard(snoozed))).toMatch(/[Ss]noozed/);
  const count = await pool.query('SELECT count(*)::int AS n FROM reminder_snoozes');
  expect(count.rows[0].n).toBe(1);

  const open = button(reminder.card, 'Open case');
  const opened = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(open.verb, open.data, coord, { replyToId: reminder.activityId })));
  expect(JSON.stringify(opened.body)).toContain('in your 1:1 chat');
  const inChat = await s.waitForCard(s.chat(coord).conversationId, reference);
  expect(cardText(inChat.card)).toContain(reference);
});
