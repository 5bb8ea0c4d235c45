import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { allActions, cardText, invokeCard, type TurnResult } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';
import { openCardRenderer, type CardRenderer } from '../support/cardRenderer';

/*
 * Issue 14, items 1 and 2, over /api/messages: a digest keeps its other items when one is snoozed
 * (the card is read back from PostgreSQL, not from the click's data), and the offer reminder
 * carries the offer's own Accept and Decline, answered on the reminder itself.
 * CARD_SCREENSHOTS=1 rewrites docs/cards/digest-reminder-*.png.
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000d0c1', tenantId: STAFF_TENANT, name: 'Cleo Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000d1', tenantId: STAFF_TENANT, name: 'Fern One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000d2', tenantId: STAFF_TENANT, name: 'Fitz Two' };
const f3: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000000d3', tenantId: STAFF_TENANT, name: 'Flo Three' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000000d1', tenantId: PARTNER_TENANT, name: 'Ada Officer' };

let db: TestDatabase;
let redis: TestRedisSpace;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let renderer: CardRenderer;

// Reminders go out in working time: the app's clock starts on a Thursday at 10:00 London and runs.
const BASE = Date.parse('2026-11-26T10:00:00Z');
const started = Date.now();
const clock = () => new Date(BASE + (Date.now() - started));

const SHOTS = process.env.CARD_SCREENSHOTS === '1';
const DOCS = path.resolve(__dirname, '../../docs/cards');

beforeAll(async () => {
  db = await createTestDatabase('e2e_reminder_cards');
  redis = testRedisSpace();
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, f3, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: redis.url, env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: `{${redis.prefix}}` }, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, f3, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2, f3]);
  renderer = await openCardRenderer();
}, 120_000);

afterAll(async () => {
  await renderer?.close();
  await app?.close();
  await connector?.close();
  await pool?.end();
  await redis?.flushPrefix();
  await db?.drop();
});

/** Appending an event is what every change does: it makes the reminder worker reconcile the case. */
async function touch(reference: string): Promise<void> {
  await pool.query(
    "INSERT INTO case_events (case_id, actor_aad_id, actor_role, type, data) SELECT id, NULL, 'system', 'test_touch', '{}' FROM cases WHERE reference = $1",
    [reference],
  );
}

