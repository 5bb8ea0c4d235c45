import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { CASE_VERBS } from '../../cards/verbs';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { localDateOf } from '../../src/domain/contactForm';
import { nextMonday } from '../support/testClock';
import { startConnector, type ConnectorEmulator, type SentActivity } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardsIn } from '../support/cards';
import { allActions, cardText, fillForm, invokeCard, sentCard } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';

/*
 * Issue 10, item 1: no personal data in Teams chat history. A message about a case holds its base
 * view (reference, stage, Open) and a refresh for the people who may see the details; the details
 * come from PostgreSQL at each refresh, recorded in the access audit. Every message that showed
 * details is recorded and updated back to the base view when its reader is replaced, when the case
 * closes, and when a participant is erased.
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000cc01', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000fc01', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000fc02', tenantId: STAFF_TENANT, name: 'Finn Two' };
const f3: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000fc03', tenantId: STAFF_TENANT, name: 'Flo Three' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000ac01', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

const DESCRIPTION = 'Took a bicycle from the Marigold Street shed';
const RISK_NOTES = 'Lives two streets from the harmed person';
const CONTACT_NOTE = 'Harriet asked to be called after the school run';
/** Everything typed about the people in this case: none of it may be in any message's stored content. */
const PERSONAL = [REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.offenderName, REFERRAL_FORM.harmedPersonPhone, DESCRIPTION, RISK_NOTES, CONTACT_NOTE];

const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let reference: string;
let caseId: string;

/** What Teams holds for each message of a chat now: the latest update of it, else what was sent. */
function stored(user: TeamsUser): { id: string; activity: Partial<SentActivity> }[] {
  const conversationId = s.chat(user).conversationId;
  return connector.sentTo(conversationId).map((a) => {
    const updates = connector.updates().filter((u) => u.activityId === a.id);
    return { id: a.id, activity: updates.length > 0 ? updates[updates.length - 1]!.activity : a };
  });
}

function storedText(user: TeamsUser): string {
  return stored(user).map((m) => [m.activity.text ?? '', ...cardsIn(m.activity).map(cardText)].join('\n')).join('\n---\n');
}

function leaked(text: string): string[] {
  return PERSONAL.filter((p) => text.includes(p));
}

/** The message in the user's chat about the case that the pair was sent (the first with a refresh). */
function pairMessage(user: TeamsUser): SentActivity {
  const m = connector.sentTo(s.chat(user).conversationId).find((a) => cardsIn(a)[0]?.refresh && cardText(cardsIn(a)[0]).includes(`Case ${reference}`));
  if (!m) throw new Error(`no case message for ${user.name}`);
  return m;
}

/** The user's client asking for their view of a message (Universal Actions refresh). */
async function refreshAs(user: TeamsUser, messageId: string): Promise<Record<string, unknown>> {
  const r = await s.chat(user).post(s.chat(user).teams.adaptiveCardAction(CASE_VERBS.viewCase, { caseId, view: 'case' }, user, { replyToId: messageId, trigger: 'automatic' }));
  return invokeCard(r);
}

async function recorded(user: TeamsUser): Promise<{ activity_id: string; sealed: boolean }[]> {
  const { rows } = await pool.query<{ activity_id: string; sealed: boolean }>(
    'SELECT activity_id, sealed_at IS NOT NULL AS sealed FROM case_card_messages WHERE case_id = $1 AND aad_object_id = $2 ORDER BY id',
    [caseId, user.aadObjectId],
  );
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_chat_history');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, f3, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock, env: { COORDINATOR_AAD_IDS: coord.aadObjectId } });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, f3, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2, f3]);
  reference = await s.caseInPreparation(alice, coord, [f1, f2], { offenceDescription: DESCRIPTION, riskNotes: RISK_NOTES });
  caseId = (await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference])).rows[0]!.id;
  await app.idle();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

