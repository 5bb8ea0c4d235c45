/**
 * Issue 14, items 4 and 8, and issue 10, item 2, over /api/messages with real PostgreSQL and Redis,
 * as coordinators, facilitators and referrers meet them in Teams: help by role, named suggested
 * pairs and Cancel on the assign and replace forms, the "Choose replacement" post answered in place,
 * the conference outcome form asking "did it take place?" first, the needs-review note said once
 * (and only "Needs review" in the channel), errors that name their fields, and a removal from the
 * roster that asks to confirm.
 */
import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { allActions, cardText, cardWithAction, inputIds, invokeCard, textOf, type TurnResult } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';
import { button, caseSetup, CHANNEL, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c901', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f901', tenantId: STAFF_TENANT, name: 'Fran Alder' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f902', tenantId: STAFF_TENANT, name: 'Gabe Birch' };
const f3: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f903', tenantId: STAFF_TENANT, name: 'Hal Cedar' };
const f4: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f904', tenantId: STAFF_TENANT, name: 'Ivy Damson' };
const staffOnly: TeamsUser = { aadObjectId: 'e0000000-0000-4000-8000-00000000e901', tenantId: STAFF_TENANT, name: 'Sid Staff' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a901', tenantId: PARTNER_TENANT, name: 'Alice Officer' };
const bob: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a902', tenantId: PARTNER_TENANT, name: 'Bob Officer' };
const people = [coord, f1, f2, f3, f4, staffOnly];

const DAY = 24 * 3600 * 1000;
/** The app's clock: a Monday 10:00 UTC after the real now (the database stamps events with its own now()); only moved forward. */
function nextMonday(): Date {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
const START = nextMonday();
let offset = START.getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);
const jumpTo = (d: Date) => {
  offset = d.getTime() - Date.now();
};
const isoDate = (d: Date) => d.toISOString().slice(0, 10);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;

/** A card action in the coordinators' channel, on the card posted as `replyToId`. */
async function clickInChannel(user: TeamsUser, verb: string, data: Record<string, unknown>, replyToId: string): Promise<TurnResult> {
  const c = s.chat(user);
  return c.post(s.inChannel(c.teams.adaptiveCardAction(verb, data, user, { replyToId })));
}

async function stageOf(reference: string): Promise<string> {
  const { rows } = await pool.query<{ stage: string }>('SELECT stage FROM cases WHERE reference = $1', [reference]);
  return rows[0]!.stage;
}
async function caseIdOf(reference: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference]);
  return rows[0]!.id;
}
async function eventTypes(reference: string): Promise<string[]> {
  const { rows } = await pool.query<{ type: string }>('SELECT e.type FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1 ORDER BY e.id', [reference]);
  return rows.map((r) => r.type);
}
async function liveOffers(reference: string): Promise<{ aad: string; status: string }[]> {
  const { rows } = await pool.query<{ aad: string; status: string }>(
    "SELECT o.facilitator_aad_id AS aad, o.status FROM offers o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1 AND o.status <> 'withdrawn' ORDER BY o.offered_at, o.facilitator_aad_id",
    [reference],
  );
  return rows;
}

function theCard(turn: TurnResult): { activityId: string; card: Record<string, unknown> } {
  for (const a of turn.sent) for (const c of cardsIn(a)) return { activityId: a.id, card: c };
  throw new Error(`no card in: ${textOf(turn)}`);
}

