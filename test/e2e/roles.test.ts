/**
 * Roles come from the roster, and every action re-checks its viewer when it runs: over /api/messages
 * with real PostgreSQL and Redis, the app restarted once on the same database.
 */
import type { Pool } from 'pg';
import type { App } from '../../src/main';
import { createPool } from '../../src/store/db';
import { LAST_COORDINATOR } from '../../src/domain/permissions';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { Chat, allActions, cardText, cardWithAction, invokeCard, textOf, type TurnResult } from '../support/chat';
import { cardsIn } from '../support/cards';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-0000000e0c01', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const coord2: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-0000000e0c02', tenantId: STAFF_TENANT, name: 'Dev Deputy' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000e0f01', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000e0f02', tenantId: STAFF_TENANT, name: 'Finn Two' };
const f3: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-0000000e0f03', tenantId: STAFF_TENANT, name: 'Flo Three' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000e0a01', tenantId: PARTNER_TENANT, name: 'Alice Officer' };
const bob: TeamsUser = { aadObjectId: 'b0000000-0000-4000-8000-0000000e0b01', tenantId: PARTNER_TENANT, name: 'Bob Probation' };

/** A Tuesday morning in London: nothing here depends on the real clock. */
const NOW = new Date('2026-03-03T10:00:00Z');
const ELIGIBLE = { sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes' } as const;

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;

const start = (coordinators: TeamsUser[]) =>
  startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), env: { COORDINATOR_AAD_IDS: coordinators.map((c) => c.aadObjectId).join(',') }, clock: () => NOW });
const chat = (u: TeamsUser) => new Chat(() => app.url, connector, u, () => app.idle());
/** Everything a turn answered, as one string: sent text and cards, and the invoke response. */
const said = (t: TurnResult) => `${textOf(t)}\n${JSON.stringify(t.body)}`;

async function roles(u: TeamsUser): Promise<{ coordinator: boolean; facilitator: boolean } | undefined> {
  const { rows } = await pool.query<{ coordinator: boolean; facilitator: boolean }>('SELECT coordinator, facilitator FROM staff WHERE aad_object_id = $1', [u.aadObjectId]);
  return rows[0];
}

async function stageOf(reference: string): Promise<string> {
  const { rows } = await pool.query<{ stage: string }>('SELECT stage FROM cases WHERE reference = $1', [reference]);
  return rows[0]!.stage;
}

async function eventCount(reference: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1', [reference]);
  return rows[0]!.n;
}

/** A click on a card in the coordinators' channel. */
async function clickInChannel(u: TeamsUser, card: Record<string, unknown>, title: string, activityId: string, extra: Record<string, unknown> = {}): Promise<TurnResult> {
  const b = button(card, title);
  const c = chat(u);
  return c.post(s.inChannel(c.teams.adaptiveCardAction(b.verb, { ...b.data, ...extra }, u, { replyToId: activityId })));
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_roles');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([coord, coord2, f1, f2, f3].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await start([coord]);
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, coord2, f1, f2, f3, alice, bob]) await chat(u).say('help');
  await s.prepareService(coord, [f1, f2, f3]);
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