test("the pair's message holds the base view; each of them sees the details through its refresh, recorded in the audit", async () => {
  for (const f of [f1, f2]) {
    const message = pairMessage(f);
    const base = cardsIn(message)[0]!;
    expect(leaked(cardText(base))).toEqual([]);
    expect(cardText(base)).toContain('Preparation');
    expect(allActions(base).map((a) => a.title)).toEqual(['Open', 'Refresh']);
    expect((base.refresh as { userIds: string[] }).userIds.sort()).toEqual([teamsUserId(f1), teamsUserId(f2)].sort());
    const seen = cardText(cardsIn(await s.chat(f).view(message))[0]);
    expect(seen).toContain(REFERRAL_FORM.harmedPersonName);
    expect(seen).toContain(DESCRIPTION);
  }
  const audited = await pool.query("SELECT actor_aad_id FROM case_access WHERE case_id = $1 AND view = 'details_refresh' ORDER BY id", [caseId]);
  expect(audited.rows.map((r) => r.actor_aad_id)).toEqual([f1.aadObjectId, f2.aadObjectId]);
  expect(await recorded(f1)).toEqual([{ activity_id: pairMessage(f1).id, sealed: false }]);

  // Someone not on the case who asks for the refresh (a crafted invoke) gets nothing of it.
  const outsider = cardText(await refreshAs(f3, pairMessage(f1).id));
  expect(outsider).toContain('This case is no longer available to you.');
  expect(leaked(outsider)).toEqual([]);
});

test('typed, clicked or reminded: what stays in the chat is the base view; what the reader sees comes from the refresh', async () => {
  const typed = await s.chat(f1).say(`case ${reference}`);
  expect(typed.sent).toHaveLength(1);
  expect(leaked(cardText(typed.sent[0]!.baseCard))).toEqual([]);
  expect(cardText(cardsIn(typed.sent[0])[0])).toContain(REFERRAL_FORM.harmedPersonName);
  // A form typed for opens in place through its refresh, and is saved from there.
  const contact = await s.chat(f1).say(`contact ${reference}`);
  expect(leaked(cardText(contact.sent[0]!.baseCard))).toEqual([]);
  const form = cardsIn(contact.sent[0])[0]!;
  expect(cardText(form)).toContain(`Log contact: ${reference}`);
  await fillForm(s.chat(f1), { verb: PROGRESS_VERBS.contactForm, data: { caseId, party: 'harmed_person' } }, PROGRESS_VERBS.contactSave, {
    party: 'harmed_person', contactDate: localDateOf(clock()), contactTime: '09:30', method: 'phone', outcome: 'reached', note: CONTACT_NOTE,
  });
  // Opening the case from the pair's message: Teams keeps the answer with that message, so it is recorded.
  const opened = invokeCard(await s.chat(f2).click(CASE_VERBS.openCase, { caseId }, pairMessage(f2).id));
  expect(cardText(opened)).toContain(CONTACT_NOTE);
  // A coordinator opening it from the channel gets the base view in their own chat.
  const posted = s.latestCardIn(CHANNEL, `Referral ${reference}`);
  const c = s.chat(coord);
  const fromChannel = await c.post(s.inChannel(c.teams.adaptiveCardAction(CASE_VERBS.openCase, { caseId }, coord, { replyToId: posted.activityId })));
  expect(JSON.stringify(fromChannel.body)).toContain('The case is in your 1:1 chat');
  await app.idle();
  const toCoordinator = connector.sentTo(c.conversationId).filter((a) => cardText(cardsIn(a)[0]).includes(`Case ${reference}`));
  expect(toCoordinator).toHaveLength(1);
  expect(cardText(cardsIn(await c.view(toCoordinator[0]!))[0])).toContain(REFERRAL_FORM.harmedPersonName);

  for (const u of [f1, f2, coord]) expect(leaked(storedText(u))).toEqual([]);
  expect((await recorded(f1)).map((r) => r.activity_id)).toEqual(expect.arrayContaining([pairMessage(f1).id, typed.sent[0]!.id, contact.sent[0]!.id]));
  expect((await recorded(f2)).map((r) => r.activity_id)).toEqual([pairMessage(f2).id]);
});

