import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { CaseLocks } from '../../src/store/caseLock';
import { CaseRepository } from '../../src/store/caseRepository';
import { RetentionRepository } from '../../src/store/retention';
import { RetentionPass } from '../../src/app/retention';
import { ANONYMISED_TEXT } from '../../src/domain/retention';
import { localDateOf } from '../../src/domain/contactForm';
import { createLogger } from '../../src/log';
import { DAY, nextMonday } from '../support/testClock';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { testCipher } from '../support/dataKeys';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { scheduleProbe, type ScheduleProbe } from '../support/schedule';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { allActions, cardText, invokeCard, textOf, fillForm, sentCard } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { caseSetup, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';

/*
 * Issue 10, item 6: closed cases are anonymised RETENTION_YEARS after closing by a daily job, unless a
 * coordinator put them on legal hold; abandoned drafts go after DRAFT_RETENTION_DAYS.
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000ca01', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000fa01', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000fa02', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000aa01', tenantId: PARTNER_TENANT, name: 'Alice Officer' };
const bob: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000aa02', tenantId: PARTNER_TENANT, name: 'Bob Officer' };

const NOTE = 'Spoke to Harriet at the Quince Street flat';
const HOLD_REASON = 'Civil claim notified by solicitors';

const YEAR = 365.25 * DAY;
const START = nextMonday();
const offset = START.getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let redis: TestRedisSpace;
let probe: ScheduleProbe;
let app: App;
let s: CaseSetup;

const rules = { years: 7, draftDays: 30, zone: 'Europe/London' };
/** The pass the daily job runs, at a given moment (the job itself runs it at the app's clock). */
function passAt(at: Date): RetentionPass {
  const cases = new CaseRepository(pool, { now: () => at, cipher: testCipher() });
  return new RetentionPass({ locks: new CaseLocks(pool, cases), repo: new RetentionRepository(pool), rules, clock: () => at, log: createLogger('silent') });
}

async function caseIdOf(reference: string): Promise<string> {
  return (await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference])).rows[0]!.id;
}

/** The participants' names as the app reads them (the column holds envelopes), harmed person first. */
async function participantNames(reference: string): Promise<string[]> {
  const c = await new CaseRepository(pool, { cipher: testCipher() }).findByReference(reference);
  return c!.participants.map((p) => p.name);
}


/** Fills one form of a case, as the person would (test/support/chat.ts fillForm). */
async function fill(user: TeamsUser, verb: string, data: Record<string, unknown>, save: string, inputs: Record<string, string>): Promise<void> {
  await fillForm(s.chat(user), { verb, data }, save, inputs);
}

async function closeCase(reference: string): Promise<void> {
  const caseId = await caseIdOf(reference);
  await fill(coord, PROGRESS_VERBS.closeForm, { caseId }, PROGRESS_VERBS.closeSave, { closeOutcome: 'no_contact_possible', closeNote: 'Closing note about Harriet' });
  expect((await pool.query<{ stage: string }>('SELECT stage FROM cases WHERE id = $1', [caseId])).rows[0]!.stage).toBe('closed');
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_retention');
  pool = createPool(db.url, { max: 3 });
  connector = await startConnector();
  redis = testRedisSpace();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: redis.url, clock, env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: `{${redis.prefix}}` } });
  probe = await scheduleProbe({ redisUrl: redis.url, prefix: `{${redis.prefix}}`, pool, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice, bob]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
}, 60_000);

afterAll(async () => {
  await probe?.close();
  await app?.close();
  await connector?.close();
  await pool?.end();
  await redis?.flushPrefix();
  await db?.drop();
});

test('the retention pass is a daily job scheduler, registered at start-up like the others', async () => {
  expect(await probe.schedulers()).toEqual(expect.arrayContaining(['retention.daily']));
});