/** Containers by id with their visibility (Action.ToggleVisibility targets). */
function containers(card: unknown, out = new Map<string, boolean>()): Map<string, boolean> {
  if (Array.isArray(card)) card.forEach((x) => containers(x, out));
  else if (card && typeof card === 'object') {
    const o = card as Record<string, unknown>;
    if (o.type === 'Container' && typeof o.id === 'string') out.set(o.id, o.isVisible !== false);
    Object.values(o).forEach((v) => containers(v, out));
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_staff_forms');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster(people.map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock, env: { COORDINATOR_AAD_IDS: coord.aadObjectId } });
  s = caseSetup(() => app.url, connector);
  for (const u of [...people, alice, bob]) await s.chat(u).say('hi');
  await s.prepareService(coord, [f1, f2, f3]);
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

describe('help is by role, and says what works where it was asked (issue 14, item 4)', () => {
  test("a coordinator's help in the channel: the channel's commands, where the others work, and no dead-end referral button", async () => {
    const c = s.chat(coord);
    const turn = await c.post(s.channelMessage(c, 'help'));
    const { activityId, card } = theCard(turn);
    const text = cardText(card);
    expect(text).toContain('You are a coordinator.');
    for (const line of ['**use this channel for referrals**', '**roster**', '**roster add @name**', '**roster remove @name**', '**roster history**']) expect(text).toContain(line);
    expect(text).toMatch(/In your 1:1 chat with me: .*\*\*cases\*\*.*\*\*overdue\*\*.*\*\*case RJ-2026-0007\*\*.*\*\*contact RJ-2026-0007\*\*/);
    expect(text).not.toContain('Make a referral');
    expect(allActions(card).map((a) => a.title)).toEqual(['Open cases', 'Overdue', 'Roster']);
    // Its buttons work here: the roster in place, a case list in the coordinator's own chat.
    const roster = await clickInChannel(coord, button(card, 'Roster').verb, button(card, 'Roster').data, activityId);
    expect(cardText(invokeCard(roster))).toContain('Facilitator roster');
    const list = await clickInChannel(coord, button(card, 'Open cases').verb, button(card, 'Open cases').data, activityId);
    expect(JSON.stringify(list.body)).toContain('The case is in your 1:1 chat');
  });

  test('a coordinator in their 1:1 chat: roster, cases, overdue, case and contact, with buttons that open them', async () => {
    const turn = await s.chat(coord).say('help');
    const { activityId, card } = theCard(turn);
    const text = cardText(card);
    for (const line of ['**roster**', '**cases**', '**overdue**', '**case RJ-2026-0007**', '**contact RJ-2026-0007**', '**refer**']) expect(text).toContain(line);
    expect(text).not.toContain('**my cases**');
    expect(text).not.toContain('use this channel');
    expect(allActions(card).map((a) => a.title)).toEqual(['Open cases', 'Overdue', 'Roster', 'Make a referral']);
    const open = await s.chat(coord).click(button(card, 'Open cases').verb, button(card, 'Open cases').data, activityId);
    expect(cardText(invokeCard(open))).toContain('Open cases');
  });

  test('a facilitator sees their own commands; a referrer, and staff not on the roster, the referral welcome', async () => {
    const fac = theCard(await s.chat(f1).say('help')).card;
    expect(cardText(fac)).toContain('You are a facilitator.');
    for (const line of ['**my cases**', '**case RJ-2026-0007**', '**contact RJ-2026-0007**']) expect(cardText(fac)).toContain(line);
    expect(cardText(fac)).not.toContain('**roster**');
    expect(cardText(fac)).not.toContain('**cases**');
    expect(allActions(fac).map((a) => a.title)).toEqual(['My cases', 'Make a referral']);

    const referrer = theCard(await s.chat(alice).say('help')).card;
    expect(cardText(referrer)).toContain('Who can be referred');
    expect(allActions(referrer).map((a) => a.title)).toEqual(['Make a referral', 'My referrals']);

    // Asked in a channel by someone with no role: no button that would only say "use a 1:1 chat".
    const c = s.chat(staffOnly);
    const inChannel = theCard(await c.post(s.channelMessage(c, 'help'))).card;
    expect(cardText(inChannel)).toContain('referrals are made in a 1:1 chat with me');
    expect(allActions(inChannel)).toEqual([]);
  });

  test('installed in the team, the welcome in the channel has no referral buttons either', async () => {
    const c = s.chat(coord);
    const turn = await c.post(s.inChannel(c.teams.installationUpdate(coord)));
    const welcome = theCard(turn).card;
    expect(cardText(welcome)).toContain('referrals are made in a 1:1 chat with me');
    expect(allActions(welcome)).toEqual([]);
  });
});

describe('a needs-review referral, its form and the channel card (issue 14, item 8; issue 10, item 2)', () => {
  let reference: string;

  test('the note is said once; errors name their fields; the phone hint cannot pass for a number', async () => {
    const c = s.chat(bob);
    let turn = await c.say('refer');
    const answers: Record<string, string> = { sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'not sure', stalkingOrChildAbuse: 'no', london: 'yes' };
    for (;;) {
      let q: ReturnType<typeof cardWithAction> | undefined;
      try {
        q = cardWithAction(turn, 'Yes');
      } catch {
        q = undefined;
      }
      if (!q) break;
      turn = await c.say(answers[String(q.action.data.questionId)]!);
    }
    const formActivity = turn.sent.find((a) => cardsIn(a).some((x) => cardText(x).includes('Referral form')))!;
    const form = cardsIn(formActivity)[0]!;
    // Once: on the form, not again in the message that carries it.
    expect(formActivity.text ?? '').not.toMatch(/not sure|review/i);
    expect(cardText(form).match(/a coordinator will review/g)).toHaveLength(1);
    const phone = JSON.stringify(form).match(/"id":"harmedPersonPhone"[^}]*"placeholder":"([^"]*)"/);
    expect(phone?.[1]).toMatch(/^e\.g\. /);

    const submit = button(form, 'Submit referral');
    const bad = await c.click(submit.verb, { ...submit.data, ...REFERRAL_FORM, sentenceDate: '2025-02-31', offenderDateOfBirth: '1990-02-30' }, formActivity.id);
    expect(cardText(invokeCard(bad))).toContain('Please correct: sentencing date, date of birth. Then submit again.');
    const good = await c.click(submit.verb, { ...submit.data, ...REFERRAL_FORM }, formActivity.id);
    reference = /RJ-\d{4}-\d{4}/.exec(textOf(good) + JSON.stringify(good.body))![0];
  });

  test('the channel card says "Needs review" without the unsure answers; the coordinator finds them in the case', async () => {
    const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
    const text = cardText(posted.card);
    expect(text).toContain('Needs review');
    expect(text).not.toMatch(/not sure|arrested/i);
    const opened = await s.chat(coord).say(`case ${reference}`);
    expect(textOf(opened)).toContain('Needs review: not sure whether a perpetrator was arrested');
  });
});

