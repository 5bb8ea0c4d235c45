import type { Pool } from 'pg';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { remindOpenErasures } from '../../src/app/erasure';
import { subjectAccessExport, subjectAccessHtml } from '../../src/app/subjectAccess';
import { CaseRepository } from '../../src/store/caseRepository';
import { ProgressRepository } from '../../src/store/progressRepository';
import { AuditRepository } from '../../src/store/auditRepository';
import { ErasureRepository } from '../../src/store/erasure';
import { ERASED_TEXT } from '../../src/domain/erasure';
import { addDays, localDateOf } from '../../src/domain/contactForm';
import { createLogger } from '../../src/log';
import { nextMonday } from '../support/testClock';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { noteTexts, testCipher, TEST_DATA_KEY_ENV } from '../support/dataKeys';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { allActions, cardText, fillForm, invokeCard, textOf, sentCard } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { caseSetup, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';

/*
 * Issue 10, item 7: a coordinator records an erasure request for one participant, with the date it
 * was received; it is due in 28 days and coordinators are reminded from day 21; the decision is
 * recorded: erased (that participant's values go, the other's stay) or refused with a reason.
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000cb01', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000fb01', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000fb02', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000ab01', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

const HARMED_NOTE = 'Harriet prefers calls after six at the Larkspur address';
const OFFENDER_NOTE = 'Olly is on the Juniper wing';
const REFUSAL = 'Needed for an ongoing civil claim';

const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);
const today = () => localDateOf(clock());

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let reference: string;
let caseId: string;


/** Clicks a button of a card in a coordinator's chat and returns the card it is replaced with. */
async function press(user: TeamsUser, card: Record<string, unknown>, title: string, inputs: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const b = allActions(card).find((a) => a.title === title);
  if (!b) throw new Error(`no "${title}" in: ${allActions(card).map((a) => a.title).join(', ')}`);
  return invokeCard(await s.chat(user).click(b.verb, { ...b.data, ...inputs }, 'm'));
}

/** The participants as the app reads them (their columns hold envelopes), with when each was erased. */
async function participants(): Promise<Record<string, { name: string; phone: string | null; erased_at: Date | null }>> {
  const c = await new CaseRepository(pool, { cipher: testCipher() }).findByReference(reference);
  const { rows } = await pool.query<{ role: string; erased_at: Date | null }>('SELECT role, erased_at FROM participants WHERE case_id = $1', [caseId]);
  const erased = new Map(rows.map((r) => [r.role, r.erased_at]));
  return Object.fromEntries(c!.participants.map((p) => [p.role, { name: p.name, phone: p.phone, erased_at: erased.get(p.role) ?? null }]));
}

/** The case's notes as the app reads them (the column holds envelopes only). */
async function notes(): Promise<string[]> {
  return noteTexts(pool, reference);
}

async function logContact(party: string, note: string): Promise<void> {
  const form = invokeCard(await s.chat(f1).click(PROGRESS_VERBS.contactForm, { caseId, party }, 'm'));
  const save = allActions(form).find((a) => a.verb === PROGRESS_VERBS.contactSave)!;
  await s.chat(f1).click(save.verb, { ...save.data, party, contactDate: today(), contactTime: '09:30', method: 'phone', outcome: 'reached', note }, 'm');
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_erasure');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock, env: { COORDINATOR_AAD_IDS: coord.aadObjectId } });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
  reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  caseId = (await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference])).rows[0]!.id;
  await logContact('harmed_person', HARMED_NOTE);
  await logContact('offender', OFFENDER_NOTE);
  expect(await notes()).toEqual([HARMED_NOTE, OFFENDER_NOTE]);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

