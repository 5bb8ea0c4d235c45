import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { displayDate } from '../../src/shared/clock';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText, invokeCard, textOf } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';
import { button, caseSetup, CHANNEL, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';

/*
 * Issue 14, item 7: what the referrer is told about their referral, over /api/messages. An officer
 * with many referrals must be able to tell them apart (offence type, date referred), learn why one
 * was declined (the category, not the coordinator's note) and how to reach the service, and never
 * see the people involved or the facilitators named.
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c701', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f701', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f702', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a701', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

const CONTACT = 'rj-service@example.org or 020 7946 0999';
const PRIVACY = 'https://rj.example.org/privacy';
/** Everyone a notice to the referrer must not name: the participants, the facilitators, the coordinator. */
const NAMES = [REFERRAL_FORM.offenderName, REFERRAL_FORM.harmedPersonName, 'Bea Burgled', 'Bo Burglar', f1.name, f2.name, coord.name];
const PANEL_NOTE = 'Discussed at panel with Fay';

const DAY = 24 * 3600 * 1000;
/** A Monday 10:00 UTC at least a day ahead: the database stamps events with its own now(). */
function nextMonday(): Date {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;

beforeAll(async () => {
  db = await createTestDatabase('e2e_referrer_notices');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock, env: { COORDINATOR_AAD_IDS: coord.aadObjectId, SERVICE_CONTACT: CONTACT, PRIVACY_URL: PRIVACY } });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

/** The referrer's notice about `reference` that contains `containing`, once the outbox has sent it. */
async function noticeTo(user: TeamsUser, reference: string, containing: string): Promise<string> {
  const until = Date.now() + 10_000;
  for (;;) {
    await app.idle();
    const found = connector.sentTo(s.chat(user).conversationId).map((a) => a.text ?? '').find((t) => t.startsWith(`Referral ${reference}: ${containing}`));
    if (found) return found;
    if (Date.now() > until) throw new Error(`no notice "${containing}" about ${reference}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function referredOn(reference: string): Promise<string> {
  const { rows } = await pool.query<{ created_at: Date }>('SELECT created_at FROM cases WHERE reference = $1', [reference]);
  return displayDate(rows[0]!.created_at);
}

function expectNamesNobody(text: string): void {
  for (const name of NAMES) expect(text).not.toContain(name);
}

test('accepted and closed: the offence type, the date referred and how to contact the service, naming nobody', async () => {
  const reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  const context = `Offence type: Robbery · referred on ${await referredOn(reference)}.`;
  // The contact is shown as typed; Markdown characters in it are escaped so they stay text.
  const contact = 'To contact the service: rj\\-service@example.org or 020 7946 0999 (quote the case reference).';

  const accepted = await noticeTo(alice, reference, 'Accepted by the service');
  expect(accepted.split('\n\n')).toEqual([`Referral ${reference}: Accepted by the service; facilitators have been assigned.`, context, contact]);
  expectNamesNobody(accepted);

  const c = s.chat(coord);
  const opened = await c.say(`case ${reference}`);
  const caseCard = [...opened.sent].reverse().flatMap((a) => cardsIn(a).map((k) => ({ activityId: a.id, card: k }))).find((x) => cardText(x.card).includes('Recent history'));
  if (!caseCard) throw new Error(`no case card with Close case: ${textOf(opened)}`);
  const form = invokeCard(await c.click(button(caseCard.card, 'Close case').verb, button(caseCard.card, 'Close case').data, caseCard.activityId));
  const save = button(form, 'Close case');
  const closedTurn = await c.click(save.verb, { ...save.data, closeOutcome: 'no_contact_possible', closeNote: `Both satisfied; thanks to ${f1.name}` }, caseCard.activityId);
  expect(cardText(invokeCard(closedTurn))).toContain('Case closed');

  const closed = await noticeTo(alice, reference, 'the case is now closed');
  expect(closed.split('\n\n')).toEqual([`Referral ${reference}: the case is now closed. Outcome: No contact possible.`, context, contact]);
  expectNamesNobody(closed);
  expect(closed).not.toContain('Both satisfied');
});

test('declined: the category the coordinator chose, never their note, with the same context', async () => {
  const reference = await s.refer(alice, { offenceType: 'burglary', offenderName: 'Bo Burglar', harmedPersonName: 'Bea Burgled' });
  const c = s.chat(coord);
  const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
  const decline = button(posted.card, 'Decline');
  const done = await c.post(s.inChannel(c.teams.adaptiveCardAction(decline.verb, { ...decline.data, declineReason: 'duplicate', declineNote: PANEL_NOTE }, coord, { replyToId: posted.activityId })));
  expect(cardText(invokeCard(done))).toContain('Declined by');

  const declined = await noticeTo(alice, reference, 'The restorative justice service has reviewed this referral');
  const lines = declined.split('\n\n');
  expect(lines.slice(1)).toEqual([
    `Offence type: Burglary · referred on ${await referredOn(reference)}.`,
    'Reason: Duplicate referral.',
    'To contact the service: rj\\-service@example.org or 020 7946 0999 (quote the case reference).',
  ]);
  expect(declined).not.toContain('panel');
  expectNamesNobody(declined);
});

test('my referrals shows each referral\'s offence type beside its reference', async () => {
  const mine = await s.chat(alice).say('my referrals');
  const text = textOf(mine);
  const { rows } = await pool.query<{ reference: string; offence_type: string }>('SELECT reference, offence_type FROM cases WHERE referrer_aad_id = $1', [alice.aadObjectId]);
  expect(rows.map((r) => r.offence_type).sort()).toEqual(['burglary', 'robbery']);
  expect(text).toContain(`**${rows.find((r) => r.offence_type === 'robbery')!.reference}** · Robbery`);
  expect(text).toContain(`**${rows.find((r) => r.offence_type === 'burglary')!.reference}** · Burglary`);
  expectNamesNobody(text);
});

test('the welcome card and the referral form link the service\'s privacy notice (PRIVACY_URL; issue 10, item 10)', async () => {
  const welcome = await s.chat(alice).say('help');
  expect(JSON.stringify(welcome.sent)).toContain(`"type":"Action.OpenUrl","title":"How we use data","url":"${PRIVACY}"`);
  let turn = await s.chat(alice).say('refer');
  for (const answer of ['yes', 'yes', 'yes', 'yes', 'no', 'yes']) turn = await s.chat(alice).say(answer);
  expect(textOf(turn)).toContain(`[privacy notice](${PRIVACY})`);
  await s.chat(alice).say('cancel');
});
