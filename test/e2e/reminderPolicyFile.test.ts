/**
 * Issue 9's defect: with a REMINDER_POLICY_FILE that changes first contact to 5 working days, the case
 * card showed one due date (8 working days, a literal in the app) and the reminder fired on another.
 * The card's due lines now come from the same policy and calendar as the worker's reminders.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { displayDate } from '../../src/shared/clock';
import type { App } from '../../src/main';
import { createPool } from '../../src/store/db';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText } from '../support/chat';
import { cardsIn } from '../support/cards';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { caseSetup, type CaseSetup } from '../support/caseSetup';
import { eventually } from '../support/reminderFixtures';
import { scheduleProbe, type ScheduleProbe, type ScheduledJob } from '../support/schedule';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000d0c1', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000d1', tenantId: STAFF_TENANT, name: 'Faye One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000d2', tenantId: STAFF_TENANT, name: 'Flo Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000000d1', tenantId: PARTNER_TENANT, name: 'Ada Officer' };

// The app's clock: Monday 1 March 2027, 10:00 London, moving with real time; independent of the wall
// clock's date and hour. Five working days after the pair is confirmed is Monday 8 March; the default
// eight would be Thursday 11 March.
const BASE = Date.parse('2027-03-01T10:00:00Z');
const started = Date.now();
const clock = () => new Date(BASE + (Date.now() - started));

let dir: string;
let db: TestDatabase;
let redis: TestRedisSpace;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let probe: ScheduleProbe;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rj-policy-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ firstContact: { remindAfterWorkingDays: 5 } }));
  db = await createTestDatabase('e2e_policy_file');
  redis = testRedisSpace();
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({
    databaseUrl: db.url,
    redisUrl: redis.url,
    clock,
    env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: `{${redis.prefix}}`, REMINDER_POLICY_FILE: policyFile },
  });
  probe = await scheduleProbe({ redisUrl: redis.url, prefix: `{${redis.prefix}}`, pool, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
});

afterAll(async () => {
  await probe?.close();
  await app?.close();
  await connector?.close();
  await pool?.end();
  await redis?.flushPrefix();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("with first contact at 5 working days, the case card's first-contact due date is the scheduled job's due time", async () => {
  const reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  const { rows } = await pool.query<{ id: string; pair_confirmed_at: Date }>('SELECT id, pair_confirmed_at FROM cases WHERE reference = $1', [reference]);
  const caseId = rows[0]!.id;
  expect(rows[0]!.pair_confirmed_at).toBeInstanceOf(Date);

  // The worker schedules a first-contact reminder per party and facilitator once the pair is confirmed.
  const jobs = await eventually(async () => {
    const mine = (await probe.jobs()).filter((j) => j.ownerId === caseId && j.rule === 'first_contact_due');
    return mine.length === 4 ? mine : undefined;
  }, 15000);
  const dueOf = (j: ScheduledJob) => j.id.slice(j.id.lastIndexOf('|') + 1);
  expect(new Set(jobs.map(dueOf)).size).toBe(1);
  // The job runs when its id says: its delay was counted on the app's clock.
  const jobDue = new Date(jobs[0]!.runsAt + (BASE - started));
  expect(dueOf(jobs[0]!)).toMatch(/^20270308T10\d\dZ$/);

  const turn = await s.chat(f1).say(`case ${reference}`);
  const card = turn.sent.flatMap((a) => cardsIn(a)).find((c) => cardText(c).includes('Recent history'));
  const text = cardText(card);
  expect(text).toContain(`First contact with the harmed person: due ${displayDate(jobDue)}`);
  expect(text).toContain(`First contact with the person who caused the harm: due ${displayDate(jobDue)}`);
  expect(displayDate(jobDue)).toBe('8 March 2027');
  // Not the default policy's date, which the card used to show whatever the file said.
  expect(text).not.toContain('11 March 2027');
});