test('subject access (item 8): the export holds the participant\'s own contacts and notes, not the other\'s, and is recorded in the audit', async () => {
  const d = { cases: new CaseRepository(pool, { now: clock, cipher: testCipher() }), progress: new ProgressRepository(pool, testCipher()), audit: new AuditRepository(pool), clock };
  const asCoordinator = { aadObjectId: coord.aadObjectId, tenantId: STAFF_TENANT, staffTenant: true, coordinator: true, facilitator: false };
  await expect(subjectAccessExport(d, { ...asCoordinator, coordinator: false }, reference, 'harmed_person')).rejects.toThrow('Only coordinators');
  const x = await subjectAccessExport(d, asCoordinator, reference, 'harmed_person');
  expect(x.person).toMatchObject({ name: REFERRAL_FORM.harmedPersonName, phone: expect.stringContaining('7946') });
  expect(x.contacts.map((c) => c.note)).toEqual([HARMED_NOTE]);
  const json = JSON.stringify(x);
  expect(json).not.toContain(OFFENDER_NOTE);
  expect(json).not.toContain(REFERRAL_FORM.offenderName);
  expect(x.accessLog[0]).toMatchObject({ actorAadId: coord.aadObjectId, role: 'coordinator', what: 'Exported a participant’s data' });
  const html = subjectAccessHtml(x);
  expect(html).toContain(HARMED_NOTE);
  expect(html).toContain('<h1>Data held about the harmed person in case');
  expect(html).not.toContain(OFFENDER_NOTE);
  const audited = await pool.query("SELECT actor_aad_id, view FROM case_access WHERE case_id = $1 AND view = 'export'", [caseId]);
  expect(audited.rows).toEqual([{ actor_aad_id: coord.aadObjectId, view: 'export' }]);
});

test('npm run data -- export writes the same export as JSON and HTML, for a coordinator named with --by only', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'rj-export-'));
  try {
    const run = (by: string) => spawnSync(process.execPath, [require.resolve('tsx/cli'), path.resolve(__dirname, '../../scripts/data.ts'), 'export', reference, 'person-who-caused-the-harm', '--by', by, '--out', out], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, ...TEST_DATA_KEY_ENV, STAFF_TENANT_ID: STAFF_TENANT },
      encoding: 'utf8',
      timeout: 90_000,
    });
    const refused = run(f1.aadObjectId);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('Only coordinators');
    const done = run(coord.aadObjectId);
    expect(done.stderr).toBe('');
    expect(done.status).toBe(0);
    const files = JSON.parse(done.stdout) as { json: string; html: string };
    const json = readFileSync(files.json, 'utf8');
    expect(json).toContain(OFFENDER_NOTE);
    expect(json).toContain(REFERRAL_FORM.offenderName);
    expect(json).not.toContain(HARMED_NOTE);
    expect(readFileSync(files.html, 'utf8')).toContain(OFFENDER_NOTE);
    expect(statSync(files.json).mode & 0o777).toBe(0o600);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);

test('only coordinators, and only for a named participant', async () => {
  expect(textOf(await s.chat(f1).say(`erase ${reference} harmed person`))).toContain('Only coordinators can record and decide erasure requests.');
  expect(textOf(await s.chat(coord).say(`erase ${reference}`))).toContain(`erase ${reference} harmed person`);
  expect(textOf(await s.chat(coord).say(`erase ${reference} the neighbour`))).toContain('Say whose data');
});

