/**
 * Forms are idempotent and typed text is clean, over /api/messages with real PostgreSQL and Redis:
 * a double-clicked (or concurrently retried) save records once and answers like the first; text
 * with NUL or bidi controls gets an answer naming the field and stores nothing; a malformed
 * activity is a 400 before botbuilder sees it.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText, cardWithAction, invokeCard, textOf, type TurnResult } from '../support/chat';
import { postRaw, teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';
import { button, caseSetup, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';
import { noteTexts } from '../support/dataKeys';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c801', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f801', tenantId: STAFF_TENANT, name: 'Fay [One](https://evil.example)' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f802', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a801', tenantId: PARTNER_TENANT, name: 'Alice Officer' };
const bob: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a802', tenantId: PARTNER_TENANT, name: 'Bob Officer' };

const DAY = 24 * 3600 * 1000;
/** The app's clock: a Monday 10:00 UTC after the real now (the database stamps events with its own now()). */
function nextMonday(): Date {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);
const isoDate = (d: Date) => d.toISOString().slice(0, 10);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
const logLines: string[] = [];

interface Screen {
  user: TeamsUser;
  activityId: string;
  card: Record<string, unknown>;
}

function sentCard(turn: TurnResult, text: string): { activityId: string; card: Record<string, unknown> } {
  for (const a of [...turn.sent].reverse()) for (const c of cardsIn(a)) if (cardText(c).includes(text)) return { activityId: a.id, card: c };
  throw new Error(`no card with "${text}" in: ${textOf(turn)}`);
}

async function openCase(user: TeamsUser, reference: string): Promise<Screen> {
  return { user, ...sentCard(await s.chat(user).say(`case ${reference}`), 'Recent history') };
}

async function click(screen: Screen, title: string, inputs: Record<string, unknown> = {}): Promise<Screen> {
  const b = button(screen.card, title);
  const turn = await s.chat(screen.user).click(b.verb, { ...b.data, ...inputs }, screen.activityId);
  return { ...screen, card: invokeCard(turn) };
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}
const eventCount = (reference: string, type: string) =>
  count('SELECT count(*)::int AS n FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1 AND e.type = $2', [reference, type]);
const noteCount = (reference: string) => count('SELECT count(*)::int AS n FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.reference = $1', [reference]);

/** Every turn that failed inside the bot (onTurnError): there must be none. */
const failedTurns = () => logLines.filter((l) => l.includes('"turn failed"') || l.includes('unhandled error processing an activity'));

beforeAll(async () => {
  db = await createTestDatabase('e2e_forms');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), env: { COORDINATOR_AAD_IDS: coord.aadObjectId }, clock, logLines });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice, bob]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

afterEach(() => {
  expect(failedTurns()).toEqual([]);
});