describe('roles come from the roster', () => {
  test('a second coordinator is added by mention and manages the roster', async () => {
    const added = await chat(coord).post(s.channelMessage(chat(coord), 'roster add coordinator', [coord2]));
    expect(textOf(added)).toContain('Dev Deputy added as a coordinator.');
    expect(await roles(coord2)).toEqual({ coordinator: true, facilitator: false });
    const roster = await chat(coord2).say('roster');
    expect(textOf(roster)).toContain('Facilitator roster');
  });

  test('a removed coordinator\'s next click on an old channel card is refused and changes nothing', async () => {
    const reference = await s.refer(alice);
    const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
    // Removing asks first; Confirm on that card does it.
    const asked = await chat(coord).post(s.channelMessage(chat(coord), 'roster remove', [coord2]));
    const confirm = cardWithAction(asked, 'Confirm');
    expect(cardText(confirm.card)).toContain('Remove Dev Deputy?');
    expect(await roles(coord2)).toEqual({ coordinator: true, facilitator: false });
    const removed = await chat(coord).post(s.inChannel(chat(coord).teams.adaptiveCardAction(confirm.action.verb, confirm.action.data, coord, { replyToId: confirm.activityId })));
    expect(cardText(invokeCard(removed))).toContain('Dev Deputy removed from the roster (coordinator).');
    expect(await roles(coord2)).toEqual({ coordinator: false, facilitator: false });

    const events = await eventCount(reference);
    const accept = await clickInChannel(coord2, posted.card, 'Accept into service', posted.activityId);
    expect(said(accept)).toContain('Only coordinators can accept or decline referrals.');
    const decline = await clickInChannel(coord2, posted.card, 'Decline', posted.activityId, { declineReason: 'out_of_area' });
    expect(said(decline)).toContain('Only coordinators can accept or decline referrals.');
    expect(await stageOf(reference)).toBe('referred');
    expect(await eventCount(reference)).toBe(events);
    // Nor can they manage the roster any more, by command or from a roster card they still have.
    expect(textOf(await chat(coord2).say('roster'))).toContain('Only coordinators can manage the facilitator roster.');
  });

  test('the last coordinator cannot be removed, by command or from the roster card', async () => {
    const byCommand = await chat(coord).post(s.channelMessage(chat(coord), 'roster remove', [coord]));
    expect(textOf(byCommand)).toContain(LAST_COORDINATOR);
    const rosterTurn = await chat(coord).say('roster');
    const rosterCard = cardsIn(rosterTurn.sent[0])[0]!;
    const removeSelf = allActions(rosterCard).find((a) => a.title === 'Remove as coordinator' && a.data.aadObjectId === coord.aadObjectId)!;
    const byCard = await chat(coord).click(removeSelf.verb, removeSelf.data, rosterTurn.sent[0]!.id);
    expect(said(byCard)).toContain(LAST_COORDINATOR);
    expect(await roles(coord)).toEqual({ coordinator: true, facilitator: false });
  });

  test('roster history shows the changes, latest first, to a coordinator only', async () => {
    const turn = await chat(coord).say('roster history');
    const text = cardText(cardsIn(turn.sent[0])[0]);
    const lines = [
      'Cora Coordinator removed Dev Deputy as a coordinator',
      'Cora Coordinator added Dev Deputy as a coordinator',
      'Cora Coordinator added Flo Three as a facilitator',
      'Cora Coordinator added Fay One as a facilitator',
      'became a coordinator at start-up',
    ];
    const at = lines.map((l) => text.indexOf(l));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // The seeded coordinator's name is today's, as Teams shows it, not the placeholder.
    expect(text).toContain('Cora Coordinator became a coordinator at start-up');

    expect(textOf(await chat(f1).say('roster history'))).toContain('Only coordinators can see the roster history.');
    const byCard = await chat(f1).click('roster.history', { page: 1 }, 'old-card');
    expect(said(byCard)).toContain('Only coordinators can see the roster history.');
  });

  test('COORDINATOR_AAD_IDS does not re-add a removed coordinator after a restart', async () => {
    await app.close();
    app = await start([coord, coord2]);
    expect(await roles(coord2)).toEqual({ coordinator: false, facilitator: false });
    expect(textOf(await chat(coord2).say('roster'))).toContain('Only coordinators can manage the facilitator roster.');
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM roster_events WHERE type = 'coordinator_seeded'");
    expect(rows[0]!.n).toBe(1);
  });
});

