import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { WireActivity as Activity } from '../../src/simulator/wire';
import type { App } from '../../src/main';
import { inConversation, startConnector, type ConnectorEmulator } from '../support/connector';
import { channelThreadOf } from '../support/caseSetup';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { Chat, actionsOf, allActions, cardWithAction, invokeCard, cardText, textOf } from '../support/chat';
import { postActivity, teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c001', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f001', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f002', tenantId: STAFF_TENANT, name: 'Finn Two' };
const f3: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f003', tenantId: STAFF_TENANT, name: 'Flo Three' };
const f4: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f004', tenantId: STAFF_TENANT, name: 'Fred Four' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a001', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

const CHANNEL = '19:referrals0000000000@thread.tacv2';
const TEAM = '19:team000000000000000@thread.tacv2';

const ELIGIBLE = { sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes' } as const;
const FORM = {
  offenceType: 'robbery', offenceDate: '2025-02-01', sentenceDate: '2025-08-01', offenderName: 'Olly Offender', offenderAware: 'yes',
  harmedPersonName: 'Harriet Harmed', harmedPersonBorough: 'Camden', harmedPersonPhone: '020 7946 0001', harmedPersonAware: 'yes',
};

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;

const chat = (u: TeamsUser) => new Chat(() => app.url, connector, u, () => app.idle());

/** A message or invoke in the coordinators' team channel, as Teams sends it (the bot is @mentioned). */
function inChannel(a: Partial<Activity>): Partial<Activity> {
  return {
    ...a,
    conversation: { id: channelThreadOf(connector, a), conversationType: 'channel', tenantId: STAFF_TENANT, isGroup: true, name: 'Referrals' },
    channelData: { tenant: { id: STAFF_TENANT }, team: { id: TEAM }, channel: { id: CHANNEL } },
  };
}

function channelMessage(c: Chat, text: string, mentions: TeamsUser[] = []): Partial<Activity> {
  const a = c.teams.message(`<at>RJ Referrals</at> ${text} ${mentions.map((m) => `<at>${m.name}</at>`).join(' ')}`.trim(), c.user);
  a.entities = [
    { type: 'mention', mentioned: { id: a.recipient!.id, name: 'RJ Referrals' }, text: '<at>RJ Referrals</at>' },
    ...mentions.map((m) => ({ type: 'mention', mentioned: { id: teamsUserId(m), name: m.name }, text: `<at>${m.name}</at>` })),
  ];
  return inChannel(a);
}

async function stageOf(reference: string): Promise<string> {
  const { rows } = await pool.query<{ stage: string }>('SELECT stage FROM cases WHERE reference = $1', [reference]);
  return rows[0]!.stage;
}

async function refer(): Promise<string> {
  const c = chat(alice);
  let turn = await c.say('refer');
  for (;;) {
    const q = (() => { try { return cardWithAction(turn, 'Yes'); } catch { return undefined; } })();
    if (!q) break;
    const id = String(q.action.data.questionId) as keyof typeof ELIGIBLE;
    turn = await c.say(ELIGIBLE[id]);
  }
  const form = cardWithAction(turn, 'Submit referral');
  const done = await c.click(form.action.verb, { ...form.action.data, ...FORM }, form.activityId);
  return /RJ-\d{4}-\d{4}/.exec(textOf(done))![0];
}

/** The newest card the bot posted (or updated) in a conversation, with its activity id. */
function latestCardIn(conversationId: string, containing: string): { activityId: string; card: Record<string, unknown> } {
  const updates = connector.updates().filter((u) => inConversation(u.conversationId, conversationId)).reverse();
  for (const u of updates) for (const c of cardsIn(u.activity)) if (cardText(c).includes(containing)) return { activityId: u.activityId, card: c };
  const sent = connector.sentTo(conversationId).reverse();
  for (const a of sent) for (const c of cardsIn(a)) if (cardText(c).includes(containing)) return { activityId: a.id, card: c };
  throw new Error(`no card containing "${containing}" in ${conversationId}`);
}

function button(card: Record<string, unknown>, title: string) {
  const a = actionsOf(card).get(title);
  if (!a) throw new Error(`no "${title}" button; have: ${[...actionsOf(card).keys()].join(', ')}`);
  return a;
}

/** The coordinator accepts a new referral from the channel card and opens the assignment card. */
async function acceptAndOpenAssign(reference: string) {
  const c = chat(coord);
  const posted = latestCardIn(CHANNEL, `Referral ${reference}`);
  const acc = button(posted.card, 'Accept into service');
  const accepted = invokeCard(await c.post(inChannel(c.teams.adaptiveCardAction(acc.verb, acc.data, coord, { replyToId: posted.activityId }))));
  const assign = button(accepted, 'Assign facilitators');
  const assignCardJson = invokeCard(await c.post(inChannel(c.teams.adaptiveCardAction(assign.verb, assign.data, coord, { replyToId: posted.activityId }))));
  return { posted, assignCardJson };
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_assignment');
  // createPool handles errors on idle clients: the database is dropped (WITH FORCE) in afterAll.
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, f3, f4, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), env: { COORDINATOR_AAD_IDS: coord.aadObjectId } });
  // Everyone but f3 has opened their 1:1 chat with the bot; f3's is created when first needed.
  for (const u of [coord, f1, f2, alice]) await chat(u).say('help');
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