/** Waits until the ledger records `n` sent reminders of a rule (the card reaches Teams a moment before). */
async function sentCount(rule: string, n: number): Promise<void> {
  const count = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM reminder_deliveries WHERE rule = $1 AND status = 'sent'", [rule])).rows[0]!.n;
  for (const deadline = Date.now() + 10_000; (await count()) < n && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  expect(await count()).toBeGreaterThanOrEqual(n);
}

/** A digest's items: each section's headline and its buttons. */
function items(card: Record<string, unknown>): { title: string; text: string; actions: ReturnType<typeof allActions> }[] {
  const body = card.body as Record<string, unknown>[];
  return body
    .filter((e) => e.type === 'Container' && Array.isArray(e.items))
    .map((e) => {
      const first = (e.items as Record<string, unknown>[])[0]!;
      return { title: String(first.text), text: cardText(e), actions: allActions(e) };
    });
}

function clickIn(user: TeamsUser, activityId: string, action: { verb: string; data: Record<string, unknown> }, inputs: Record<string, unknown> = {}): Promise<TurnResult> {
  return s.chat(user).click(action.verb, { ...action.data, ...inputs }, activityId);
}

async function shoot(name: string, card: Record<string, unknown>): Promise<void> {
  for (const width of [360, 450]) {
    expect(await renderer.overflowing(card, { width })).toEqual([]);
    if (SHOTS) writeFileSync(path.join(DOCS, `${name}-${width}.png`), await renderer.render(card, { width }));
  }
}

test('snoozing one item of a digest keeps the other item as it was and marks the snoozed one, read back from the database', async () => {
  const reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  // The pair was confirmed three weeks ago (by the app's clock): first contact with both people is
  // overdue, two reminders for each facilitator in the same minute, so one digest each.
  await pool.query("UPDATE cases SET pair_confirmed_at = $2::timestamptz - interval '21 days' WHERE reference = $1", [reference, clock().toISOString()]);
  await touch(reference);
  const digest = await s.waitForCard(s.chat(f1).conversationId, '2 things due', 15000);
  await sentCount('first_contact_due', 4);
  const before = items(digest.card);
  expect(before.map((i) => i.title)).toEqual([`First contact due: ${reference}`, `First contact due: ${reference}`]);
  expect(before.map((i) => i.text).join('\n')).toContain('the harmed person');
  expect(before.map((i) => i.text).join('\n')).toContain('the person who caused the harm');
  for (const i of before) expect(i.actions.map((a) => a.title)).toEqual(['Open case', 'Log contact', 'Snooze']);
  await shoot('digest-reminder', digest.card);

  // Snooze the first item.
  const snooze = before[0]!.actions.find((a) => a.title === 'Snooze')!;
  expect(snooze.data.reminderId).toEqual(expect.stringContaining(String(snooze.data.reminderKey)));
  const snoozed = await clickIn(f1, digest.activityId, snooze);
  expect(snoozed.status).toBe(200);
  const after = invokeCard(snoozed);
  const now = items(after);
  expect(cardText(after)).toContain('2 things due');
  expect(now.map((i) => i.title)).toEqual(before.map((i) => i.title));
  // The snoozed item: marked, with its reference and until when, and no second Snooze.
  expect(now[0]!.text).toMatch(new RegExp(`Snoozed \\(${reference}\\) until \\w+day \\d+ \\w+ \\d{4} at 09:00\\. It can be snoozed 2 more times\\.`));
  expect(now[0]!.actions.map((a) => a.title)).toEqual(['Open case', 'Log contact']);
  // The other item: exactly as it was, buttons and data included.
  expect(now[1]).toEqual(before[1]);
  const rows = await pool.query<{ reminder_key: string; count: number }>('SELECT reminder_key, count FROM reminder_snoozes');
  expect(rows.rows).toEqual([{ reminder_key: snooze.data.reminderKey, count: 1 }]);
  await shoot('digest-reminder-snoozed', after);

  // The other one, from the card as it is now: both marked.
  const second = await clickIn(f1, digest.activityId, now[1]!.actions.find((a) => a.title === 'Snooze')!);
  const both = items(invokeCard(second));
  expect(both.every((i) => i.text.includes(`Snoozed (${reference}) until`))).toBe(true);
  expect(both.flatMap((i) => i.actions.map((a) => a.title))).not.toContain('Snooze');

  // Card data is the user's to change: another person's sending named on my button shows my own
  // card, never theirs; and nobody snoozes a reminder that was not theirs.
  const f2Digest = await s.waitForCard(s.chat(f2).conversationId, '2 things due', 15000);
  const f2Snooze = items(f2Digest.card)[0]!.actions.find((a) => a.title === 'Snooze')!;
  const forged = await clickIn(f1, digest.activityId, { verb: snooze.verb, data: { ...snooze.data, reminderId: f2Snooze.data.reminderId } });
  const forgedCard = invokeCard(forged);
  expect(JSON.stringify(forgedCard)).not.toContain(f2.aadObjectId);
  expect(allActions(forgedCard).flatMap((a) => (typeof a.data.reminderId === 'string' ? [a.data.reminderId] : [])).every((id) => id.includes(encodeURIComponent(f1.aadObjectId)))).toBe(true);
  const notMine = await clickIn(f1, digest.activityId, f2Snooze);
  expect(JSON.stringify(notMine.body)).toContain('Only the person reminded, or a coordinator, can snooze this reminder.');
  // Malformed data is refused before anything runs.
  const bad = await clickIn(f1, digest.activityId, { verb: snooze.verb, data: { ...snooze.data, reminderId: 'x'.repeat(500) } });
  expect(bad.status).toBe(400);
  expect((await pool.query('SELECT count(*)::int AS n FROM reminder_snoozes')).rows[0].n).toBe(2);
}, 90_000);

test('a single reminder snoozed says which case and until when', async () => {
  const reference = await s.refer(alice);
  await pool.query("UPDATE cases SET created_at = $2::timestamptz - interval '7 days' WHERE reference = $1", [reference, clock().toISOString()]);
  await touch(reference);
  const reminder = await s.waitForCard(CHANNEL, `Triage due: ${reference}`, 15000);
  await sentCount('triage_due', 1);
  const snooze = button(reminder.card, 'Snooze');
  const snoozed = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(snooze.verb, snooze.data, coord, { replyToId: reminder.activityId })));
  const card = invokeCard(snoozed);
  expect(cardText(card)).toContain(`Triage due: ${reference}`);
  expect(cardText(card)).toMatch(new RegExp(`Snoozed \\(${reference}\\) until`));
  expect(allActions(card).map((a) => a.title)).toEqual(['Open case']);
}, 60_000);