describe('forms are idempotent', () => {
  let reference: string;
  const contact = () => ({ party: 'harmed_person', contactDate: isoDate(clock()), contactTime: '09:30', method: 'phone', outcome: 'no_answer', note: 'Left a voicemail' });

  test('a double-clicked contact save (one after the other, then at the same time) records one contact and one note', async () => {
    reference = await s.caseInPreparation(alice, coord, [f1, f2]);
    const caseScreen = await openCase(f1, reference);
    const form = await click(caseScreen, 'Log contact');
    const save = button(form.card, 'Save contact');
    expect(save.data.formNonce).toMatch(/^[0-9a-f-]{36}$/);

    // One after the other: a double click, or Teams retrying after 15 s without an answer.
    const first = await s.chat(f1).click(save.verb, { ...save.data, ...contact() }, form.activityId);
    const again = await s.chat(f1).click(save.verb, { ...save.data, ...contact() }, form.activityId);
    for (const t of [first, again]) {
      expect(t.status).toBe(200);
      expect(cardText(invokeCard(t))).toContain('Contact with the harmed person saved.');
    }
    expect(await eventCount(reference, 'contact_logged')).toBe(1);
    expect(await noteCount(reference)).toBe(1);

    // At the same time, on a new form: the second waits for the case's lock and finds the nonce.
    const form2 = await click(await openCase(f1, reference), 'Log contact');
    const save2 = button(form2.card, 'Save contact');
    const both = await Promise.all([0, 1, 2].map(() => s.chat(f1).click(save2.verb, { ...save2.data, ...contact(), contactTime: '09:45' }, form2.activityId)));
    for (const t of both) expect(cardText(invokeCard(t))).toContain('Contact with the harmed person saved.');
    expect(await eventCount(reference, 'contact_logged')).toBe(2);
    expect(await noteCount(reference)).toBe(2);
    expect(await count('SELECT count(*)::int AS n FROM form_nonces WHERE nonce = ANY($1::uuid[])', [[save.data.formNonce, save2.data.formNonce]])).toBe(2);
  });

  test('the same card sent again with other values is refused and changes nothing', async () => {
    const form = await click(await openCase(f1, reference), 'Log contact');
    const save = button(form.card, 'Save contact');
    const values = { party: 'offender', contactDate: isoDate(clock()), contactTime: '09:00', method: 'letter', outcome: 'other', note: 'Wrote to the prison' };
    await s.chat(f1).click(save.verb, { ...save.data, ...values }, form.activityId);
    const before = await eventCount(reference, 'contact_logged');
    const changed = await s.chat(f1).click(save.verb, { ...save.data, ...values, method: 'email' }, form.activityId);
    expect(cardText(invokeCard(changed))).toContain('This form was already saved');
    expect(await eventCount(reference, 'contact_logged')).toBe(before);
    // Someone else replaying the nonce is refused too.
    const other = await s.chat(f2).click(save.verb, { ...save.data, ...values }, form.activityId);
    expect(cardText(invokeCard(other))).toContain('This form was already saved');
    expect(await eventCount(reference, 'contact_logged')).toBe(before);
  });

  test('a save without a nonce (a card from before nonces) gets the form back with one, and records nothing', async () => {
    const screen = await openCase(f1, reference);
    const caseId = button(screen.card, 'Refresh').data.caseId;
    const before = await eventCount(reference, 'contact_logged');
    const r = await s.chat(f1).click('progress.contact.save', { caseId, ...contact() }, screen.activityId);
    const form = invokeCard(r);
    expect(cardText(form)).toContain('This form is out of date');
    expect(button(form, 'Save contact').data.formNonce).toMatch(/^[0-9a-f-]{36}$/);
    expect(await eventCount(reference, 'contact_logged')).toBe(before);
    const malformed = await s.chat(f1).click('progress.contact.save', { caseId, formNonce: 'not-a-nonce', ...contact() }, screen.activityId);
    expect(JSON.stringify(malformed.body)).toContain('That card action was not understood');
    expect(await eventCount(reference, 'contact_logged')).toBe(before);
  });

  test('consent and close double-submitted at the same time: one event each, the referrer told once', async () => {
    let screen = await openCase(f2, reference);
    screen = await click(screen, 'Record consent');
    const consent = button(screen.card, 'Save consent');
    const given = { party: 'offender', consentStatus: 'given', consentDate: isoDate(clock()) };
    const answers = await Promise.all([0, 1].map(() => s.chat(f2).click(consent.verb, { ...consent.data, ...given }, screen.activityId)));
    for (const t of answers) expect(cardText(invokeCard(t))).toContain('The person who caused the harm: consent saved.');
    expect(await eventCount(reference, 'consent_recorded')).toBe(1);

    const coordScreen = await click(await openCase(coord, reference), 'Close case');
    const close = button(coordScreen.card, 'Close case');
    const referrerMessages = () => connector.sentTo(s.chat(alice).conversationId).filter((a) => (a.text ?? '').includes('the case is now closed')).length;
    const told = referrerMessages();
    const values = { closeOutcome: 'no_contact_possible', closeNote: 'Could not reach the harmed person' };
    const closed = await Promise.all([0, 1].map(() => s.chat(coord).click(close.verb, { ...close.data, ...values }, coordScreen.activityId)));
    for (const t of closed) expect(cardText(invokeCard(t))).toContain('Case closed: no contact possible.');
    // A Teams retry well after the first: still the first answer, not "the case is closed".
    const late = await s.chat(coord).click(close.verb, { ...close.data, ...values }, coordScreen.activityId);
    expect(cardText(invokeCard(late))).toContain('Case closed: no contact possible.');
    expect(await eventCount(reference, 'case_closed')).toBe(1);
    expect(await noteCount(reference)).toBe(4);
    await app.idle();
    expect(referrerMessages() - told).toBe(1);
  });
});