describe('setting up', () => {
  test('only a coordinator can choose the referrals channel', async () => {
    const byFacilitator = await chat(f1).post(channelMessage(chat(f1), 'use this channel for referrals'));
    expect(textOf(byFacilitator)).toContain('Only coordinators');
    // Nobody but the coordinator is on the roster yet: the team's other members are listed to confirm.
    const asked = await chat(coord).post(channelMessage(chat(coord), 'use this channel for referrals'));
    const confirm = cardWithAction(asked, 'Confirm');
    expect(cardText(confirm.card)).toContain('Fay One');
    const ok = await chat(coord).post(inChannel(chat(coord).teams.adaptiveCardAction(confirm.action.verb, confirm.action.data, coord, { replyToId: confirm.activityId })));
    expect(cardText(invokeCard(ok))).toContain('every new referral will be posted in this channel');
  });

  test('coordinators add facilitators by @mention and manage them on the roster card', async () => {
    const c = chat(coord);
    const added = await c.post(channelMessage(c, 'roster add', [f1, f2, f3]));
    expect(textOf(added)).toContain('Fay One added as a facilitator.');
    expect(textOf(added)).toContain('Flo Three added as a facilitator.');
    const denied = await chat(f1).post(channelMessage(chat(f1), 'roster'));
    expect(textOf(denied)).toContain('Only coordinators can manage the facilitator roster.');
    const rosterTurn = await c.say('roster');
    const rosterCard = cardsIn(rosterTurn.sent[0])[0]!;
    expect(cardText(rosterCard)).toContain('Fay One');
    const markF1 = allActions(rosterCard).find((a) => a.title === 'Mark experienced' && a.data.aadObjectId === f1.aadObjectId)!;
    const after = await c.click(markF1.verb, markF1.data, rosterTurn.sent[0]!.id);
    expect(cardText(invokeCard(after))).toContain('Fay One marked experienced.');
    const { rows } = await pool.query('SELECT experienced FROM staff WHERE aad_object_id = $1', [f1.aadObjectId]);
    expect(rows[0].experienced).toBe(true);
  });
});