describe('closed cases, seven years on', () => {
  let kept: string;
  let held: string;
  let open: string;

  beforeAll(async () => {
    kept = await s.caseInPreparation(alice, coord, [f1, f2]);
    await fill(f1, PROGRESS_VERBS.contactForm, { caseId: await caseIdOf(kept), party: 'harmed_person' }, PROGRESS_VERBS.contactSave, {
      party: 'harmed_person', contactDate: localDateOf(clock()), contactTime: '09:30', method: 'phone', outcome: 'reached', note: NOTE,
    });
    held = await s.caseInPreparation(alice, coord, [f1, f2]);
    open = await s.caseInPreparation(alice, coord, [f1, f2]);
    await closeCase(kept);
    await closeCase(held);
  }, 60_000);

  test('a coordinator puts a case on legal hold with a reason; nobody else can', async () => {
    expect(textOf(await s.chat(f1).say(`hold ${held}`))).toContain('Only coordinators can put a case on legal hold or lift it.');
    const form = sentCard(await s.chat(coord).say(`hold ${held}`), `Legal hold: ${held}`);
    const place = allActions(form.card).find((a) => a.title === 'Place hold')!;
    // No reason: the form comes back with its error, and nothing is held.
    const empty = invokeCard(await s.chat(coord).click(place.verb, { ...place.data, holdReason: '   ' }, form.activityId));
    expect(cardText(empty)).toContain('Give the reason for the hold.');
    expect(allActions(empty).map((a) => a.title)).toContain('Place hold');
    // A facilitator's crafted click is refused before anything is written.
    const crafted = await s.chat(f1).click(place.verb, { ...place.data, holdReason: 'x' }, form.activityId);
    expect(JSON.stringify(crafted.body)).toContain('Only coordinators can put a case on legal hold or lift it.');
    const done = invokeCard(await s.chat(coord).click(place.verb, { ...place.data, holdReason: HOLD_REASON }, form.activityId));
    expect(cardText(done)).toContain(`${held} is on legal hold`);
    expect(allActions(done)).toEqual([]);
    const again = invokeCard(await s.chat(coord).click(place.verb, { ...place.data, holdReason: HOLD_REASON }, form.activityId));
    expect(cardText(again)).toContain('already on legal hold');
    const card = sentCard(await s.chat(coord).say(`case ${held}`), REFERRAL_FORM.harmedPersonName);
    expect(cardText(card.card)).toContain('On legal hold since');
  });

  test('six years on nothing is due; eight years on the closed case is anonymised, the held and the open ones are untouched', async () => {
    expect((await passAt(new Date(START.getTime() + 6 * YEAR)).run()).anonymised).toBe(0);
    const outcome = await passAt(new Date(START.getTime() + 8 * YEAR)).run();
    expect(outcome.anonymised).toBe(1);
    expect(await participantNames(kept)).toEqual([ANONYMISED_TEXT, ANONYMISED_TEXT]);
    expect(await participantNames(held)).toEqual([REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.offenderName]);
    expect(await participantNames(open)).toEqual([REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.offenderName]);

    const keptId = await caseIdOf(kept);
    const row = (await pool.query('SELECT reference, stage, source, offence_type, offence_description, created_at, anonymised_at FROM cases WHERE id = $1', [keptId])).rows[0];
    // What reporting needs stays: reference, stage, source, offence type, dates of the case.
    expect(row).toMatchObject({ reference: kept, stage: 'closed', offence_type: REFERRAL_FORM.offenceType, offence_description: ANONYMISED_TEXT });
    expect(row.anonymised_at).not.toBeNull();
    expect((await pool.query('SELECT count(*)::int AS n FROM case_notes WHERE case_id = $1', [keptId])).rows[0].n).toBe(0);
    // Its data keys are destroyed: anything sealed under them, a backup included, cannot be opened again.
    const keys = (await pool.query('SELECT role, wrapped_key, destroyed_at FROM participant_keys WHERE case_id = $1 ORDER BY role', [keptId])).rows;
    expect(keys.map((k) => [k.role, k.wrapped_key, k.destroyed_at !== null])).toEqual([['case', null, true], ['harmed_person', null, true], ['offender', null, true]]);
    const heldKeys = (await pool.query('SELECT count(*)::int AS n FROM participant_keys k JOIN cases c ON c.id = k.case_id WHERE c.reference = $1 AND k.destroyed_at IS NULL', [held])).rows[0].n;
    expect(heldKeys).toBe(3);
    const dump = JSON.stringify((await pool.query('SELECT * FROM participants p JOIN cases c ON c.id = p.case_id WHERE c.id = $1', [keptId])).rows);
    for (const secret of [REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.offenderName, REFERRAL_FORM.harmedPersonPhone, 'Quince']) expect(dump).not.toContain(secret);
    const events = (await pool.query<{ type: string; actor_role: string }>('SELECT type, actor_role FROM case_events WHERE case_id = $1 ORDER BY id', [keptId])).rows;
    expect(events.at(-1)).toEqual({ type: 'case_anonymised', actor_role: 'system' });
    expect(events.map((e) => e.type)).toContain('case_closed');

    // Its card says so, and shows no one.
    const card = cardText(sentCard(await s.chat(coord).say(`case ${kept}`), `Case ${kept}`).card);
    expect(card).toContain('Anonymised on');
    expect(card).not.toContain(REFERRAL_FORM.harmedPersonName);
    // Nothing more can be recorded on it (its keys are gone): reopening is refused in words, and changes nothing.
    const reopened = await fillForm(s.chat(coord), { verb: PROGRESS_VERBS.reopenForm, data: { caseId: keptId } }, PROGRESS_VERBS.reopenSave, { reopenReason: 'Asked to look again' });
    expect(cardText(reopened)).toContain('This case was anonymised when its retention period ended: nothing more can be recorded on it.');
    expect((await pool.query('SELECT stage FROM cases WHERE id = $1', [keptId])).rows[0].stage).toBe('closed');
    // The audit tells coordinators it happened.
    expect(cardText(sentCard(await s.chat(coord).say(`audit ${kept}`), `Audit: ${kept}`).card)).toContain('Anonymised the case (retention period ended)');

    // Run again: nothing more to do.
    expect((await passAt(new Date(START.getTime() + 8 * YEAR)).run()).anonymised).toBe(0);
  });

  test('lifting the hold lets the next pass anonymise it', async () => {
    expect(textOf(await s.chat(coord).say(`lift hold ${held}`))).toContain(`The legal hold on ${held} is lifted`);
    expect(textOf(await s.chat(coord).say(`lift hold ${held}`))).toContain('is not on legal hold');
    expect((await passAt(new Date(START.getTime() + 8 * YEAR)).run()).anonymised).toBe(1);
    expect(await participantNames(held)).toEqual([ANONYMISED_TEXT, ANONYMISED_TEXT]);
    // Nothing is left to hold.
    const form = sentCard(await s.chat(coord).say(`hold ${held}`), `Legal hold: ${held}`);
    const place = allActions(form.card).find((a) => a.title === 'Place hold')!;
    expect(cardText(invokeCard(await s.chat(coord).click(place.verb, { ...place.data, holdReason: HOLD_REASON }, form.activityId)))).toContain('there is nothing left to hold');
  });

  test('the event log stays append-only outside the anonymisation path', async () => {
    await expect(pool.query("UPDATE case_events SET data = '{}'::jsonb WHERE type = 'referred'")).rejects.toThrow('case_events is append-only');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SET LOCAL rj.anonymising = 'on'");
      // Even on that path, only data may change: never the type, the time or the actor.
      await expect(client.query("UPDATE case_events SET type = 'forged' WHERE type = 'referred'")).rejects.toThrow('case_events is append-only');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

test('a half-finished referral left for more than 30 days is deleted; a recent one stays', async () => {
  await s.chat(bob).say('refer');
  await s.chat(alice).say('refer');
  const states = async () => (await pool.query<{ key: string }>('SELECT key FROM bot_state ORDER BY key')).rows.map((r) => r.key);
  const bobKeys = (await states()).filter((k) => k.includes(s.chat(bob).conversationId));
  expect(bobKeys.length).toBeGreaterThan(0);
  // The database stamps state writes with its own clock: Bob's draft is made 31 days old there.
  await pool.query("UPDATE bot_state SET updated_at = now() - interval '31 days' WHERE key = ANY($1::text[])", [bobKeys]);
  const outcome = await passAt(new Date()).run();
  expect(outcome.drafts).toBe(bobKeys.length);
  const left = await states();
  expect(left.filter((k) => k.includes(s.chat(bob).conversationId))).toEqual([]);
  expect(left.some((k) => k.includes(s.chat(alice).conversationId))).toBe(true);
  // Bob starts again from the beginning, with nothing of the old draft.
  expect(textOf(await s.chat(bob).say('refer'))).toMatch(/question 1|1 of/i);
});
