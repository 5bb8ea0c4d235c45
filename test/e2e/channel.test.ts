/**
 * The coordinators' channel as Teams has it (issue 14 items 0 and 5, issue 10 item 2): registering
 * it checks the team's members; each referral is a post (thread) of its own, and news of a case go
 * into that case's thread; a step waiting on a coordinator pings them there with its button.
 */
import type { Pool } from 'pg';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import type { App } from '../../src/main';
import { createPool } from '../../src/store/db';
import { sql as channelThreadsMigration } from '../../src/store/migrations/016_channel_threads';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { PARTNER_TENANT, STAFF_TENANT, startTestApp } from '../support/app';
import { cardsIn } from '../support/cards';
import { caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';
import { allActions, cardText, invokeCard, textOf, type TurnResult } from '../support/chat';
import { startConnector, type ConnectorEmulator, type TeamsMember } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-0000000014c1', tenantId: STAFF_TENANT, name: 'Cass Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000014f1', tenantId: STAFF_TENANT, name: 'Faye First' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000014f2', tenantId: STAFF_TENANT, name: 'Fitz Second' };
const stranger: TeamsUser = { aadObjectId: 'e0000000-0000-4000-8000-0000000014e1', tenantId: STAFF_TENANT, name: 'Sam Stranger' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000014a1', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

const DAY = 24 * 3600 * 1000;
const isoDate = (d: Date) => d.toISOString().slice(0, 10);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;

const member = (u: TeamsUser, extra: Partial<TeamsMember> = {}): TeamsMember => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: u.tenantId, userRole: 'user', ...extra });
/** Staff of the service with no role in it: the team has plenty of them in real life. */
const colleagues = (n: number): TeamsMember[] =>
  Array.from({ length: n }, (_, i) => {
    const aadObjectId = `d0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    return { id: `29:colleague${i}`, name: `Colleague ${i}`, aadObjectId, tenantId: STAFF_TENANT, userRole: 'user' as const };
  });

async function stored(): Promise<unknown> {
  const { rows } = await pool.query<{ value: unknown }>("SELECT value FROM settings WHERE key = 'referrals_channel'");
  return rows[0]?.value;
}

function register(): Promise<TurnResult> {
  const c = s.chat(coord);
  return c.post(s.channelMessage(c, 'use this channel for referrals'));
}

function clickInChannel(u: TeamsUser, action: { verb: string; data: Record<string, unknown> }, activityId: string): Promise<TurnResult> {
  const c = s.chat(u);
  return c.post(s.inChannel(c.teams.adaptiveCardAction(action.verb, action.data, u, { replyToId: activityId })));
}

function buttonOf(card: Record<string, unknown>, title: string): { verb: string; data: Record<string, unknown> } {
  const a = allActions(card).find((x) => x.title === title);
  if (!a) throw new Error(`no "${title}" on: ${cardText(card)}`);
  return a;
}

async function caseIdOf(reference: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference]);
  return rows[0]!.id;
}

/** A facilitator fills one of the case's forms in their 1:1 chat: open it by its verb, save it with `values`. */
async function fillForm(u: TeamsUser, reference: string, formVerb: string, saveVerb: string, data: Record<string, string>, values: Record<string, string>): Promise<void> {
  const c = s.chat(u);
  const caseId = await caseIdOf(reference);
  const anchor = (await c.say(`case ${reference}`)).sent[0]!.id;
  const form = invokeCard(await c.click(formVerb, { caseId, ...data }, anchor));
  const save = allActions(form).find((a) => a.verb === saveVerb);
  if (!save) throw new Error(`no save button on: ${cardText(form)}`);
  await c.click(save.verb, { ...save.data, ...values }, anchor);
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_channel');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), env: { COORDINATOR_AAD_IDS: coord.aadObjectId } });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

describe('registering the channel checks who is in its team', () => {
  test('a guest among 520 members (the second page of Teams\' list): refused, and nothing is stored', async () => {
    connector.setRoster([member(coord), ...colleagues(519), member({ ...stranger, name: 'Gus Guest' }, { userRole: 'guest' })]);
    const turn = await register();
    expect(textOf(turn)).toContain('This channel cannot be used for referrals');
    expect(textOf(turn)).toContain('Gus Guest');
    const pages = connector.requests().filter((r) => r.kind === 'pagedMembers' && r.conversationId === '19:team000000000000000@thread.tacv2');
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(await stored()).toBeUndefined();
  });

  test('someone from another organisation in the team: refused', async () => {
    connector.setRoster([member(coord), member(alice)]);
    const turn = await register();
    expect(textOf(turn)).toContain('from outside the service\'s organisation (Alice Officer)');
    expect(await stored()).toBeUndefined();
  });

  test('members not on the roster are named and the coordinator confirms; Cancel leaves the channel unused', async () => {
    connector.setRoster([member(coord), member(f1), member(f2), member(stranger)]);
    const asked = await register();
    const card = cardsIn(asked.sent[0])[0]!;
    expect(cardText(card)).toContain('3 members of this team are not on the RJ roster');
    expect(cardText(card)).toContain('Sam Stranger');
    expect(cardText(card)).not.toContain('Cass Coordinator');

    const cancelled = await clickInChannel(coord, buttonOf(card, 'Cancel'), asked.sent[0]!.id);
    expect(cardText(invokeCard(cancelled))).toContain('Cancelled');
    expect(await stored()).toBeUndefined();

    const facilitator = await clickInChannel(f1, buttonOf(card, 'Confirm'), asked.sent[0]!.id);
    expect(textOf(facilitator) + JSON.stringify(facilitator.body)).toContain('Only coordinators');
    expect(await stored()).toBeUndefined();

    const confirmed = await clickInChannel(coord, buttonOf(card, 'Confirm'), asked.sent[0]!.id);
    expect(cardText(invokeCard(confirmed))).toContain('every new referral will be posted in this channel');
    // The channel itself, not the thread the command was typed in.
    expect(await stored()).toEqual({ channelId: CHANNEL, teamId: '19:team000000000000000@thread.tacv2', tenantId: STAFF_TENANT, serviceUrl: connector.url });

    const c = s.chat(coord);
    await c.post(s.channelMessage(c, 'roster add', [f1, f2]));
  });
});

describe('each referral is a post of its own in the channel', () => {
  const threadOf = (reference: string) => s.latestCardIn(CHANNEL, `Referral ${reference}`);

  test('two referrals start two threads, neither a reply under the registration message', async () => {
    const first = await s.refer(alice);
    const second = await s.refer(alice);
    const [a, b] = [await s.waitForCard(CHANNEL, `Referral ${first}`), await s.waitForCard(CHANNEL, `Referral ${second}`)];
    // Each card is the root of its own thread: `<channel>;messageid=<the card's id>`.
    expect(a.conversationId).toBe(`${CHANNEL};messageid=${a.activityId}`);
    expect(b.conversationId).toBe(`${CHANNEL};messageid=${b.activityId}`);
    expect(a.conversationId).not.toBe(b.conversationId);
    const starts = connector.requests().filter((r) => r.kind === 'createConversation' && r.status === 201);
    expect(starts.map((r) => (r.body as { channelData: { channel: { id: string } } }).channelData.channel.id)).toEqual([CHANNEL, CHANNEL]);
    // Nothing about a referral was sent as a reply into a thread that is not its own.
    const elsewhere = connector.sentTo(CHANNEL).filter((x) => cardsIn(x).some((k) => /Referral RJ-/.test(cardText(k))) && x.conversationId !== `${CHANNEL};messageid=${x.id}`);
    expect(elsewhere).toEqual([]);
    await app.idle();
    const { rows } = await pool.query<{ channel_conversation_id: string }>('SELECT channel_conversation_id FROM cases WHERE reference = ANY($1) ORDER BY reference', [[first, second]]);
    expect(rows.map((r) => r.channel_conversation_id)).toEqual([a.conversationId, b.conversationId]);
  });

  test('a high risk pings the coordinators in the case\'s thread with Sign off, and its card says it waits; signing off clears it', async () => {
    const reference = await s.caseInPreparation(alice, coord, [f1, f2]);
    const other = await s.refer(alice);
    const thread = threadOf(reference).conversationId;
    const root = threadOf(reference).activityId;
    const otherThread = (await s.waitForCard(CHANNEL, `Referral ${other}`)).conversationId;

    await fillForm(f1, reference, PROGRESS_VERBS.riskForm, PROGRESS_VERBS.riskSave, {}, { riskLevel: 'high', riskDate: isoDate(new Date(Date.now() - 2 * DAY)), riskSummary: 'Threats at the last hearing' });
    await app.idle();
    const notice = await s.waitForCard(thread, 'needs a coordinator');
    expect(notice.conversationId).toBe(thread);
    expect(notice.activityId).not.toBe(root);
    expect(cardText(notice.card)).toContain('Waiting for risk sign-off');
    expect(cardText(notice.card)).not.toContain('Threats');
    expect(connector.sentTo(otherThread).some((x) => cardsIn(x).some((k) => cardText(k).includes(reference)))).toBe(false);
    // The case's own card, updated in place at the root of its thread.
    const card = s.latestCardIn(thread, 'Waiting for risk sign-off');
    expect(card.activityId).toBe(root);

    const signed = await clickInChannel(coord, buttonOf(notice.card, 'Sign off risk'), notice.activityId);
    expect(JSON.stringify(signed.body)).toContain('in your 1:1 chat');
    await app.idle();
    const { rows } = await pool.query("SELECT 1 FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1 AND e.type = 'risk_signed_off'", [reference]);
    expect(rows).toHaveLength(1);
    expect(cardText(threadOf(reference).card)).not.toContain('Waiting for risk sign-off');

    // The other step waiting on a coordinator: a participant declines, a coordinator confirms the close.
    await fillForm(f1, reference, PROGRESS_VERBS.consentForm, PROGRESS_VERBS.consentSave, { party: 'harmed_person' }, { party: 'harmed_person', consentStatus: 'declined', consentDate: isoDate(new Date(Date.now() - DAY)) });
    await app.idle();
    const withdrawal = await connector.waitFor((k) =>
      k.sentTo(thread).flatMap(cardsIn).find((c) => cardText(c).includes('needs a coordinator') && cardText(c).includes('declined or withdrew consent')));
    expect(buttonOf(withdrawal, 'Confirm and close')).toMatchObject({ verb: PROGRESS_VERBS.confirmWithdrawal, data: { party: 'harmed_person' } });
  });

  test('a registration stored the old way (the command\'s own thread) is normalised to its channel and still starts new threads', async () => {
    const legacy = `${CHANNEL};messageid=1700000000001`;
    const { rows: refs } = await pool.query<{ reference: object }>('SELECT reference FROM conversation_refs WHERE conversation_id = $1', [CHANNEL]);
    await pool.query('DELETE FROM conversation_refs WHERE conversation_id = $1', [CHANNEL]);
    await pool.query(
      `INSERT INTO conversation_refs (conversation_id, tenant_id, conversation_type, service_url, reference)
       VALUES ($1, $2, 'channel', $3, jsonb_set($4::jsonb, '{conversation,id}', to_jsonb($1::text)))`,
      [legacy, STAFF_TENANT, connector.url, JSON.stringify(refs[0]!.reference)],
    );
    await pool.query("UPDATE settings SET value = jsonb_build_object('conversationId', $1::text) WHERE key = 'referrals_channel'", [legacy]);
    await pool.query(channelThreadsMigration);
    expect(await stored()).toEqual({ channelId: CHANNEL, tenantId: STAFF_TENANT, serviceUrl: connector.url });
    const reference = await s.refer(alice);
    const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
    expect(posted.conversationId).toBe(`${CHANNEL};messageid=${posted.activityId}`);
  });
});