describe('text hygiene', () => {
  let reference: string;

  test('a contact note with NUL or bidi characters gets an answer naming the field, and nothing is stored', async () => {
    reference = await s.caseInPreparation(bob, coord, [f1, f2]);
    const form = await click(await openCase(f2, reference), 'Log contact');
    const save = button(form.card, 'Save contact');
    const values = { party: 'offender', contactDate: isoDate(clock()), contactTime: '09:40', method: 'phone', outcome: 'reached' };
    const nul = await s.chat(f2).click(save.verb, { ...save.data, ...values, note: 'Agreed\u0000 to meet \u202Eteem ot' }, form.activityId);
    expect(nul.status).toBe(200);
    const nulCard = invokeCard(nul);
    expect(cardText(nulCard)).toContain('There is a control character (such as NUL) in the note that cannot be stored');
    // The form comes back without the characters that cannot be stored, with the same nonce.
    expect(JSON.stringify(nulCard)).not.toMatch(/\\u0000|\u202E/);
    expect(button(nulCard, 'Save contact').data.formNonce).toBe(save.data.formNonce);
    const bidi = await s.chat(f2).click(save.verb, { ...save.data, ...values, note: 'Agreed \u2067to meet\u2069' }, form.activityId);
    expect(cardText(invokeCard(bidi))).toContain('There is a hidden text-direction character in the note');
    expect(await eventCount(reference, 'contact_logged')).toBe(0);
    expect(await noteCount(reference)).toBe(0);

    // The same form, corrected, saves; the note is stored NFC-normalised.
    const ok = await s.chat(f2).click(save.verb, { ...save.data, ...values, note: 'Agreed to meet at the cafe\u0301' }, form.activityId);
    expect(cardText(invokeCard(ok))).toContain('Contact with the person who caused the harm saved.');
    expect(await noteTexts(pool, reference)).toEqual(['Agreed to meet at the caf\u00e9']);
  });

  test('risk summary and venue are checked the same way; typed Markdown (a venue, a staff name) shows as text', async () => {
    let screen = await openCase(f2, reference);
    for (const party of ['harmed_person', 'offender']) {
      screen = await click(screen, 'Record consent');
      screen = await click(screen, 'Save consent', { party, consentStatus: 'given', consentDate: isoDate(clock()) });
    }
    screen = await click(screen, 'Risk assessment');
    const refused = await click(screen, 'Save assessment', { riskLevel: 'low', riskDate: isoDate(clock()), riskSummary: 'fine\u0007' });
    expect(cardText(refused.card)).toContain('There is a control character (such as NUL) in the summary');
    screen = await click(refused, 'Save assessment', { riskLevel: 'low', riskDate: isoDate(clock()), riskSummary: 'Low risk' });
    expect(cardText(screen.card)).toContain('Risk assessment saved.');

    screen = await click(screen, 'Schedule conference');
    const when = { conferenceDate: isoDate(new Date(clock().getTime() + 14 * DAY)), conferenceTime: '10:00' };
    const badVenue = await click(screen, 'Schedule', { ...when, venue: 'Room 1\u202E' });
    expect(cardText(badVenue.card)).toContain('There is a hidden text-direction character in the venue');
    screen = await click(badVenue, 'Schedule', { ...when, venue: '**Room** [1](https://evil.example)' });
    const text = cardText(screen.card);
    expect(text).toContain('at \\*\\*Room\\*\\* \\[1\\]\\(https://evil.example\\)');
    // A staff display name with Markdown is escaped wherever the case card names them.
    const f1Screen = await openCase(f1, reference);
    expect(cardText(f1Screen.card)).toContain('Fay \\[One\\]\\(https://evil.example\\)');
    expect(cardText(f1Screen.card)).not.toContain('Fay [One](');
    expect(await count("SELECT count(*)::int AS n FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1 AND e.type = 'conference_scheduled'", [reference])).toBe(1);
  });

  test('a NUL in a referral form field gets an answer naming the field and stores nothing; the corrected form submits once', async () => {
    const c = s.chat(alice);
    let turn = await c.say('refer');
    const answers: Record<string, string> = { sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes' };
    for (;;) {
      let q: ReturnType<typeof cardWithAction> | undefined;
      try {
        q = cardWithAction(turn, 'Yes');
      } catch {
        break;
      }
      turn = await c.say(answers[String(q.action.data.questionId)]!);
    }
    const form = cardWithAction(turn, 'Submit referral');
    const cases = () => count('SELECT count(*)::int AS n FROM cases', []);
    const before = await cases();
    const bad = await c.click(form.action.verb, { ...form.action.data, ...REFERRAL_FORM, harmedPersonName: 'Harriet\u0000Harmed', riskNotes: 'none \u202Eevil' }, form.activityId);
    expect(bad.status).toBe(200);
    const badText = cardText(invokeCard(bad));
    expect(badText).toContain("There is a control character (such as NUL) in the harmed person's name that cannot be stored");
    expect(badText).toContain('There is a hidden text-direction character in the risk notes');
    expect(await cases()).toBe(before);

    const retry = invokeCard(bad);
    const submit = button(retry, 'Submit referral');
    const payload = { ...submit.data, ...REFERRAL_FORM, harmedPersonName: 'Harriet Harmed' };
    const done = await Promise.all([0, 1].map(() => c.click(submit.verb, payload, form.activityId)));
    for (const t of done) expect(cardText(invokeCard(t))).toMatch(/RJ-\d{4}-\d{4}/);
    expect(await cases()).toBe(before + 1);
  });
});

describe('malformed activities', () => {
  const conversationRefs = () => count('SELECT count(*)::int AS n FROM conversation_refs', []);

  test.each([
    ['a type that is not a string', (a: Record<string, unknown>) => ({ ...a, type: 5 }), '"type" must be a string'],
    ['no from', (a: Record<string, unknown>) => ({ ...a, from: undefined }), '"from" is missing'],
    ['a NUL in from.name', (a: Record<string, unknown>) => ({ ...a, from: { ...(a.from as object), name: 'Mal\u0000lory' } }), '"from.name" must not contain control characters'],
    ['conversation as a string', (a: Record<string, unknown>) => ({ ...a, conversation: 'x' }), '"conversation" must be an object'],
    ['a value that is a string', (a: Record<string, unknown>) => ({ ...a, value: 'submit' }), '"value"'],
    ['text that is a number', (a: Record<string, unknown>) => ({ ...a, text: 42 }), '"text" must be a string'],
    ['a serviceUrl that is not http(s)', (a: Record<string, unknown>) => ({ ...a, serviceUrl: 'file:///etc/passwd' }), '"serviceUrl"'],
    ['entities that are not a list', (a: Record<string, unknown>) => ({ ...a, entities: 'mention' }), '"entities"'],
    // Found by the fuzz (test/e2e/fuzz.test.ts): each failed the turn inside botbuilder or PostgreSQL.
    ['a conversation id that is not ASCII', (a: Record<string, unknown>) => ({ ...a, conversation: { ...(a.conversation as object), id: '\u0100' } }), '"conversation.id" must be printable ASCII'],
    ['an unpaired surrogate in a stored field', (a: Record<string, unknown>) => ({ ...a, conversation: { ...(a.conversation as object), conversationType: '\udfff' } }), 'cannot be stored'],
    ['a NUL in an extra field of the conversation', (a: Record<string, unknown>) => ({ ...a, conversation: { ...(a.conversation as object), extra: { x: 'a\u0000' } } }), '"conversation.extra.x" contains a character that cannot be stored'],
    ['an invoke without a value', (a: Record<string, unknown>) => ({ ...a, type: 'invoke', name: 'fileConsent/invoke', value: undefined }), '"value" is required for an invoke'],
  ])('%s: 400 with a short reason, nothing stored', async (_name, mutate, reason) => {
    const who: TeamsUser = { aadObjectId: randomUUID(), tenantId: STAFF_TENANT, name: 'New Person' };
    const activity = mutate(s.chat(who).teams.message('help', who) as Record<string, unknown>);
    // Messages owed by earlier tests (a case's new thread stores its reference) must not land in between.
    await app.idle();
    const refs = await conversationRefs();
    const res = await postRaw(app.url, JSON.stringify(activity), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const message = String((res.body as { message?: unknown }).message);
    expect(message).toContain(reason);
    expect(message).not.toContain('lory');
    expect(await conversationRefs()).toBe(refs);
    expect(connector.sentTo(s.chat(who).conversationId)).toHaveLength(0);
  });

  test('card actions botbuilder or zod used to fail on are answered, not failed', async () => {
    const c = s.chat(coord);
    // An adaptiveCard/action invoke whose value has no action (botbuilder read value.action.type).
    const noAction = { ...c.teams.adaptiveCardAction('referral.start', {}, coord, { replyToId: '1' }), value: { trigger: 'manual' } };
    const r1 = await c.post(noAction);
    expect(r1.status).toBe(200);
    expect(JSON.stringify(r1.body)).toContain('no valid verb');
    // A submit whose verb has spaces around it (the old intersection schema threw).
    const r2 = await c.submit({ verb: ' referral.start ' }, '1');
    expect(r2.status).toBe(200);
    // A triage click naming a case that does not exist (CaseNotFoundError escaped).
    const r3 = await c.click('triage.accept', { caseId: '\u0000' }, '1');
    expect(JSON.stringify(r3.body)).toContain('could not be found');
    const r4 = await c.click('triage.accept', { caseId: randomUUID() }, '1');
    expect(JSON.stringify(r4.body)).toContain('could not be found');
  });

  test('a body that is not an activity object is a 400', async () => {
    expect((await postRaw(app.url, '[1,2]', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await postRaw(app.url, '"hello"', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await postRaw(app.url, 'null', { 'content-type': 'application/json' })).status).toBe(400);
  });
});