describe('from referral to a confirmed pair', () => {
  let reference: string;

  test('a new referral is posted to the channel without names; a non-coordinator cannot act on it', async () => {
    reference = await refer();
    const posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    const text = cardText(posted.card);
    expect(text).toContain('Robbery');
    expect(text).toContain('Metropolitan Police');
    expect(JSON.stringify(posted.card)).not.toMatch(/Harriet|Olly|7946/);
    const accept = button(posted.card, 'Accept into service');
    const denied = await chat(f1).post(inChannel(chat(f1).teams.adaptiveCardAction(accept.verb, accept.data, f1, { replyToId: posted.activityId })));
    expect(JSON.stringify(denied.body)).toContain('Only coordinators can accept or decline referrals.');
    expect(await stageOf(reference)).toBe('referred');
  });

  test('the coordinator accepts it into the service and assigns a suggested pair', async () => {
    const c = chat(coord);
    const posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    const accept = button(posted.card, 'Accept into service');
    const accepted = await c.post(inChannel(c.teams.adaptiveCardAction(accept.verb, accept.data, coord, { replyToId: posted.activityId })));
    const acceptedCard = invokeCard(accepted);
    expect(cardText(acceptedCard)).toContain('Accepted into the service by Cora Coordinator');
    expect(await stageOf(reference)).toBe('accepted');
    // The double click changes nothing and still answers with the current card.
    const again = await c.post(inChannel(c.teams.adaptiveCardAction(accept.verb, accept.data, coord, { replyToId: posted.activityId })));
    expect(JSON.stringify(again.body)).toMatch(/Only a referral awaiting triage|Accepted into the service/);

    const assign = button(acceptedCard, 'Assign facilitators');
    const assignTurn = await c.post(inChannel(c.teams.adaptiveCardAction(assign.verb, assign.data, coord, { replyToId: posted.activityId })));
    const assignCardJson = invokeCard(assignTurn);
    expect(cardText(assignCardJson)).toContain('Suggested pairs');
    const first = allActions(assignCardJson).find((a) => a.title.startsWith('Offer to ') && a.data.choice === 'suggested')!;
    const offered = await c.post(inChannel(c.teams.adaptiveCardAction(first.verb, first.data, coord, { replyToId: posted.activityId })));
    expect(cardText(invokeCard(offered))).toContain('offered, waiting for an answer');
    expect(await stageOf(reference)).toBe('assigning');
  });

  test('each offered facilitator gets a 1:1 offer without participant names; others cannot answer it', async () => {
    const { rows } = await pool.query<{ facilitator_aad_id: string }>("SELECT o.facilitator_aad_id FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 AND o.status = 'offered'", [reference]);
    const offered = rows.map((r) => r.facilitator_aad_id).sort();
    expect(offered).toHaveLength(2);
    for (const id of offered) {
      const user = [f1, f2, f3].find((u) => u.aadObjectId === id)!;
      const offer = latestCardIn(chat(user).conversationId, `Case offer: ${reference}`);
      expect(JSON.stringify(offer.card)).not.toMatch(/Harriet|Olly|7946/);
      expect((offer.card.refresh as { userIds: string[] }).userIds).toEqual([teamsUserId(user)]);
    }
    const outsider = [f1, f2, f3].find((u) => !offered.includes(u.aadObjectId))!;
    const someOffer = latestCardIn(chat([f1, f2, f3].find((u) => u.aadObjectId === offered[0])!).conversationId, `Case offer: ${reference}`);
    const acc = button(someOffer.card, 'Accept');
    const denied = await chat(outsider).click(acc.verb, acc.data, someOffer.activityId);
    expect(JSON.stringify(denied.body)).toContain('Only the facilitator this case was offered to');
  });

  test('three people accept two places at the same instant (one twice): the pair is confirmed once, details go to both, the referrer is told', async () => {
    const { rows } = await pool.query<{ facilitator_aad_id: string }>("SELECT o.facilitator_aad_id FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 AND o.status = 'offered'", [reference]);
    const users = rows.map((r) => [f1, f2, f3].find((u) => u.aadObjectId === r.facilitator_aad_id)!);
    const clicks = users.map((u) => {
      const offer = latestCardIn(chat(u).conversationId, `Case offer: ${reference}`);
      const acc = button(offer.card, 'Accept');
      return () => chat(u).click(acc.verb, acc.data, offer.activityId);
    });
    const outsider = [f1, f2, f3].find((u) => !users.includes(u))!;
    const firstOffer = latestCardIn(chat(users[0]!).conversationId, `Case offer: ${reference}`);
    const grab = button(firstOffer.card, 'Accept');
    const [a, b, again, intruder] = await Promise.all([
      clicks[0]!(), clicks[1]!(), clicks[0]!(), chat(outsider).click(grab.verb, grab.data, firstOffer.activityId),
    ]);
    for (const r of [a!, b!, again!]) expect(cardText(invokeCard(r))).toContain('Accepted by you');
    expect(JSON.stringify(intruder!.body)).toContain('Only the facilitator this case was offered to');
    const accepted = await pool.query("SELECT count(*)::int AS n FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 AND o.status = 'accepted'", [reference]);
    expect(accepted.rows[0].n).toBe(2);
    expect(await stageOf(reference)).toBe('preparation');
    const events = await pool.query("SELECT count(*)::int AS n FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1 AND e.type = 'pair_confirmed'", [reference]);
    expect(events.rows[0].n).toBe(1);
    // Each of the pair gets a message that holds the base view only; their Teams refreshes it into the details.
    const pairIds = users.map((u) => chat(u).teamsId);
    for (const u of users) {
      const message = connector.sentTo(chat(u).conversationId).reverse().find((m) => cardText(cardsIn(m)[0]).includes(`Case ${reference}`))!;
      const base = cardsIn(message)[0]!;
      expect(cardText(base)).not.toMatch(/Harriet|Olly|Pentonville/);
      expect((base.refresh as { userIds: string[] }).userIds.sort()).toEqual([...pairIds].sort());
      const seen = cardText(cardsIn(await chat(u).view(message))[0]);
      expect(seen).toContain('Harriet Harmed');
      expect(seen).toContain('Olly Offender');
    }
    const channelCard = latestCardIn(CHANNEL, `Referral ${reference}`);
    expect(cardText(channelCard.card)).toMatch(/accepted on/);
    const toReferrer = connector.sentTo(chat(alice).conversationId).map((a) => a.text ?? '').join('\n');
    expect(toReferrer).toContain(`Referral ${reference}: Accepted by the service; facilitators have been assigned.`);
    expect(toReferrer).not.toMatch(/Fay|Finn|Flo/);
  });

  test('case RJ-…: facilitators of the case see it, others do not, the referrer sees the status only', async () => {
    const { rows } = await pool.query<{ facilitator_aad_id: string }>("SELECT o.facilitator_aad_id FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 AND o.status = 'accepted'", [reference]);
    const onCase = [f1, f2, f3].find((u) => u.aadObjectId === rows[0]!.facilitator_aad_id)!;
    const notOnCase = [f1, f2, f3].find((u) => !rows.some((r) => r.facilitator_aad_id === u.aadObjectId))!;
    expect(textOf(await chat(onCase).say(`case ${reference}`))).toContain('Harriet Harmed');
    const refused = textOf(await chat(notOnCase).say(`case ${reference}`));
    expect(refused).toContain('You can only see cases you referred or that are assigned to you.');
    expect(refused).not.toContain('Harriet');
    const status = textOf(await chat(alice).say(`case ${reference}`));
    expect(status).toContain('In progress with facilitators');
    expect(status).not.toContain('Harriet');
  });
});