test('erasing the harmed person: recorded with its due date, confirmed, and only their data goes', async () => {
  let card = sentCard(await s.chat(coord).say(`erase ${reference} harmed person`), `Erasure request: ${reference}`).card;
  // A date in the future is refused on the form, which keeps what was typed.
  const future = addDays(today(), 3);
  card = await press(coord, card, 'Record request', { receivedOn: future });
  expect(cardText(card)).toContain('The date received cannot be in the future.');
  const received = addDays(today(), -2);
  card = await press(coord, card, 'Record request', { receivedOn: received });
  expect(cardText(card)).toContain('Request recorded: answer by');
  const { rows } = await pool.query('SELECT to_char(received_on, \'YYYY-MM-DD\') AS r, to_char(due_on, \'YYYY-MM-DD\') AS d, decision FROM erasure_requests WHERE case_id = $1', [caseId]);
  expect(rows).toEqual([{ r: received, d: addDays(received, 28), decision: null }]);
  // Typed again, the open request comes back rather than a second one.
  const again = sentCard(await s.chat(coord).say(`erase ${reference} harmed person`), `Erasure request: ${reference}`).card;
  expect(allActions(again).map((a) => a.title)).toEqual(['Erase…', 'Refuse']);

  // Refusing needs a reason; erasing needs a second click.
  expect(cardText(await press(coord, card, 'Refuse', { refusalReason: ' ' }))).toContain('Give the reason for refusing.');
  const confirm = await press(coord, card, 'Erase…');
  expect(cardText(confirm)).toContain('This cannot be undone.');
  expect((await participants()).harmed_person!.name).toBe(REFERRAL_FORM.harmedPersonName);
  const done = await press(coord, confirm, 'Erase for good');
  expect(cardText(done)).toContain(`The data of the harmed person on ${reference} was erased`);
  expect(allActions(done)).toEqual([]);

  const people = await participants();
  expect(people.harmed_person).toMatchObject({ name: ERASED_TEXT, phone: null });
  expect(people.harmed_person!.erased_at).not.toBeNull();
  expect(people.offender!.name).toBe(REFERRAL_FORM.offenderName);
  expect(await notes()).toEqual([OFFENDER_NOTE]);
  // Their own data key is destroyed; the other participant's and the case's are not.
  const keys = (await pool.query<{ role: string; live: boolean }>('SELECT role, destroyed_at IS NULL AS live FROM participant_keys WHERE case_id = $1 ORDER BY role', [caseId])).rows;
  expect(keys).toEqual([{ role: 'case', live: true }, { role: 'harmed_person', live: false }, { role: 'offender', live: true }]);
  const events = (await pool.query<{ type: string; data: unknown }>("SELECT type, data FROM case_events WHERE case_id = $1 AND type LIKE 'erasure_%' ORDER BY id", [caseId])).rows;
  expect(events.map((e) => e.type)).toEqual(['erasure_requested', 'erasure_decided']);
  expect(events[1]!.data).toMatchObject({ party: 'harmed_person', decision: 'erased' });
  expect(JSON.stringify(events)).not.toContain('Harriet');

  // The case card shows the erased person as such, and the other as before.
  const caseCard = cardText(sentCard(await s.chat(f1).say(`case ${reference}`), `Case ${reference}`).card);
  expect(caseCard).not.toContain(REFERRAL_FORM.harmedPersonName);
  expect(caseCard).not.toContain('Larkspur');
  expect(caseCard).toContain(ERASED_TEXT);
  expect(caseCard).toContain(REFERRAL_FORM.offenderName);
  // Nothing more is recorded about the erased person; contacts with the other go on.
  const contact = (party: string, note: string) => fillForm(s.chat(f1), { verb: PROGRESS_VERBS.contactForm, data: { caseId, party } }, PROGRESS_VERBS.contactSave, {
    party, contactDate: today(), contactTime: '09:30', method: 'phone', outcome: 'reached', note,
  });
  expect(cardText(await contact('harmed_person', 'Called again'))).toContain('The data of the harmed person was erased on request: nothing more can be recorded about them.');
  expect(cardText(await contact('offender', 'Called the wing'))).toContain('Contact with the person who caused the harm saved.');
  expect(await notes()).toEqual([OFFENDER_NOTE, 'Called the wing']);
  // A second click on the old confirm card changes nothing.
  expect(cardText(await press(coord, confirm, 'Erase for good'))).toContain('Already erased');
});

test('refusing a request keeps the data and the reason, never in the event log', async () => {
  let card = sentCard(await s.chat(coord).say(`erase ${reference} person who caused the harm`), `Erasure request: ${reference}`).card;
  expect(cardText(card)).toContain('the person who caused the harm');
  card = await press(coord, card, 'Record request', { receivedOn: today() });
  const done = await press(coord, card, 'Refuse', { refusalReason: REFUSAL });
  expect(cardText(done)).toContain('was refused');
  expect((await participants()).offender!.name).toBe(REFERRAL_FORM.offenderName);
  expect(await notes()).toEqual([OFFENDER_NOTE, 'Called the wing', REFUSAL]);
  const events = JSON.stringify((await pool.query('SELECT data FROM case_events WHERE case_id = $1', [caseId])).rows);
  expect(events).not.toContain('civil claim');
});

test('coordinators are reminded once from day 21 of an open request; a failed reminder is tried again', async () => {
  const card = sentCard(await s.chat(coord).say(`erase ${reference} offender`), `Erasure request: ${reference}`).card;
  await press(coord, card, 'Record request', { receivedOn: addDays(today(), -25) });
  const repo = new ErasureRepository(pool);
  const told: string[] = [];
  const run = (ok: boolean) => remindOpenErasures({ repo, clock, log: createLogger('silent'), tell: async (c) => { told.push(cardText(c)); return ok; } });
  expect(await run(false)).toBe(0);
  expect(await run(true)).toBe(1);
  expect(told.at(-1)).toContain(`Erasure request due: ${reference}`);
  expect(told.at(-1)).not.toContain(REFERRAL_FORM.offenderName);
  expect(await run(true)).toBe(0);
  expect(told).toHaveLength(2);
  expect(await repo.openCount()).toBe(1);
});