describe('assigning: named suggestions, Cancel, and the "Choose replacement" post (issue 14, item 8)', () => {
  let reference: string;
  let posted: { activityId: string; card: Record<string, unknown> };

  test('suggested pairs are named on their buttons; Cancel gives back the channel card and changes nothing', async () => {
    reference = await s.refer(alice);
    posted = await s.waitForCard(CHANNEL, `Referral ${reference}`);
    const accept = button(posted.card, 'Accept into service');
    const accepted = invokeCard(await clickInChannel(coord, accept.verb, accept.data, posted.activityId));
    const start = button(accepted, 'Assign facilitators');
    const form = invokeCard(await clickInChannel(coord, start.verb, start.data, posted.activityId));
    const suggested = allActions(form).filter((a) => a.data.choice === 'suggested');
    expect(suggested.length).toBeGreaterThan(0);
    const first = { Fran: f1, Gabe: f2, Hal: f3 };
    for (const a of suggested) {
      expect(a.title).toMatch(/^Offer to (Fran|Gabe|Hal) and (Fran|Gabe|Hal)$/);
      const [x, y] = a.title.replace('Offer to ', '').split(' and ') as (keyof typeof first)[];
      expect([a.data.facilitatorA, a.data.facilitatorB].sort()).toEqual([first[x!].aadObjectId, first[y!].aadObjectId].sort());
    }
    expect(cardText(form)).not.toContain('Assign 1');

    const cancel = button(form, 'Cancel');
    const back = invokeCard(await clickInChannel(coord, cancel.verb, cancel.data, posted.activityId));
    expect(cardText(back)).toContain(`Referral ${reference}`);
    expect(allActions(back).map((a) => a.title)).toEqual(['Assign facilitators', 'Open']);
    expect(await stageOf(reference)).toBe('accepted');
    expect(await liveOffers(reference)).toEqual([]);

    // Offered from the named button this time.
    const again = invokeCard(await clickInChannel(coord, start.verb, start.data, posted.activityId));
    const pick = allActions(again).find((a) => a.data.choice === 'suggested')!;
    const offered = invokeCard(await clickInChannel(coord, pick.verb, pick.data, posted.activityId));
    expect(cardText(offered)).toContain('offered, waiting for an answer');
    expect(await stageOf(reference)).toBe('assigning');
  });

  test('the replacement post: Cancel goes back to it; used, it says what was done; clicked again, it offers no form', async () => {
    const [stays, leaves] = await liveOffers(reference);
    const leaver = [f1, f2, f3].find((f) => f.aadObjectId === leaves!.aad)!;
    const offer = await s.waitForCard(s.chat(leaver).conversationId, `Case offer: ${reference}`);
    const decline = button(offer.card, 'Decline');
    await s.chat(leaver).click(decline.verb, { ...decline.data, declineReason: 'capacity' }, offer.activityId);
    const ping = await s.waitForCard(CHANNEL, `declined case **${reference}**`);
    const choose = button(ping.card, 'Choose replacement');
    expect(choose.data.from).toBe('replacement');

    const form = invokeCard(await clickInChannel(coord, choose.verb, choose.data, ping.activityId));
    expect(cardText(form)).toContain(`Choose a replacement for ${reference}`);
    const cancel = button(form, 'Cancel');
    const back = invokeCard(await clickInChannel(coord, cancel.verb, cancel.data, ping.activityId));
    expect(cardText(back)).toContain(`declined case **${reference}**`);
    expect(button(back, 'Choose replacement').data.from).toBe('replacement');

    const form2 = invokeCard(await clickInChannel(coord, choose.verb, choose.data, ping.activityId));
    const named = allActions(form2).find((a) => a.data.choice === 'suggested')!;
    const newcomer = [f1, f2, f3].find((f) => f.aadObjectId === named.data.facilitatorA)!;
    expect(named.title).toBe(`Offer to ${newcomer.name.split(' ')[0]}`);
    const done = invokeCard(await clickInChannel(coord, named.verb, named.data, ping.activityId));
    const doneText = cardText(done);
    expect(doneText).toContain(`Replacement chosen: ${reference}`);
    expect(doneText).toContain(`Offered to ${newcomer.name}`);
    expect(doneText).toContain(`${[f1, f2, f3].find((f) => f.aadObjectId === stays!.aad)!.name}: waiting for an answer`);
    expect(allActions(done).map((a) => a.title)).toEqual(['Open']);

    // The same post clicked again (another coordinator's copy of it): what was done, not a second form.
    const stale = invokeCard(await clickInChannel(coord, choose.verb, choose.data, ping.activityId));
    expect(cardText(stale)).toContain('A replacement has already been chosen');
    expect(inputIds(stale)).toEqual([]);
    expect((await liveOffers(reference)).map((o) => o.status)).toEqual(['offered', 'offered']);
  });

  test('the replace form (both on the case) has Cancel, which gives back the channel card unchanged', async () => {
    const card = (await s.waitForCard(CHANNEL, `Referral ${reference}`)).card;
    const change = button(card, 'Change facilitators');
    const form = invokeCard(await clickInChannel(coord, change.verb, change.data, posted.activityId));
    expect(cardText(form)).toContain(`Replace a facilitator on ${reference}`);
    const before = await eventTypes(reference);
    const back = invokeCard(await clickInChannel(coord, button(form, 'Cancel').verb, button(form, 'Cancel').data, posted.activityId));
    expect(cardText(back)).toContain(`Referral ${reference}`);
    expect(await eventTypes(reference)).toEqual(before);
  });
});