describe('a decline and a replacement', () => {
  test('a facilitator declines with a reason; the coordinator chooses a replacement who accepts', async () => {
    const reference = await refer();
    const c = chat(coord);
    const { assignCardJson } = await acceptAndOpenAssign(reference);
    let posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    // Free choice: f1 and f2.
    const free = button(assignCardJson, 'Offer to the chosen pair');
    await c.post(inChannel(c.teams.adaptiveCardAction(free.verb, { ...free.data, facilitatorA: f1.aadObjectId, facilitatorB: f2.aadObjectId }, coord, { replyToId: posted.activityId })));

    const offer2 = latestCardIn(chat(f2).conversationId, `Case offer: ${reference}`);
    const decline = button(offer2.card, 'Decline');
    const noReason = await chat(f2).click(decline.verb, decline.data, offer2.activityId);
    expect(cardText(invokeCard(noReason))).toContain('Choose a reason before declining.');
    const declined = await chat(f2).click(decline.verb, { ...decline.data, declineReason: 'capacity' }, offer2.activityId);
    expect(cardText(invokeCard(declined))).toContain('Declined');
    const offer1 = latestCardIn(chat(f1).conversationId, `Case offer: ${reference}`);
    const acc1 = button(offer1.card, 'Accept');
    await chat(f1).click(acc1.verb, acc1.data, offer1.activityId);

    posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    expect(cardText(posted.card)).toContain('Finn Two: declined (I do not have capacity)');
    const ping = latestCardIn(CHANNEL, `declined case **${reference}**`);
    expect(button(ping.card, 'Choose replacement').data.caseId).toBe(button(posted.card, 'Open').data.caseId);
    const choose = button(posted.card, 'Choose replacement');
    const replaceCard = invokeCard(await c.post(inChannel(c.teams.adaptiveCardAction(choose.verb, choose.data, coord, { replyToId: posted.activityId }))));
    expect(cardText(replaceCard)).toContain('Staying on the case: Fay One');
    expect(cardText(replaceCard)).not.toContain('Finn Two');
    expect(button(replaceCard, 'Offer to Flo').data.facilitatorA).toBe(f3.aadObjectId);
    // Fred Four joins the roster now and has never opened a chat with the bot.
    expect(textOf(await c.post(channelMessage(c, 'roster add', [f4])))).toContain('Fred Four added as a facilitator.');
    const chosen = button(replaceCard, 'Offer to the chosen person');
    const creates = connector.requests().filter((r) => r.kind === 'createConversation').length;
    await c.post(inChannel(c.teams.adaptiveCardAction(chosen.verb, { ...chosen.data, facilitatorA: f4.aadObjectId }, coord, { replyToId: posted.activityId })));
    // So a 1:1 conversation is created for the offer.
    expect(connector.requests().filter((r) => r.kind === 'createConversation').length).toBe(creates + 1);
    const offer4 = latestCardIn(chat(f4).conversationId, `Case offer: ${reference}`);
    const acc4 = button(offer4.card, 'Accept');
    await chat(f4).click(acc4.verb, acc4.data, offer4.activityId);
    expect(await stageOf(reference)).toBe('preparation');
    // The old offer card of the declined facilitator no longer works.
    const late = await chat(f2).click(button(offer2.card, 'Accept').verb, button(offer2.card, 'Accept').data, offer2.activityId);
    expect(JSON.stringify(late.body)).toMatch(/withdrawn|declined this offer/);
  });
});