describe('every action re-checks its viewer', () => {
  test('offer.refresh: the offered facilitator and coordinators see the offer, anyone else no details', async () => {
    const reference = await s.refer(alice);
    const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
    const accepted = invokeCard(await clickInChannel(coord, posted.card, 'Accept into service', posted.activityId));
    const assign = invokeCard(await clickInChannel(coord, accepted, 'Assign facilitators', posted.activityId));
    await clickInChannel(coord, assign, 'Offer to the chosen pair', posted.activityId, { facilitatorA: f1.aadObjectId, facilitatorB: f2.aadObjectId });
    const offer = await s.waitForCard(chat(f1).conversationId, `Case offer: ${reference}`);
    const refresh = offer.card.refresh as { action: { verb: string; data: Record<string, unknown> } };
    const as = async (u: TeamsUser) => cardText(invokeCard(await chat(u).click(refresh.action.verb, refresh.action.data, offer.activityId)));

    expect(await as(f1)).toContain(`Case offer: ${reference}`);
    expect(await as(coord)).toContain(`Case offer: ${reference}`);
    for (const other of [f3, alice, coord2]) {
      const text = await as(other);
      expect(text).toContain('This offer was made to someone else');
      expect(text).not.toContain(reference);
      expect(text).not.toContain('Robbery');
      expect(text).not.toContain('Camden');
    }
    // A third person's Accept on the same card is refused and changes nothing.
    const events = await eventCount(reference);
    const acc = button(offer.card, 'Accept');
    expect(said(await chat(f3).click(acc.verb, acc.data, offer.activityId))).toContain('Only the facilitator this case was offered to');
    expect(await eventCount(reference)).toBe(events);
  });

  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'made_up'])(
    'a decline with reason "%s" gets a clear answer and changes nothing',
    async (bad) => {
      const reference = await s.refer(alice);
      const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
      const events = await eventCount(reference);
      const turn = await clickInChannel(coord, posted.card, 'Decline', posted.activityId, { declineReason: bad, declineNote: 'x' });
      expect(cardText(invokeCard(turn))).toContain('That is not one of the listed reasons: choose a reason from the list before declining.');
      expect(await stageOf(reference)).toBe('referred');
      expect(await eventCount(reference)).toBe(events);
    },
  );

  test('an offer declined with a reason that is not listed is refused and changes nothing', async () => {
    const reference = await s.refer(alice);
    const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
    const accepted = invokeCard(await clickInChannel(coord, posted.card, 'Accept into service', posted.activityId));
    const assign = invokeCard(await clickInChannel(coord, accepted, 'Assign facilitators', posted.activityId));
    await clickInChannel(coord, assign, 'Offer to the chosen pair', posted.activityId, { facilitatorA: f2.aadObjectId, facilitatorB: f3.aadObjectId });
    const offer = await s.waitForCard(chat(f2).conversationId, `Case offer: ${reference}`);
    const events = await eventCount(reference);
    const decline = button(offer.card, 'Decline');
    for (const bad of ['constructor', 'valueOf']) {
      const turn = await chat(f2).click(decline.verb, { ...decline.data, declineReason: bad }, offer.activityId);
      expect(cardText(invokeCard(turn))).toContain('That is not one of the listed reasons');
    }
    expect(await eventCount(reference)).toBe(events);
    const { rows } = await pool.query<{ status: string }>("SELECT o.status FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 AND o.facilitator_aad_id = $2", [reference, f2.aadObjectId]);
    expect(rows).toEqual([{ status: 'offered' }]);
  });

  test('bad enum values from other cards are refused before any handler runs', async () => {
    const rosterTurn = await chat(coord).say('roster');
    const card = cardsIn(rosterTurn.sent[0])[0]!;
    const pause = allActions(card).find((a) => a.title === 'Pause' && a.data.aadObjectId === f1.aadObjectId)!;
    const bad = await chat(coord).click(pause.verb, { ...pause.data, op: 'constructor' }, rosterTurn.sent[0]!.id);
    expect(said(bad)).toContain('That card action was not understood');
    const badRole = await chat(coord).click('roster.add', { newMember: f1.aadObjectId, newRole: 'owner' }, rosterTurn.sent[0]!.id);
    expect(said(badRole)).toContain('That card action was not understood');
    expect(await roles(f1)).toEqual({ coordinator: false, facilitator: true });
    const { rows } = await pool.query<{ active: boolean }>('SELECT active FROM staff WHERE aad_object_id = $1', [f1.aadObjectId]);
    expect(rows[0]!.active).toBe(true);
  });

  test('a re-refer date can be set only by the person who screened', async () => {
    const c = chat(bob);
    let turn = await c.say('refer');
    for (;;) {
      const q = (() => { try { return cardWithAction(turn, 'Yes'); } catch { return undefined; } })();
      if (!q) break;
      const id = String(q.action.data.questionId) as keyof typeof ELIGIBLE;
      turn = await c.say(id === 'sentenced' ? 'no' : ELIGIBLE[id]);
    }
    const offer = cardWithAction(turn, 'Remind me on that date');
    const screeningId = String(offer.action.data.screeningId);
    // Alice, in her own chat, with Bob's screening id: refused, and nothing is set.
    const other = await chat(alice).click(offer.action.verb, { ...offer.action.data, sentencingDate: '2026-05-01' }, offer.activityId);
    expect(said(other)).toContain('Only the person who answered the screening questions can set this reminder');
    const noRemind = await chat(alice).click('screening.noRemind', { screeningId }, offer.activityId);
    expect(said(noRemind)).toContain('That screening could not be found');
    const read = () => pool.query("SELECT to_char(sentencing_date, 'YYYY-MM-DD') AS d, re_refer_aad_id FROM screenings WHERE id = $1", [screeningId]);
    expect((await read()).rows[0]).toEqual({ d: null, re_refer_aad_id: null });
    // Bob himself can.
    const ok = await c.click(offer.action.verb, { ...offer.action.data, sentencingDate: '2026-05-01' }, offer.activityId);
    expect(cardText(invokeCard(ok))).toContain('We will remind you on');
    expect((await read()).rows[0]).toEqual({ d: '2026-05-01', re_refer_aad_id: bob.aadObjectId });
  });
});