test("a replaced facilitator's messages go back to the base view, and their refresh shows nothing", async () => {
  const f2Messages = (await recorded(f2)).map((r) => r.activity_id);
  const f1Messages = (await recorded(f1)).map((r) => r.activity_id);
  const updatesBefore = connector.updates().length;
  const c = s.chat(coord);
  const posted = s.latestCardIn(CHANNEL, `Referral ${reference}`);
  const swap = invokeCard(await c.post(s.inChannel(c.teams.adaptiveCardAction(button(posted.card, 'Replace a facilitator').verb, button(posted.card, 'Replace a facilitator').data, coord, { replyToId: posted.activityId }))));
  const go = button(swap, 'Replace');
  await c.post(s.inChannel(c.teams.adaptiveCardAction(go.verb, { ...go.data, removeFacilitator: f2.aadObjectId, facilitatorA: f3.aadObjectId }, coord, { replyToId: posted.activityId })));
  await app.idle();

  const updated = connector.updates().slice(updatesBefore);
  for (const id of f2Messages) {
    const last = updated.filter((u) => u.activityId === id).pop();
    expect(last).toBeDefined();
    const shown = cardsIn(last!.activity)[0]!;
    expect(cardText(shown)).toContain('This case is no longer available to you.');
    expect(shown.refresh).toBeUndefined();
  }
  expect(await recorded(f2)).toEqual(f2Messages.map((id) => ({ activity_id: id, sealed: true })));
  expect(cardText(await refreshAs(f2, pairMessage(f2).id))).toContain('This case is no longer available to you.');
  expect(leaked(storedText(f2))).toEqual([]);
  // The facilitator who stays keeps their messages, refreshed for them alone.
  for (const id of f1Messages) {
    const shown = cardsIn(updated.filter((u) => u.activityId === id).pop()!.activity)[0]!;
    expect((shown.refresh as { userIds: string[] }).userIds).toEqual([teamsUserId(f1)]);
  }
  expect(cardText(await refreshAs(f1, pairMessage(f1).id))).toContain(REFERRAL_FORM.harmedPersonName);

  // The replacement accepts: their own message, with the same base view.
  const offer = await s.waitForCard(s.chat(f3).conversationId, `Case offer: ${reference}`);
  const accept = button(offer.card, 'Accept');
  await s.chat(f3).click(accept.verb, accept.data, offer.activityId);
  await app.idle();
  expect(leaked(cardText(cardsIn(pairMessage(f3))[0]))).toEqual([]);
  expect(cardText(cardsIn(await s.chat(f3).view(pairMessage(f3)))[0])).toContain(REFERRAL_FORM.offenderName);
});

test('erasing a participant updates every message that showed the case; the readers refresh without them', async () => {
  const open = [...(await recorded(f1)), ...(await recorded(coord))].filter((r) => !r.sealed).map((r) => r.activity_id);
  expect(open.length).toBeGreaterThanOrEqual(4);
  const updatesBefore = connector.updates().length;
  const press = async (card: Record<string, unknown>, title: string, inputs: Record<string, unknown> = {}) => {
    const b = allActions(card).find((a) => a.title === title)!;
    return invokeCard(await s.chat(coord).click(b.verb, { ...b.data, ...inputs }, 'erasure-card'));
  };
  let card = sentCard(await s.chat(coord).say(`erase ${reference} harmed person`), `Erasure request: ${reference}`).card;
  card = await press(card, 'Record request', { receivedOn: localDateOf(clock()) });
  await press(await press(card, 'Erase…'), 'Erase for good');
  await app.idle();

  const updatedIds = new Set(connector.updates().slice(updatesBefore).map((u) => u.activityId));
  for (const id of open) expect(updatedIds).toContain(id);
  const seen = cardText(await refreshAs(f1, pairMessage(f1).id));
  expect(seen).not.toContain(REFERRAL_FORM.harmedPersonName);
  expect(seen).not.toContain(CONTACT_NOTE);
  expect(seen).toContain(REFERRAL_FORM.offenderName);
});

test("closing the case ends the facilitators' access; the coordinators keep theirs", async () => {
  const on = (verb: string) => ({ verb, data: { caseId } });
  const closed = await fillForm(s.chat(coord), on(PROGRESS_VERBS.closeForm), PROGRESS_VERBS.closeSave, { closeOutcome: 'no_contact_possible', closeNote: 'Closed at panel' });
  expect(cardText(closed)).toContain('No contact possible');
  await app.idle();
  for (const f of [f1, f3]) {
    expect({ [f.name]: await recorded(f) }).toEqual({ [f.name]: (await recorded(f)).map((r) => ({ ...r, sealed: true })) });
    expect(cardText(await refreshAs(f, pairMessage(f).id))).toContain('This case is no longer available to you.');
    expect(leaked(storedText(f))).toEqual([]);
  }
  expect((await recorded(coord)).every((r) => !r.sealed)).toBe(true);
  expect(cardText(await refreshAs(coord, (await recorded(coord))[0]!.activity_id))).toContain(REFERRAL_FORM.offenderName);
});