describe('delivery problems', () => {
  test('a 429 with Retry-After delays the offer, which is delivered once; a 403 marks the chat stale and coordinators see it', async () => {
    const reference = await refer();
    const c = chat(coord);
    const { posted, assignCardJson } = await acceptAndOpenAssign(reference);
    const free = button(assignCardJson, 'Offer to the chosen pair');
    connector.failNext({ match: { conversationId: chat(f1).conversationId }, status: 429, retryAfterSeconds: 1, times: 1 });
    connector.failNext({ match: { conversationId: chat(f2).conversationId }, status: 403, times: 1 });
    const started = Date.now();
    const result = await postActivity(app.url, inChannel(c.teams.adaptiveCardAction(free.verb, { ...free.data, facilitatorA: f1.aadObjectId, facilitatorB: f2.aadObjectId }, coord, { replyToId: posted.activityId })));
    // The coordinator's click is answered at once; the throttled offer follows.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(cardText(cardsIn(result.body)[0])).toContain('offered, waiting for an answer');
    await app.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const f1Offers = connector.sentTo(chat(f1).conversationId).filter((a) => cardText(cardsIn(a)[0]).includes(`Case offer: ${reference}`));
    expect(f1Offers).toHaveLength(1);
    expect(cardText(latestCardIn(CHANNEL, `Referral ${reference}`).card)).toContain('could not be reached in Teams');
    const { rows } = await pool.query('SELECT stale FROM conversation_refs WHERE conversation_id = $1', [chat(f2).conversationId]);
    expect(rows[0].stale).toBe(true);
    expect(connector.sentTo(CHANNEL).some((a) => (a.text ?? '').includes('must install or reopen the RJ Referrals app'))).toBe(true);
    // The state change stands even though one send failed.
    expect(await stageOf(reference)).toBe('assigning');
  });
});

describe('replacing a facilitator who accepted', () => {
  test('the coordinator swaps one of a confirmed pair; the replaced facilitator is told and loses access', async () => {
    const reference = await refer();
    const c = chat(coord);
    const { assignCardJson } = await acceptAndOpenAssign(reference);
    let posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    const free = button(assignCardJson, 'Offer to the chosen pair');
    await c.post(inChannel(c.teams.adaptiveCardAction(free.verb, { ...free.data, facilitatorA: f1.aadObjectId, facilitatorB: f3.aadObjectId }, coord, { replyToId: posted.activityId })));
    for (const u of [f1, f3]) {
      const offer = latestCardIn(chat(u).conversationId, `Case offer: ${reference}`);
      const a = button(offer.card, 'Accept');
      await chat(u).click(a.verb, a.data, offer.activityId);
    }
    expect(await stageOf(reference)).toBe('preparation');
    expect(textOf(await chat(f3).say(`case ${reference}`))).toContain('Harriet Harmed');

    posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    const replaceBtn = button(posted.card, 'Replace a facilitator');
    const swap = invokeCard(await c.post(inChannel(c.teams.adaptiveCardAction(replaceBtn.verb, replaceBtn.data, coord, { replyToId: posted.activityId }))));
    expect(cardText(swap)).toContain('Replace a facilitator on');
    const go = button(swap, 'Replace');
    await c.post(inChannel(c.teams.adaptiveCardAction(go.verb, { ...go.data, removeFacilitator: f3.aadObjectId, facilitatorA: f2.aadObjectId }, coord, { replyToId: posted.activityId })));
    const toF3 = connector.sentTo(chat(f3).conversationId).map((a) => a.text ?? '').join('\n');
    expect(toF3).toContain(`You are no longer assigned to case ${reference}`);
    const refusedNow = textOf(await chat(f3).say(`case ${reference}`));
    expect(refusedNow).toContain('You can only see cases you referred or that are assigned to you.');
    const offer2 = latestCardIn(chat(f2).conversationId, `Case offer: ${reference}`);
    const a2 = button(offer2.card, 'Accept');
    await chat(f2).click(a2.verb, a2.data, offer2.activityId);
    expect(textOf(await chat(f2).say(`case ${reference}`))).toContain('Harriet Harmed');
    const { rows } = await pool.query("SELECT o.status FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 ORDER BY o.offered_at", [reference]);
    expect(rows.map((r) => r.status)).toEqual(['accepted', 'withdrawn', 'accepted']);
  });
});