describe('the conference outcome form asks "did it take place?" first (issue 14, item 8)', () => {
  let reference: string;
  let caseId: string;

  /** Opens a form by its verb in f1's chat and saves it with the button titled `save`. */
  async function saveForm(user: TeamsUser, formVerb: string, save: string, values: Record<string, string>): Promise<Record<string, unknown>> {
    const form = invokeCard(await s.chat(user).click(formVerb, { caseId }, 'form'));
    const b = button(form, save);
    return invokeCard(await s.chat(user).click(b.verb, { ...b.data, ...values }, 'form'));
  }

  async function scheduleAndPass(days: number): Promise<void> {
    const on = new Date(START.getTime() + days * DAY);
    await saveForm(f1, 'progress.conference.form', 'Schedule', { conferenceDate: isoDate(on), conferenceTime: '10:00', venue: 'Community hall' });
    jumpTo(new Date(on.getTime() + 6 * 3600 * 1000));
  }

  beforeAll(async () => {
    reference = await s.caseInPreparation(alice, coord, [f1, f3]);
    caseId = await caseIdOf(reference);
    const today = isoDate(clock());
    for (const party of ['harmed_person', 'offender']) {
      await saveForm(f1, 'progress.contact.form', 'Save contact', { party, contactDate: today, contactTime: '09:00', method: 'phone', outcome: 'reached' });
      await saveForm(f1, 'progress.consent.form', 'Save consent', { party, consentStatus: 'given', consentDate: today });
    }
    await saveForm(f1, 'progress.risk.form', 'Save assessment', { riskLevel: 'low', riskDate: today, riskSummary: 'No concerns' });
    expect(await stageOf(reference)).toBe('ready');
  });

  test('only the question shows at first; "No" without a reason names the field and keeps that answer open', async () => {
    await scheduleAndPass(14);
    const form = invokeCard(await s.chat(f1).click('progress.outcome.form', { caseId }, 'form'));
    const text = cardText(form);
    expect(text).toContain('**Did the conference take place?**');
    expect(containers(form)).toEqual(new Map([['outcomeYes', false], ['outcomeNo', false]]));
    expect(JSON.stringify(form)).toContain('"type":"Action.ToggleVisibility"');
    expect(inputIds(form)).not.toContain('held');

    const no = button(form, 'Save: did not take place');
    expect(no.data.held).toBe('no');
    const missing = invokeCard(await s.chat(f1).click(no.verb, no.data, 'form'));
    expect(cardText(missing)).toContain('Please correct: why not.');
    expect(containers(missing)).toEqual(new Map([['outcomeYes', false], ['outcomeNo', true]]));
    expect(await stageOf(reference)).toBe('conference_scheduled');

    // What was typed under the hidden answer is ignored: the conference is cancelled, not held.
    const saved = invokeCard(await s.chat(f1).click(no.verb, { ...button(missing, 'Save: did not take place').data, notHeldReason: 'The harmed person was unwell', agreement: 'yes' }, 'form'));
    expect(cardText(saved)).toContain('Conference recorded as not held');
    const types = await eventTypes(reference);
    expect(types).toContain('conference_cancelled');
    expect(types).not.toContain('conference_held');
  });

  test('"Yes" asks only about the agreement: its review date is required when there is one', async () => {
    await scheduleAndPass(21);
    const form = invokeCard(await s.chat(f1).click('progress.outcome.form', { caseId }, 'form'));
    const yes = button(form, 'Save outcome');
    expect(yes.data.held).toBe('yes');
    const noAnswer = invokeCard(await s.chat(f1).click(yes.verb, { ...yes.data, notHeldReason: 'typed under No' }, 'form'));
    expect(cardText(noAnswer)).toContain('Please correct: was an outcome agreement made.');
    expect(containers(noAnswer).get('outcomeYes')).toBe(true);
    const noDate = invokeCard(await s.chat(f1).click(yes.verb, { ...button(noAnswer, 'Save outcome').data, agreement: 'yes' }, 'form'));
    expect(cardText(noDate)).toContain('Please correct: review date.');
    const review = isoDate(new Date(clock().getTime() + 90 * DAY));
    const held = invokeCard(await s.chat(f1).click(yes.verb, { ...button(noDate, 'Save outcome').data, agreement: 'yes', reviewOn: review }, 'form'));
    expect(cardText(held)).toContain('Conference held, with an outcome agreement.');
    expect(await stageOf(reference)).toBe('follow_up');
  });
});

