import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT } from '../support/app';
import { Chat, cardText, cardWithAction, inputIds, textOf, type TurnResult } from '../support/chat';
import type { TeamsUser } from '../support/activities';

/*
 * Issue 14, item 8: the ineligible outcome. With several failing rules the card asks for no date
 * (and does not mention one) and offers Start again; with sentencing the only one, the question "Do
 * you know the sentencing date?" is understood when typed: no, or a date, as people write them.
 */

const ELIGIBLE: Record<string, string> = { sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes' };
const officer: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a801', tenantId: PARTNER_TENANT, name: 'Olu Officer' };

// The app's today is 3 December 2026 in London (a running clock), so March 2027 is ahead whatever the real date.
const START = Date.parse('2026-12-03T10:00:00Z');
const t0 = Date.now();
const clock = () => new Date(START + (Date.now() - t0));

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;

beforeAll(async () => {
  db = await createTestDatabase('e2e_sentencing_date');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock });
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

const chat = () => new Chat(() => app.url, connector, officer, () => app.idle());

/** Types the answers (`over` replacing the eligible ones) and returns the turn with the ineligible card. */
async function screen(c: Chat, over: Record<string, string>): Promise<TurnResult> {
  let turn = await c.say('refer');
  for (;;) {
    let q: ReturnType<typeof cardWithAction>;
    try {
      q = cardWithAction(turn, 'Yes');
    } catch {
      return turn;
    }
    const id = String(q.action.data.questionId);
    turn = await c.say(over[id] ?? ELIGIBLE[id]!);
  }
}

async function reminderOf(screeningId: string): Promise<{ d: string | null; re_refer_aad_id: string | null }> {
  const { rows } = await pool.query("SELECT to_char(sentencing_date, 'YYYY-MM-DD') AS d, re_refer_aad_id FROM screenings WHERE id = $1", [screeningId]);
  return rows[0];
}

/** The reminder offer: the ineligible card with its date question. */
async function offer(c: Chat): Promise<{ activityId: string; screeningId: string }> {
  const turn = await screen(c, { sentenced: 'no' });
  const remind = cardWithAction(turn, 'Remind me on that date');
  expect(cardText(remind.card)).toContain('Do you know the sentencing date?');
  return { activityId: remind.activityId, screeningId: String(remind.action.data.screeningId) };
}

const said = (t: TurnResult) => t.sent.map((a) => a.text ?? '').join('\n');

describe('several failing rules', () => {
  test('no date is asked or promised, and Start again begins a new eligibility check', async () => {
    const c = chat();
    const turn = await screen(c, { sentenced: 'no', london: 'no' });
    const result = cardWithAction(turn, 'Start again');
    const text = cardText(result.card);
    expect(text).toContain('2 of the service\'s criteria are not met');
    expect(text).not.toMatch(/sentencing date|tell us/i);
    expect(inputIds(result.card)).toEqual([]);
    const again = await c.click(result.action.verb, result.action.data, result.activityId);
    expect(cardWithAction(again, 'Yes').action.data.questionId).toBe('sentenced');
    await c.say('cancel');
  });
});

describe('"Do you know the sentencing date?" answered by typing', () => {
  test.each([
    ['14/03/2027', '14 March 2027', '2027-03-14'],
    ['14 March 2027', '14 March 2027', '2027-03-14'],
    ['2027-03-14', '14 March 2027', '2027-03-14'],
  ])('"%s" sets the reminder for %s and answers the card in place', async (typed, shown, iso) => {
    const c = chat();
    const o = await offer(c);
    const turn = await c.say(typed);
    expect(said(turn)).toContain(`we will remind you on **${shown}**`);
    const updated = turn.updated.find((u) => u.activityId === o.activityId);
    expect(cardText(updated?.card)).toContain(`We will remind you on **${shown}**`);
    expect(JSON.stringify(updated?.card)).not.toContain('Remind me on that date');
    expect(await reminderOf(o.screeningId)).toEqual({ d: iso, re_refer_aad_id: officer.aadObjectId });
    // The question is closed: the next "no" is not taken for an answer to it.
    expect(said(await c.say('no'))).toContain('Sorry, I did not understand that. Type **refer**');
  });

  test.each(['no', 'no thanks', "don't know"])('"%s" sets no reminder and answers the card in place', async (typed) => {
    const c = chat();
    const o = await offer(c);
    const turn = await c.say(typed);
    expect(said(turn)).toContain('No reminder set');
    expect(said(turn)).not.toContain('did not understand');
    const updated = turn.updated.find((u) => u.activityId === o.activityId);
    expect(cardText(updated?.card)).toContain('No reminder set');
    expect(JSON.stringify(updated?.card)).not.toContain('Remind me on that date');
    expect(await reminderOf(o.screeningId)).toEqual({ d: null, re_refer_aad_id: null });
  });

  test('a date that does not exist, a past date and words are refused with what to type; the question stays open', async () => {
    const c = chat();
    const o = await offer(c);
    const impossible = await c.say('31/02/2027');
    expect(said(impossible)).toContain('31/02/2027 is not a real date');
    expect(said(impossible)).toContain('for example 14/03/2027');
    const past = await c.say('14/03/2026');
    expect(said(past)).toContain('That date has passed');
    const words = await c.say('sometime in spring');
    expect(said(words)).toContain('did not understand that as a sentencing date');
    expect(said(words)).toContain('day/month/year');
    expect(await reminderOf(o.screeningId)).toEqual({ d: null, re_refer_aad_id: null });
    // Still open: a good date now sets it.
    expect(said(await c.say('14/03/2027'))).toContain('we will remind you on **14 March 2027**');
    expect(await reminderOf(o.screeningId)).toEqual({ d: '2027-03-14', re_refer_aad_id: officer.aadObjectId });
  });

  test('after the card\'s own Remind button, a typed answer does not undo or contradict the reminder', async () => {
    const c = chat();
    const turn = await screen(c, { sentenced: 'no' });
    const remind = cardWithAction(turn, 'Remind me on that date');
    await c.click(remind.action.verb, { ...remind.action.data, sentencingDate: '2027-03-14' }, remind.activityId);
    // The button answered the question: a typed "no" is no longer an answer to it.
    const no = await c.say('no');
    expect(said(no)).toContain('Sorry, I did not understand that. Type **refer**');
    expect(no.updated).toEqual([]);
    expect(await reminderOf(String(remind.action.data.screeningId))).toEqual({ d: '2027-03-14', re_refer_aad_id: officer.aadObjectId });
  });

  test('after the card\'s No thanks, a typed date sets nothing and refer starts afresh without speaking of an unfinished referral', async () => {
    const c = chat();
    const turn = await screen(c, { sentenced: 'no' });
    const noThanks = cardWithAction(turn, 'No thanks');
    await c.click(noThanks.action.verb, noThanks.action.data, noThanks.activityId);
    const typed = await c.say('14/03/2027');
    expect(said(typed)).toContain('Sorry, I did not understand that. Type **refer**');
    expect(await reminderOf(String(noThanks.action.data.screeningId))).toEqual({ d: null, re_refer_aad_id: null });
    const again = await c.say('refer');
    expect(said(again)).not.toContain('unfinished referral');
    expect(() => cardWithAction(again, 'Yes')).not.toThrow();
  });

  test('commands still work while the question is open', async () => {
    const c = chat();
    await offer(c);
    expect(textOf(await c.say('my referrals'))).toContain('Your referrals');
    expect(said(await c.say('cancel'))).toContain('cancelled');
    expect(said(await c.say('no'))).toContain('Sorry, I did not understand that. Type **refer**');
  });
});
