import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT, UNKNOWN_TENANT } from '../support/app';
import { Chat, cardWithAction, invokeCard, cardText, textOf, inputIds, type TurnResult } from '../support/chat';
import { postRaw, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';

type Ans = 'yes' | 'no' | 'not_sure';
const LABEL: Record<Ans, string> = { yes: 'Yes', no: 'No', not_sure: 'Not sure' };
const TYPED: Record<Ans, string> = { yes: 'y', no: 'No', not_sure: "don't know" };

const ELIGIBLE: Record<string, Ans> = {
  sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes',
};

const alice: TeamsUser = { aadObjectId: 'aaaaaaaa-0000-4000-8000-00000000a11c', tenantId: PARTNER_TENANT, name: 'Alice Officer' };
const bob: TeamsUser = { aadObjectId: 'bbbbbbbb-0000-4000-8000-000000000b0b', tenantId: PARTNER_TENANT, name: 'Bob Officer' };
const staffer: TeamsUser = { aadObjectId: 'cccccccc-0000-4000-8000-00000000c0c0', tenantId: STAFF_TENANT, name: 'Casey Staff' };
const stranger: TeamsUser = { aadObjectId: 'dddddddd-0000-4000-8000-00000000d0d0', tenantId: UNKNOWN_TENANT, name: 'Stranger' };

const VALID_FORM = {
  offenceType: 'burglary',
  offenceDescription: 'Break-in at a flat',
  offenceDate: '2025-03-01',
  sentenceDate: '2025-09-10',
  sentenceType: 'custody',
  prison: 'HMP Pentonville',
  offenderName: 'Alex Example',
  offenderAware: 'yes',
  harmedPersonName: 'Sam Example',
  harmedPersonBorough: 'Hackney',
  harmedPersonPhone: '020 7946 0000',
  harmedPersonEmail: 'sam@example.org',
  harmedPersonAware: 'yes',
};

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;

beforeAll(async () => {
  db = await createTestDatabase('e2e_referral');
  // createPool handles errors on idle clients: the database is dropped (WITH FORCE) in afterAll.
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl() });
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

const chatWith = (user: TeamsUser) => new Chat(() => app.url, connector, user, () => app.idle());

/** Answers every question as `answers` says, by clicking (default) or typing; returns the last turn. */
async function screen(chat: Chat, answers: Record<string, Ans>, how: 'click' | 'type' | 'mixed' = 'click'): Promise<TurnResult> {
  let turn = await chat.say('refer');
  for (let i = 0; i < 10; i++) {
    let question: ReturnType<typeof cardWithAction>;
    try {
      question = cardWithAction(turn, 'Yes');
    } catch {
      return turn;
    }
    const id = String(question.action.data.questionId);
    const answer = answers[id];
    if (!answer) throw new Error(`no answer given for question ${id}`);
    const typed = how === 'type' || (how === 'mixed' && i % 2 === 1);
    if (typed) {
      turn = await chat.say(TYPED[answer]);
      expect(turn.status).toBe(200);
      // The answered question's card is updated in place so its buttons are gone.
      expect(turn.updated.some((u) => u.activityId === question.activityId && cardText(u.card).includes(`Your answer: **${LABEL[answer]}**`))).toBe(true);
    } else {
      const action = [...(await import('../support/chat')).actionsOf(question.card)].find(([title]) => title === LABEL[answer])![1];
      turn = await chat.click(action.verb, action.data, question.activityId);
      expect(turn.status).toBe(200);
      expect(cardText(invokeCard(turn))).toContain(`Your answer: **${LABEL[answer]}**`);
    }
  }
  throw new Error('screening did not end');
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) x`, params);
  return Number(rows[0]!.n);
}

describe('welcome', () => {
  test('install sends one welcome card, even though Teams sends installationUpdate and conversationUpdate', async () => {
    const chat = chatWith({ ...alice, aadObjectId: 'aaaaaaaa-0000-4000-8000-0000000000e1' });
    const t1 = await chat.post(chat.teams.installationUpdate(chat.user));
    const t2 = await chat.post(chat.teams.conversationUpdate(['bot'], chat.user));
    expect(t1.status).toBe(200);
    expect(t2.status).toBe(200);
    const cards = [...t1.sent, ...t2.sent].flatMap((a) => cardsIn(a));
    expect(cards).toHaveLength(1);
    expect(cardText(cards[0])).toContain('Who can be referred');
    cardWithAction(t1, 'Make a referral');
    cardWithAction(t1, 'My referrals');
  });

  test('help shows the welcome card again', async () => {
    const turn = await chatWith(alice).say('help');
    cardWithAction(turn, 'Make a referral');
  });

  test('an unknown message gets a pointer to the commands, not a crash', async () => {
    const turn = await chatWith(alice).say('what is the weather');
    expect(textOf(turn)).toMatch(/did not understand.*refer/s);
  });
});

describe('eligible referral, by button clicks, to a case reference', () => {
  test('screening → form → case saved → form closed in place → confirmation with reference', async () => {
    const chat = chatWith(alice);
    const turn = await screen(chat, ELIGIBLE, 'click');
    expect(textOf(turn)).toContain('fits the service');
    const form = cardWithAction(turn, 'Submit referral');
    expect(inputIds(form.card)).toEqual(expect.arrayContaining([
      'offenceType', 'offenceDescription', 'offenceDate', 'crimeReference', 'sentenceDate', 'sentenceType', 'prison',
      'offenderName', 'offenderDateOfBirth', 'offenderBorough', 'offenderAware', 'harmedPersonName', 'harmedPersonBorough',
      'harmedPersonPhone', 'harmedPersonEmail', 'harmedPersonAware', 'relationship', 'riskNotes', 'accessNeeds', 'referrerPhone',
    ]));
    // A partner tenant's source comes from the tenant, so the form does not ask for it.
    expect(inputIds(form.card)).not.toContain('referralSource');

    const submitted = await chat.click(form.action.verb, { ...form.action.data, ...VALID_FORM }, form.activityId);
    expect(submitted.status).toBe(200);
    const closed = invokeCard(submitted);
    expect(cardText(closed)).toMatch(/Referral submitted/);
    expect(JSON.stringify(closed)).not.toContain('Action.Execute');
    const confirmation = textOf(submitted);
    const ref = /RJ-\d{4}-\d{4}/.exec(confirmation)?.[0];
    expect(ref).toBeDefined();
    expect(confirmation).toContain('What happens next');

    const { rows } = await pool.query('SELECT c.*, (SELECT count(*) FROM participants p WHERE p.case_id = c.id)::int AS people FROM cases c WHERE reference = $1', [ref]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stage: 'referred', eligibility: 'eligible', source: 'Metropolitan Police', offence_type: 'burglary', people: 2, complex: false, referrer_aad_id: alice.aadObjectId });
    expect(await count('SELECT 1 FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1 AND e.type = $2', [ref, 'referred'])).toBe(1);
    expect(await count('SELECT 1 FROM screenings s JOIN cases c ON c.id = s.case_id WHERE c.reference = $1 AND s.outcome = $2', [ref, 'eligible'])).toBe(1);
  });

  test('a murder case is flagged complex; the staff tenant must give the referral source', async () => {
    const chat = chatWith(staffer);
    const turn = await screen(chat, ELIGIBLE, 'type');
    const form = cardWithAction(turn, 'Submit referral');
    expect(inputIds(form.card)).toContain('referralSource');
    const missing = await chat.click(form.action.verb, { ...form.action.data, ...VALID_FORM, offenceType: 'murder' }, form.activityId);
    expect(cardText(invokeCard(missing))).toContain('Choose where this referral comes from.');
    const ok = await chat.click(form.action.verb, { ...form.action.data, ...VALID_FORM, offenceType: 'murder', referralSource: 'probation' }, form.activityId);
    expect(textOf(ok)).toContain('complex case');
    const ref = /RJ-\d{4}-\d{4}/.exec(textOf(ok))![0];
    const { rows } = await pool.query('SELECT complex, source FROM cases WHERE reference = $1', [ref]);
    expect(rows[0]).toEqual({ complex: true, source: 'Probation Service (London)' });
  });
});

describe('ineligible and needs review', () => {
  test('several failing rules are all explained; only an anonymous screening is kept', async () => {
    const chat = chatWith(bob);
    const casesBefore = await count('SELECT 1 FROM cases');
    const turn = await screen(chat, { ...ELIGIBLE, sentenced: 'no', london: 'no', responsibility: 'no' }, 'type');
    const text = textOf(turn);
    expect(text).toContain('3 of the service\'s criteria are not met');
    expect(text).toContain('has not finished going through the courts');
    expect(text).toContain('has not accepted responsibility');
    expect(text).toContain('does not involve London residents');
    // More than one failing rule: no re-refer reminder offer.
    expect(text).not.toContain('Remind me');
    expect(await count('SELECT 1 FROM cases')).toBe(casesBefore);
    const { rows } = await pool.query("SELECT reason_codes, re_refer_aad_id, source FROM screenings WHERE outcome = 'ineligible' ORDER BY at DESC LIMIT 1");
    expect(rows[0]).toEqual({ reason_codes: ['NOT_SENTENCED', 'RESPONSIBILITY_NOT_ACCEPTED', 'NOT_LONDON'], re_refer_aad_id: null, source: 'Metropolitan Police' });
  });

  test('only not sentenced: the referrer can leave the sentencing date for a reminder', async () => {
    const chat = chatWith(bob);
    const turn = await screen(chat, { ...ELIGIBLE, sentenced: 'no' });
    const offer = cardWithAction(turn, 'Remind me on that date');
    const past = await chat.click(offer.action.verb, { ...offer.action.data, sentencingDate: '2020-01-01' }, offer.activityId);
    expect(cardText(invokeCard(past))).toContain('That date has passed');
    const future = new Date(Date.now() + 40 * 86400_000).toISOString().slice(0, 10);
    const ok = await chat.click(offer.action.verb, { ...offer.action.data, sentencingDate: future }, offer.activityId);
    expect(cardText(invokeCard(ok))).toContain('We will remind you on');
    const { rows } = await pool.query("SELECT to_char(sentencing_date, 'YYYY-MM-DD') AS d, re_refer_aad_id FROM screenings WHERE id = $1", [offer.action.data.screeningId]);
    expect(rows[0]).toEqual({ d: future, re_refer_aad_id: bob.aadObjectId });
  });

  test('"not sure" with no "no" is needs review: recorded, with the uncertain rules', async () => {
    const chat = chatWith(bob);
    const turn = await screen(chat, { ...ELIGIBLE, arrested: 'not_sure', sentenced: 'not_sure' }, 'mixed');
    expect(textOf(turn)).toContain('coordinator will review');
    const form = cardWithAction(turn, 'Submit referral');
    const { sentenceDate: _none, ...withoutSentenceDate } = VALID_FORM;
    const done = await chat.click(form.action.verb, { ...form.action.data, ...withoutSentenceDate }, form.activityId);
    const ref = /RJ-\d{4}-\d{4}/.exec(textOf(done))![0];
    expect(textOf(done)).toContain('Awaiting coordinator review');
    const { rows } = await pool.query('SELECT eligibility, needs_review_reasons FROM cases WHERE reference = $1', [ref]);
    expect(rows[0]).toEqual({ eligibility: 'needs_review', needs_review_reasons: ['NOT_SENTENCED', 'NO_ARREST'] });
  });

  test('adult stalking is eligible and flagged for extra care; the form only offers stalking or child abuse', async () => {
    const chat = chatWith(bob);
    const turn = await screen(chat, { ...ELIGIBLE, stalkingOrChildAbuse: 'yes', harmedUnder18: 'no' });
    const form = cardWithAction(turn, 'Submit referral');
    const offenceChoices = JSON.stringify(form.card).match(/"value":"(stalking|child_abuse|burglary)"/g) ?? [];
    expect(offenceChoices.join()).not.toContain('burglary');
    const bad = await chat.click(form.action.verb, { ...form.action.data, ...VALID_FORM }, form.activityId);
    expect(cardText(invokeCard(bad))).toContain('You answered that the offence is stalking or child abuse');
    const ok = await chat.click(form.action.verb, { ...form.action.data, ...VALID_FORM, offenceType: 'stalking' }, form.activityId);
    expect(textOf(ok)).toContain('extra care');
  });
});

describe('answers the bot does not understand, and form errors', () => {
  test('an unintelligible answer gets the same question again with the choices', async () => {
    const chat = chatWith(alice);
    const first = await chat.say('refer');
    const q = cardWithAction(first, 'Yes');
    const again = await chat.say('purple');
    const reasked = cardWithAction(again, 'Yes');
    expect(reasked.action.data.questionId).toBe(q.action.data.questionId);
    expect(cardText(reasked.card)).toContain('Sorry, I did not catch that');
    // The earlier copy of the question no longer has buttons.
    expect(again.updated.find((u) => u.activityId === q.activityId)?.card).toBeDefined();
    // A click on the retired copy's button is answered as stale and changes nothing.
    const stale = await chat.click(q.action.verb, { ...q.action.data, questionId: 'london' }, q.activityId);
    expect(cardText(invokeCard(stale))).toContain('no longer open');
    const next = await chat.say('yes');
    expect(cardWithAction(next, 'Yes').action.data.questionId).toBe('responsibility');
    await chat.say('cancel');
  });

  test('invalid input re-shows the form with values kept and each error by its field; nothing saved until valid', async () => {
    const chat = chatWith(alice);
    const form = cardWithAction(await screen(chat, ELIGIBLE), 'Submit referral');
    const before = await count('SELECT 1 FROM cases');
    const bad = {
      ...VALID_FORM,
      offenceDate: '2099-01-01',
      harmedPersonPhone: '12345',
      harmedPersonEmail: 'not-an-email',
      offenderName: '',
      offenceDescription: 'x'.repeat(2500),
    };
    const turn = await chat.click(form.action.verb, { ...form.action.data, ...bad }, form.activityId);
    const card = invokeCard(turn);
    const text = cardText(card);
    // The summary names the fields, in the form's order, so a phone user knows what to scroll to.
    expect(text).toContain("Please correct: what happened, offence date, name of the person who caused the harm, harmed person's phone, harmed person's email. Then submit again.");
    expect(text).toContain('The offence date cannot be in the future.');
    expect(text).toContain('Enter a UK phone number');
    expect(text).toContain('Enter an email address like name@example.org.');
    expect(text).toContain('Enter the name of the person who caused the harm.');
    expect(text).toContain('Keep this under 2000 characters.');
    // Each error sits right after its input, and the values are kept.
    const body = JSON.stringify(card);
    expect(body).toMatch(/"id":"harmedPersonPhone"[^}]*"value":"12345"\},\{"type":"Container","style":"attention","items":\[\{"type":"TextBlock","text":"Enter a UK phone number/);
    expect(body).toContain('"value":"Sam Example"');
    expect(await count('SELECT 1 FROM cases')).toBe(before);

    const fixed = await chat.click(form.action.verb, { ...form.action.data, ...VALID_FORM }, form.activityId);
    expect(cardText(invokeCard(fixed))).toContain('Referral submitted');
    expect(await count('SELECT 1 FROM cases')).toBe(before + 1);
  });
});

describe('idempotency, cancel and restarts', () => {
  test('submitting the same form twice at once, and once more later, creates one case and one confirmation', async () => {
    const chat = chatWith(alice);
    const form = cardWithAction(await screen(chat, ELIGIBLE), 'Submit referral');
    const before = await count('SELECT 1 FROM cases');
    const data = { ...form.action.data, ...VALID_FORM };
    const [a, b] = await Promise.all([
      chat.click(form.action.verb, data, form.activityId),
      chat.click(form.action.verb, data, form.activityId),
    ]);
    const retry = await chat.click(form.action.verb, data, form.activityId);
    expect(await count('SELECT 1 FROM cases')).toBe(before + 1);
    const ref = /RJ-\d{4}-\d{4}/.exec(cardText(invokeCard(retry)))![0];
    for (const t of [a, b, retry]) {
      expect(t.status).toBe(200);
      expect(cardText(invokeCard(t))).toContain('Referral submitted');
    }
    // Concurrent turns see each other's sends, so count distinct activities at the connector.
    const confirmations = new Set(connector.sentTo(chat.conversationId).filter((s) => cardText(cardsIn(s)[0]).includes(ref)).map((s) => s.id));
    expect(confirmations.size).toBe(1);
  });

  test('cancel during screening and during the form ends the dialog and saves nothing', async () => {
    const chat = chatWith(bob);
    const casesBefore = await count('SELECT 1 FROM cases');
    const screeningsBefore = await count('SELECT 1 FROM screenings');
    const q = cardWithAction(await chat.say('refer'), 'Yes');
    const c1 = await chat.say('cancel');
    expect(textOf(c1)).toContain('Referral cancelled. Nothing was saved.');
    expect(c1.updated.some((u) => u.activityId === q.activityId)).toBe(true);
    const after = await chat.say('yes');
    expect(textOf(after)).toContain('did not understand');

    const form = cardWithAction(await screen(chat, ELIGIBLE), 'Submit referral');
    const c2 = await chat.say('cancel');
    expect(textOf(c2)).toContain('Nothing was saved');
    expect(c2.updated.some((u) => u.activityId === form.activityId && cardText(u.card).includes('cancelled'))).toBe(true);
    // The cancelled form's Submit no longer works.
    const late = await chat.click(form.action.verb, { ...form.action.data, ...VALID_FORM }, form.activityId);
    expect(cardText(invokeCard(late))).toContain('no longer open');
    expect(await count('SELECT 1 FROM cases')).toBe(casesBefore);
    expect(await count('SELECT 1 FROM screenings')).toBe(screeningsBefore);
    expect(textOf(await chat.say('cancel'))).toContain('nothing to cancel');
  });

  test('the form\'s own Cancel button closes it', async () => {
    const chat = chatWith(bob);
    const form = cardWithAction(await screen(chat, ELIGIBLE), 'Submit referral');
    const cancelBtn = cardWithAction({ status: 200, body: undefined, sent: [{ id: form.activityId, conversationId: chat.conversationId, attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: form.card }] }], updated: [] }, 'Cancel');
    const t = await chat.click(cancelBtn.action.verb, cancelBtn.action.data, form.activityId);
    expect(cardText(invokeCard(t))).toContain('Referral cancelled. Nothing was saved.');
    expect(textOf(await chat.say('yes'))).toContain('did not understand');
  });

  test('a dialog in progress survives a restart of the server', async () => {
    const chat = chatWith({ ...alice, aadObjectId: 'aaaaaaaa-0000-4000-8000-0000000000e2' });
    await chat.say('refer');
    await chat.say('yes');
    await app.close();
    app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl() });
    const turn = await chat.say('yes');
    expect(cardWithAction(turn, 'Yes').action.data.questionId).toBe('harmedPerson');
  });

  test('the Action.Submit fallback works the same and updates the card in place', async () => {
    const chat = chatWith(bob);
    const first = await chat.say('refer');
    const q = cardWithAction(first, 'Yes');
    const t = await chat.submit({ ...q.action.data, answer: 'yes' }, q.activityId);
    expect(t.updated.find((u) => u.activityId === q.activityId && cardText(u.card).includes('Your answer: **Yes**'))).toBeDefined();
    expect(cardWithAction(t, 'Yes').action.data.questionId).toBe('responsibility');
    await chat.say('cancel');
  });
});

describe('my referrals', () => {
  test('lists only the referrer\'s own referrals', async () => {
    const mine = await chatWith(alice).say('my referrals');
    const { rows } = await pool.query<{ reference: string; referrer_aad_id: string }>('SELECT reference, referrer_aad_id FROM cases');
    const text = textOf(mine);
    const own = rows.filter((r) => r.referrer_aad_id === alice.aadObjectId);
    const others = rows.filter((r) => r.referrer_aad_id !== alice.aadObjectId);
    expect(own.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    for (const r of own) expect(text).toContain(r.reference);
    for (const r of others) expect(text).not.toContain(r.reference);
    expect(text).toContain('Awaiting triage');
  });
});

describe('who may talk to the bot, and bad requests', () => {
  test('an unknown tenant gets one polite refusal and nothing is stored', async () => {
    const chat = chatWith(stranger);
    const turn = await chat.say('refer');
    expect(turn.status).toBe(200);
    expect(turn.sent).toHaveLength(1);
    expect(turn.sent[0]!.text).toContain('only available to the restorative justice service');
    const click = await chat.click('referral.start', { verb: 'referral.start' }, 'x');
    expect((click.body as { statusCode: number }).statusCode).toBe(403);
    expect(await count('SELECT 1 FROM conversation_refs WHERE tenant_id = $1', [UNKNOWN_TENANT])).toBe(0);
    expect(await count("SELECT 1 FROM bot_state WHERE key LIKE '%' || $1 || '%'", [chat.conversationId])).toBe(0);
  });

  test('malformed JSON gets 400 and the server keeps serving', async () => {
    const res = await postRaw(app.url, '{"type": "message", ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const ok = await chatWith(alice).say('help');
    expect(ok.status).toBe(200);
  });

  test('an over-large body is refused', async () => {
    const res = await postRaw(app.url, JSON.stringify({ type: 'message', text: 'x'.repeat(600 * 1024) }), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
  });

  test('an unknown card verb and bad card data get a clear error, not a crash', async () => {
    const chat = chatWith(alice);
    const unknown = await chat.click('launch.rockets', {}, 'x');
    expect((unknown.body as { statusCode: number }).statusCode).toBe(400);
    const bad = await chat.click('screening.answer', { screeningId: 42 }, 'x');
    expect((bad.body as { statusCode: number }).statusCode).toBe(400);
  });

  test('health and readiness', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });
});