describe('removing someone from the roster asks to confirm (issue 14, item 8)', () => {
  const roles = async (u: TeamsUser) =>
    (await pool.query<{ facilitator: boolean }>('SELECT facilitator FROM staff WHERE aad_object_id = $1', [u.aadObjectId])).rows[0]?.facilitator;

  test('Remove on the roster card: Cancel changes nothing; Confirm removes; someone with open cases is refused at once', async () => {
    const c = s.chat(coord);
    expect(textOf(await c.post(s.channelMessage(c, 'roster add', [f4])))).toContain('Ivy Damson added as a facilitator.');
    const rosterTurn = await c.say('roster');
    const roster = theCard(rosterTurn);
    const remove = allActions(roster.card).find((a) => a.title === 'Remove' && a.data.aadObjectId === f4.aadObjectId)!;

    const asked = invokeCard(await c.click(remove.verb, remove.data, roster.activityId));
    expect(cardText(asked)).toContain('Remove Ivy Damson?');
    expect(allActions(asked).map((a) => a.title)).toEqual(['Confirm', 'Cancel']);
    expect(await roles(f4)).toBe(true);

    const cancelled = invokeCard(await c.click(button(asked, 'Cancel').verb, button(asked, 'Cancel').data, roster.activityId));
    expect(cardText(cancelled)).toContain('Nothing was changed.');
    expect(cardText(cancelled)).toContain('Ivy Damson');
    expect(await roles(f4)).toBe(true);

    const askedAgain = invokeCard(await c.click(remove.verb, remove.data, roster.activityId));
    const confirmed = invokeCard(await c.click(button(askedAgain, 'Confirm').verb, button(askedAgain, 'Confirm').data, roster.activityId));
    expect(cardText(confirmed)).toContain('Ivy Damson removed from the roster.');
    expect(await roles(f4)).toBe(false);

    // f1 has open cases: refused before any question, nothing changed.
    const busy = allActions(roster.card).find((a) => a.title === 'Remove' && a.data.aadObjectId === f1.aadObjectId)!;
    const refused = await c.click(busy.verb, busy.data, roster.activityId);
    expect(JSON.stringify(refused.body)).toContain('replace them there first');
    expect(await roles(f1)).toBe(true);
  });

  test('roster remove @name sends the same question; Confirm removes every role', async () => {
    const c = s.chat(coord);
    await c.post(s.channelMessage(c, 'roster add', [f4]));
    const asked = cardWithAction(await c.post(s.channelMessage(c, 'roster remove', [f4])), 'Confirm');
    expect(cardText(asked.card)).toContain('Remove Ivy Damson?');
    expect(await roles(f4)).toBe(true);
    const done = await c.post(s.inChannel(c.teams.adaptiveCardAction(asked.action.verb, asked.action.data, coord, { replyToId: asked.activityId })));
    expect(cardText(invokeCard(done))).toContain('Ivy Damson removed from the roster (facilitator).');
    expect(await roles(f4)).toBe(false);
  });
});
