import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { nextMonday } from '../support/testClock';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText, invokeCard, textOf, type TurnResult, sentCard } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';

/*
 * Issue 10, item 5: every view of a case's personal fields and every change is on record, append-only,
 * with ids and codes only; coordinators read it with `audit RJ-…`, 50 entries a page.
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c801', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f801', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f802', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a801', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let reference: string;

const cardOf = (turn: TurnResult, containing: string) => sentCard(turn, containing).card;

async function accessRows(): Promise<{ actor_aad_id: string; actor_role: string; view: string }[]> {
  const { rows } = await pool.query<{ actor_aad_id: string; actor_role: string; view: string }>(
    'SELECT a.actor_aad_id, a.actor_role, a.view FROM case_access a JOIN cases c ON c.id = a.case_id WHERE c.reference = $1 ORDER BY a.id',
    [reference],
  );
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_audit');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock, env: { COORDINATOR_AAD_IDS: coord.aadObjectId } });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
  reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  // The pair's messages are sent by the outbox; one arriving during a later turn would be refreshed
  // (and audited) in it, as Teams would when its reader looks.
  await app.idle();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

test('opening the case card and a form is recorded for each viewer; a refused look is not a view', async () => {
  expect(await accessRows()).toEqual([]);
  cardOf(await s.chat(f1).say(`case ${reference}`), REFERRAL_FORM.harmedPersonName);
  cardOf(await s.chat(f1).say(`contact ${reference}`), `Log contact: ${reference}`);
  cardOf(await s.chat(coord).say(`case ${reference}`), REFERRAL_FORM.harmedPersonName);
  // The referrer sees only the status: no personal fields, so nothing to record.
  const status = await s.chat(alice).say(`case ${reference}`);
  expect(textOf(status)).not.toContain(REFERRAL_FORM.harmedPersonName);
  // A typed case arrives as its base view: the details are seen (and recorded) when Teams refreshes it.
  expect(await accessRows()).toEqual([
    { actor_aad_id: f1.aadObjectId, actor_role: 'facilitator', view: 'details_refresh' },
    { actor_aad_id: f1.aadObjectId, actor_role: 'facilitator', view: 'contact_form' },
    { actor_aad_id: coord.aadObjectId, actor_role: 'coordinator', view: 'details_refresh' },
  ]);
});

test('`audit RJ-…` shows coordinators who looked and who changed the case, latest first, naming staff and nobody else', async () => {
  const turn = await s.chat(coord).say(`audit ${reference}`);
  const card = cardOf(turn, `Audit: ${reference}`);
  const text = cardText(card);
  // Latest first: the coordinator's own look, then Fay's form (and card), then the changes that made the case.
  const order = ['Cora Coordinator (a coordinator)', 'Saw a details card (refreshed in Teams)', 'Opened the contact form', 'Confirmed the pair', 'Accepted the referral', 'Made the referral'];
  const at = order.map((t) => text.indexOf(t));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  expect(text).toContain('Fay One (a facilitator)');
  expect(text).toContain('The referrer');
  for (const secret of [REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.offenderName, REFERRAL_FORM.harmedPersonPhone, alice.name]) expect(text).not.toContain(secret);
  expect(text).toContain('Page 1 of 1');
});

test('only coordinators may read it, in the 1:1 chat only', async () => {
  expect(textOf(await s.chat(f1).say(`audit ${reference}`))).toContain('Only coordinators can see who looked at or changed a case.');
  expect(textOf(await s.chat(alice).say(`audit ${reference}`))).toContain('Only coordinators can see who looked at or changed a case.');
  expect(textOf(await s.chat(coord).say('audit RJ-1999-9999'))).toContain('There is no case RJ-1999-9999');
  const inChannel = await s.chat(coord).post(s.channelMessage(s.chat(coord), `audit ${reference}`));
  expect(textOf(inChannel)).toContain('only shown in your 1:1 chat');
});

test('more than 50 entries page with Older and Newer; a crafted page number is clamped', async () => {
  for (let i = 0; i < 50; i++) await s.chat(f2).say(`case ${reference}`);
  const total = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM case_access')).rows[0]!.n);
  expect(total).toBe(53);
  const shown = sentCard(await s.chat(coord).say(`audit ${reference}`), `Audit: ${reference}`);
  const first = shown.card;
  expect(cardText(first)).toMatch(/Page 1 of 2 · \d+ entries/);
  const older = button(first, 'Older');
  const page2 = invokeCard(await s.chat(coord).click(older.verb, older.data, shown.activityId));
  expect(cardText(page2)).toContain('Page 2 of 2');
  expect(cardText(page2)).toContain('Made the referral');
  const newer = button(page2, 'Newer');
  expect(newer.data).toMatchObject({ page: 1 });
  const clamped = invokeCard(await s.chat(coord).click(older.verb, { ...older.data, page: 99 }, shown.activityId));
  expect(cardText(clamped)).toContain('Page 2 of 2');
  // The Older button is coordinators' only, whatever the card data.
  const refusal = await s.chat(f1).click(older.verb, older.data, shown.activityId);
  expect(JSON.stringify(refusal.body)).toContain('Only coordinators can see who looked at or changed a case.');
});

test('the audit is append-only and holds ids and codes only', async () => {
  await expect(pool.query('UPDATE case_access SET view = $1', ['case_card'])).rejects.toThrow('case_access is append-only');
  await expect(pool.query('DELETE FROM case_access')).rejects.toThrow('case_access is append-only');
  const dump = JSON.stringify((await pool.query('SELECT * FROM case_access')).rows);
  for (const secret of [REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.offenderName, f1.name, coord.name]) expect(dump).not.toContain(secret);
});