describe('declining at triage, opening a case from the channel, adding from the team', () => {
  test('decline needs a reason; then the case is declined and the referrer told, without detail', async () => {
    const reference = await refer();
    const c = chat(coord);
    const posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    const decline = button(posted.card, 'Decline');
    const noReason = await c.post(inChannel(c.teams.adaptiveCardAction(decline.verb, decline.data, coord, { replyToId: posted.activityId })));
    expect(cardText(invokeCard(noReason))).toContain('Choose a reason before declining.');
    expect(await stageOf(reference)).toBe('referred');
    const done = await c.post(inChannel(c.teams.adaptiveCardAction(decline.verb, { ...decline.data, declineReason: 'not_suitable', declineNote: 'Discussed at panel' }, coord, { replyToId: posted.activityId })));
    expect(cardText(invokeCard(done))).toContain('Declined by Cora Coordinator on');
    // The channel shows the category; the coordinator's note stays in the case record.
    expect(cardText(invokeCard(done))).toContain('Not suitable for restorative justice');
    expect(JSON.stringify(invokeCard(done))).not.toContain('Discussed at panel');
    const recorded = await pool.query('SELECT decline_reason FROM cases WHERE reference = $1', [reference]);
    expect(recorded.rows[0].decline_reason).toBe('Not suitable for restorative justice: Discussed at panel');
    expect(await stageOf(reference)).toBe('declined');
    const toReferrer = connector.sentTo(chat(alice).conversationId).map((a) => a.text ?? '').join('\n');
    expect(toReferrer).toContain(`Referral ${reference}: The restorative justice service has reviewed this referral and cannot take it on.`);
    expect(toReferrer).not.toContain('panel');
    // SERVICE_CONTACT is not set for this app: no contact line, the category still given.
    expect(toReferrer).toContain('Reason: Not suitable for restorative justice.');
    expect(toReferrer).not.toContain('To contact the service');
    expect(textOf(await chat(alice).say(`case ${reference}`))).toContain('Declined by the service');
  });

  test('Open on the channel card sends the details to the coordinator\'s own chat, never to the channel', async () => {
    const reference = await refer();
    const c = chat(coord);
    const posted = latestCardIn(CHANNEL, `Referral ${reference}`);
    const open = button(posted.card, 'Open');
    const channelBefore = connector.sentTo(CHANNEL).length;
    const r = await c.post(inChannel(c.teams.adaptiveCardAction(open.verb, open.data, coord, { replyToId: posted.activityId })));
    expect(JSON.stringify(r.body)).toContain('in your 1:1 chat with RJ Referrals');
    expect(latestCardIn(chat(coord).conversationId, `Case ${reference}`).card).toBeDefined();
    expect(connector.sentTo(CHANNEL).slice(channelBefore).some((a) => JSON.stringify(a).includes('Harriet'))).toBe(false);
  });

  test('the roster card offers the team\'s members who are not on it yet, and adds a coordinator', async () => {
    const newcomer = { id: '29:newcomer', name: 'Nia New', aadObjectId: 'n0000000-0000-4000-8000-00000000n001', tenantId: STAFF_TENANT };
    connector.setRoster([...[f1, f2, f3, f4, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })), newcomer]);
    const c = chat(coord);
    const turn = await c.post(channelMessage(c, 'roster'));
    const rosterCardJson = cardsIn(turn.sent[0])[0]!;
    expect(JSON.stringify(rosterCardJson)).toContain('Nia New');
    const add = button(rosterCardJson, 'Add');
    const added = await c.post(inChannel(c.teams.adaptiveCardAction(add.verb, { ...add.data, newMember: newcomer.aadObjectId, newRole: 'coordinator' }, coord, { replyToId: turn.sent[0]!.id })));
    expect(cardText(invokeCard(added))).toContain('Nia New added as a coordinator.');
    const { rows } = await pool.query('SELECT coordinator, facilitator FROM staff WHERE aad_object_id = $1', [newcomer.aadObjectId]);
    expect(rows[0]).toEqual({ coordinator: true, facilitator: false });
  });
});