test('the offer reminder carries the offer\'s own Accept and Decline, answered on the reminder; nothing on it refuses its recipient', async () => {
  const reference = await s.refer(alice);
  const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
  const c = s.chat(coord);
  const click = async (card: Record<string, unknown>, title: string, extra: Record<string, unknown> = {}) => {
    const b = button(card, title);
    return invokeCard(await c.post(s.inChannel(c.teams.adaptiveCardAction(b.verb, { ...b.data, ...extra }, coord, { replyToId: posted.activityId }))));
  };
  const assign = await click(await click(posted.card, 'Accept into service'), 'Assign facilitators');
  await click(assign, 'Offer to the chosen pair', { facilitatorA: f2.aadObjectId, facilitatorB: f3.aadObjectId });
  const offerCard = await s.waitForCard(s.chat(f3).conversationId, `Case offer: ${reference}`);
  // Offered a week ago (by the app's clock) and not answered: each of them is reminded.
  await pool.query(
    "UPDATE offers SET offered_at = $2::timestamptz - interval '7 days' WHERE case_id = (SELECT id FROM cases WHERE reference = $1)",
    [reference, clock().toISOString()],
  );
  await touch(reference);
  const reminder = await s.waitForCard(s.chat(f3).conversationId, `Please answer the offer of ${reference}`, 15000);
  await sentCount('assignment_answer_due', 2);
  const buttons = allActions(reminder.card);
  expect(buttons.map((a) => [a.title, a.verb])).toEqual([['Accept', 'offer.accept'], ['Decline', 'offer.decline']]);
  const offerVerbs = allActions(offerCard.card).map((a) => a.verb);
  for (const b of buttons) expect(offerVerbs).toContain(b.verb);
  expect(cardText(reminder.card)).not.toMatch(/Open case|Snooze/);
  await shoot('offer-reminder', reminder.card);

  // Decline without a reason: said on the reminder, which stays answerable; nothing recorded.
  const decline = buttons.find((b) => b.title === 'Decline')!;
  const noReason = invokeCard(await clickIn(f3, reminder.activityId, decline));
  expect(cardText(noReason)).toContain('Choose a reason before declining.');
  expect(allActions(noReason).map((a) => a.title)).toEqual(['Accept', 'Decline']);
  const status = async (who: TeamsUser) =>
    (await pool.query<{ status: string }>('SELECT o.status FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 AND o.facilitator_aad_id = $2', [reference, who.aadObjectId])).rows[0]!.status;
  expect(await status(f3)).toBe('offered');

  // Decline with the reason chosen on the reminder (its input is named for the offer).
  const reasonInput = JSON.stringify(reminder.card).match(/"id":"(declineReason-[^"]+)"/)![1]!;
  const declined = invokeCard(await clickIn(f3, reminder.activityId, decline, { [reasonInput]: 'capacity' }));
  expect(cardText(declined)).toContain(`You declined this offer (${reference}).`);
  expect(allActions(declined)).toEqual([]);
  expect(await status(f3)).toBe('declined');

  // Accept from the other facilitator's reminder.
  const f2Reminder = await s.waitForCard(s.chat(f2).conversationId, `Please answer the offer of ${reference}`, 15000);
  const accepted = invokeCard(await clickIn(f2, f2Reminder.activityId, button(f2Reminder.card, 'Accept')));
  expect(cardText(accepted)).toContain(`You accepted this offer (${reference}).`);
  expect(await status(f2)).toBe('accepted');
  // Someone else's reminder button answers nothing of theirs: the offer is f2's alone.
  const other = await clickIn(f1, f2Reminder.activityId, button(f2Reminder.card, 'Accept'));
  expect(JSON.stringify(other.body)).toContain('Only the facilitator this case was offered to can answer this offer.');
}, 90_000);
