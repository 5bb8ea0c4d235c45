import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { inConversation, startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText, invokeCard, textOf, type TurnResult } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';
import { button, caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';
import { displayDate } from '../../src/shared/clock';
import { localDateOf } from '../../src/domain/contactForm';
import { noteTexts } from '../support/dataKeys';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c101', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f101', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f102', tenantId: STAFF_TENANT, name: 'Finn Two' };
const f3: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f103', tenantId: STAFF_TENANT, name: 'Flo Three' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a101', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

const NOTE = 'Left voicemail; sister says mornings are best';
const RISK_SUMMARY = 'History of threats towards the harmed person';

const DAY = 24 * 3600 * 1000;
/**
 * The app's clock: the first Monday, 10:00 UTC, at least a day after the real time, because the
 * database stamps events with its own now(). Tests only ever move it forward.
 */
function nextMonday(): Date {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
const START = nextMonday();
// The clock keeps running (the Teams rate limiter waits on it); a test only jumps it forward.
let offset = START.getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);
const jumpTo = (d: Date) => {
  offset = d.getTime() - Date.now();
};
const plusDays = (n: number) => new Date(START.getTime() + n * DAY);

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;

/** The card one person is looking at in their 1:1 chat, replaced in place by each click. */
interface Screen {
  user: TeamsUser;
  activityId: string;
  card: Record<string, unknown>;
}

/** The card a turn sent that contains `text` (a late proactive card may arrive in the same turn). */
function sentCard(turn: TurnResult, text: string): { activityId: string; card: Record<string, unknown> } {
  for (const a of [...turn.sent].reverse()) for (const c of cardsIn(a)) if (cardText(c).includes(text)) return { activityId: a.id, card: c };
  throw new Error(`no card with "${text}" in: ${textOf(turn)}`);
}

async function openCase(user: TeamsUser, reference: string): Promise<Screen> {
  const turn = await s.chat(user).say(`case ${reference}`);
  return { user, ...sentCard(turn, 'Recent history') };
}

/** Clicks a button on the screen (form inputs in `inputs`) and shows the invoke response's card. */
async function click(screen: Screen, title: string, inputs: Record<string, unknown> = {}): Promise<{ screen: Screen; turn: TurnResult }> {
  const b = button(screen.card, title);
  const turn = await s.chat(screen.user).click(b.verb, { ...b.data, ...inputs }, screen.activityId);
  return { screen: { ...screen, card: invokeCard(turn) }, turn };
}

/** The values a form's inputs show, as Teams would send them with the submit (Action.Execute, associatedInputs auto). */
function shownValues(card: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string' && o.type.startsWith('Input.') && typeof o.id === 'string' && typeof o.value === 'string') out[o.id] = o.value;
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
}

async function stageOf(reference: string): Promise<string> {
  const { rows } = await pool.query<{ stage: string }>('SELECT stage FROM cases WHERE reference = $1', [reference]);
  return rows[0]!.stage;
}

async function eventsOf(reference: string, type?: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { rows } = await pool.query<{ type: string; data: Record<string, unknown> }>(
    'SELECT e.type, e.data FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.reference = $1 AND ($2::text IS NULL OR e.type = $2) ORDER BY e.id',
    [reference, type ?? null],
  );
  return rows;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function referrerMessages(): string[] {
  return connector.sentTo(s.chat(alice).conversationId).map((a) => a.text ?? '').filter(Boolean);
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_progress');
  // createPool handles errors on idle clients: the database is dropped (WITH FORCE) in afterAll.
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, f3, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), env: { COORDINATOR_AAD_IDS: coord.aadObjectId }, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, f3, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2, f3]);
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

describe('a full case, from the confirmed pair to closing', () => {
  let reference: string;

  test('contacts with both parties: no answer, then reached; the note is stored apart and never in the log', async () => {
    reference = await s.caseInPreparation(alice, coord, [f1, f2]);
    let screen = await openCase(f1, reference);
    expect(cardText(screen.card)).toContain('Harriet Harmed');
    expect(cardText(screen.card)).toContain('Not yet recorded');

    // The typed shortcut opens the same form, with today's date.
    const typed = await s.chat(f1).say(`contact ${reference}`);
    const form = sentCard(typed, `Log contact: ${reference}`).card;
    expect(JSON.stringify(form)).toContain(`"value":"${isoDate(clock())}"`);

    ({ screen } = await click(screen, 'Log contact'));
    expect(cardText(screen.card)).toContain('Save contact');
    const tomorrow = isoDate(new Date(clock().getTime() + DAY));
    ({ screen } = await click(screen, 'Save contact', { party: 'harmed_person', contactDate: isoDate(clock()), contactTime: '09:30', method: 'phone', outcome: 'no_answer', note: NOTE, nextFollowUpOn: tomorrow }));
    expect(cardText(screen.card)).toContain('Contact with the harmed person saved.');
    expect(cardText(screen.card)).toContain('Phone · No answer');
    expect(cardText(screen.card)).toContain(NOTE);
    expect(cardText(screen.card)).toContain(displayDate(tomorrow));

    const [logged] = await eventsOf(reference, 'contact_logged');
    expect(Object.keys(logged!.data).sort()).toEqual(['at', 'contactId', 'method', 'nextFollowUpOn', 'noteId', 'outcome', 'party']);
    expect(logged!.data).toMatchObject({ party: 'harmed_person', method: 'phone', outcome: 'no_answer', nextFollowUpOn: tomorrow });
    expect(localDateOf(new Date(String(logged!.data.at)))).toBe(isoDate(clock()));
    expect(JSON.stringify(await eventsOf(reference))).not.toContain('voicemail');
    const notes = await pool.query<{ kind: string; text: string }>('SELECT kind, text FROM case_notes WHERE id = $1', [logged!.data.noteId]);
    expect(notes.rows[0]?.kind).toBe('contact');
    // Stored sealed under the harmed person's key; the app opens it.
    expect(notes.rows[0]?.text).toMatch(/^rj1\./);
    expect(await noteTexts(pool, reference, { id: String(logged!.data.noteId) })).toEqual([NOTE]);

    jumpTo(plusDays(1));
    ({ screen } = await click(screen, 'Log contact'));
    ({ screen } = await click(screen, 'Save contact', { party: 'offender', contactDate: isoDate(clock()), contactTime: '9:45', method: 'prison_visit', outcome: 'reached' }));
    expect(cardText(screen.card)).toContain('Prison visit · Reached');
    ({ screen } = await click(screen, 'Log contact'));
    ({ screen } = await click(screen, 'Save contact', { party: 'harmed_person', contactDate: isoDate(clock()), contactTime: '09:05', method: 'home_visit', outcome: 'reached' }));
    expect(cardText(screen.card)).toContain('Home visit · Reached');

    // A correction is a new contact that names the one it replaces; the log keeps both.
    // The same correction opened twice (two cards, each with its own nonce): the second comes too late.
    const stale = (await click(await openCase(f1, reference), 'Correct last contact')).screen;
    ({ screen } = await click(screen, 'Correct last contact'));
    expect(cardText(screen.card)).toContain(`Correct contact: ${reference}`);
    expect(JSON.stringify(screen.card)).toContain('"value":"home_visit"');
    ({ screen } = await click(screen, 'Save correction', { ...shownValues(screen.card), method: 'video' }));
    expect(cardText(screen.card)).toContain('Corrected contact with the harmed person saved.');
    expect(cardText(screen.card)).toContain('Video call · Reached');
    const again = await click(stale, 'Save correction', { ...shownValues(stale.card), method: 'letter' });
    expect(cardText(again.screen.card)).toContain('That contact was already corrected');
    const contacts = await eventsOf(reference, 'contact_logged');
    expect(contacts).toHaveLength(4);
    // "Correct last contact" corrects the contact logged last: the home visit.
    expect(contacts[3]!.data.correctsContactId).toBe(contacts[2]!.data.contactId);
    expect(await stageOf(reference)).toBe('preparation');
  });

  test('consent from both and a high risk signed off by a coordinator make the case ready', async () => {
    let screen = await openCase(f2, reference);
    expect(cardText(screen.card)).not.toContain('Schedule conference');
    for (const party of ['harmed_person', 'offender']) {
      ({ screen } = await click(screen, 'Record consent'));
      ({ screen } = await click(screen, 'Save consent', { party, consentStatus: 'given', consentDate: isoDate(clock()) }));
      expect(cardText(screen.card)).toContain('consent saved');
    }
    expect(cardText(screen.card)).toContain(`Given on ${displayDate(isoDate(clock()))}`);
    ({ screen } = await click(screen, 'Risk assessment'));
    ({ screen } = await click(screen, 'Save assessment', { riskLevel: 'high', riskDate: isoDate(clock()), riskSummary: RISK_SUMMARY }));
    expect(cardText(screen.card)).toContain(`High, assessed ${displayDate(isoDate(clock()))} by Finn Two`);
    expect(cardText(screen.card)).toContain('a coordinator must sign this off');
    expect(await stageOf(reference)).toBe('preparation');
    // A facilitator cannot sign off, even with a crafted click.
    expect(() => button(screen.card, 'Sign off high risk')).toThrow();
    const crafted = await s.chat(f2).click('progress.risk.signOff', { caseId: button(screen.card, 'Refresh').data.caseId }, screen.activityId);
    expect(cardText(invokeCard(crafted))).toContain('Only coordinators can sign off a high risk assessment.');

    let coordScreen = await openCase(coord, reference);
    ({ screen: coordScreen } = await click(coordScreen, 'Sign off high risk'));
    expect(cardText(coordScreen.card)).toContain('Signed off by Cora Coordinator');
    expect(await stageOf(reference)).toBe('ready');
  });

  test('a conference is scheduled, rescheduled (history kept), held with an agreement', async () => {
    const first = isoDate(plusDays(14));
    const second = isoDate(plusDays(15));
    const review = isoDate(plusDays(100));
    let screen = await openCase(f1, reference);
    ({ screen } = await click(screen, 'Schedule conference'));
    ({ screen } = await click(screen, 'Schedule', { conferenceDate: first, conferenceTime: '10:00', venue: 'HMP Pentonville', attendees: 'Both parties, both facilitators' }));
    expect(cardText(screen.card)).toContain(`Conference scheduled for ${displayDate(first)}, 10:00.`);
    expect(cardText(screen.card)).toContain('Attendees: Both parties, both facilitators');
    expect(await stageOf(reference)).toBe('conference_scheduled');
    ({ screen } = await click(screen, 'Reschedule'));
    ({ screen } = await click(screen, 'Reschedule', { conferenceDate: second, conferenceTime: '11:00', venue: 'HMP Pentonville' }));
    const text = cardText(screen.card);
    expect(text).toContain(`Conference ${displayDate(first)}, 10:00 at HMP Pentonville: rescheduled`);
    expect(text).toContain(`Conference ${displayDate(second)}, 11:00 at HMP Pentonville`);
    // Before the date there is nothing to record yet.
    expect(() => button(screen.card, 'Conference outcome')).toThrow();

    jumpTo(new Date(plusDays(15).getTime() + 6 * 3600 * 1000));
    screen = await openCase(f1, reference);
    ({ screen } = await click(screen, 'Conference outcome'));
    ({ screen } = await click(screen, 'Save outcome', { held: 'yes', agreement: 'yes', reviewOn: review }));
    expect(cardText(screen.card)).toContain('Conference held, with an outcome agreement.');
    expect(cardText(screen.card)).toContain(`review on ${displayDate(review)}`);
    expect(await stageOf(reference)).toBe('follow_up');
    const held = (await eventsOf(reference, 'conference_held'))[0]!;
    expect(held.data).toMatchObject({ agreement: true, reviewOn: review });
  });

  test('only a coordinator closes; the referrer is told the outcome category and nothing more', async () => {
    const mine = await openCase(f1, reference);
    expect(() => button(mine.card, 'Close case')).toThrow();
    let screen = await openCase(coord, reference);
    const before = referrerMessages().length;
    ({ screen } = await click(screen, 'Close case'));
    ({ screen } = await click(screen, 'Close case', { closeOutcome: 'conference_held', closeNote: 'Good outcome; both satisfied' }));
    expect(cardText(screen.card)).toContain('Case closed: conference held.');
    expect(await stageOf(reference)).toBe('closed');
    // The notice is owed through the outbox and sent a moment after the turn.
    await app.idle();
    const told = referrerMessages().slice(before);
    expect(told.map((t) => t.split('\n\n')[0])).toEqual([`Referral ${reference}: the case is now closed. Outcome: Conference held.`]);
    // The coordinators' channel card follows the stage, and still names nobody.
    const channelCard = connector.updates().filter((u) => inConversation(u.conversationId, CHANNEL)).map((u) => cardText(cardsIn(u.activity)[0])).reverse().find((t) => t.includes(`Referral ${reference}`));
    expect(channelCard).toContain('Closed');
    expect(channelCard).not.toMatch(/Harriet|satisfied/);
    // The referrer still sees the status only.
    const status = textOf(await s.chat(alice).say(`case ${reference}`));
    expect(status).toContain('Closed');
    expect(status).not.toMatch(/Harriet|Pentonville|satisfied/);
  });

  test('a coordinator reopens the case with a reason; a facilitator cannot', async () => {
    // A facilitator's access ends with the case: their chat says so, and shows nothing of it.
    const mine = textOf(await s.chat(f1).say(`case ${reference}`));
    expect(mine).toContain('no longer available to you');
    expect(mine).not.toMatch(/Harriet|Reopen/);
    let screen = await openCase(coord, reference);
    ({ screen } = await click(screen, 'Reopen case'));
    ({ screen } = await click(screen, 'Reopen', { reopenReason: '' }));
    expect(cardText(screen.card)).toContain('Give a reason for reopening the case.');
    ({ screen } = await click(screen, 'Reopen', { reopenReason: 'Harmed person asked for a second meeting' }));
    expect(cardText(screen.card)).toContain('Case reopened.');
    expect(await stageOf(reference)).toBe('follow_up');
    expect(JSON.stringify(await eventsOf(reference, 'case_reopened'))).not.toContain('second meeting');
  });
});

describe('other paths', () => {
  test('a withdrawal: the offender declines, a coordinator confirms, the case closes and the referrer is told', async () => {
    const reference = await s.caseInPreparation(alice, coord, [f2, f3]);
    let screen = await openCase(f3, reference);
    ({ screen } = await click(screen, 'Record consent'));
    ({ screen } = await click(screen, 'Save consent', { party: 'offender', consentStatus: 'declined', consentDate: isoDate(clock()) }));
    expect(cardText(screen.card)).toContain('refusal saved');
    expect(await stageOf(reference)).toBe('preparation');
    const before = referrerMessages().length;
    let coordScreen = await openCase(coord, reference);
    ({ screen: coordScreen } = await click(coordScreen, 'Confirm withdrawal'));
    expect(cardText(coordScreen.card)).toContain('Withdrawal confirmed');
    expect(await stageOf(reference)).toBe('closed');
    // The notice is owed through the outbox: wait until it has been sent.
    await app.idle();
    expect(referrerMessages().slice(before).map((t) => t.split('\n\n')[0])).toEqual([`Referral ${reference}: the case is now closed. Outcome: Offender withdrew.`]);
  });

  test('an invalid transition is refused and changes nothing: a conference before consent', async () => {
    const reference = await s.caseInPreparation(alice, coord, [f1, f3]);
    const screen = await openCase(f1, reference);
    expect(() => button(screen.card, 'Schedule conference')).toThrow();
    const caseId = button(screen.card, 'Refresh').data.caseId;
    const count = (await eventsOf(reference)).length;
    const form = await s.chat(f1).click('progress.conference.form', { caseId }, screen.activityId);
    expect(cardText(invokeCard(form))).toContain('A conference can only be scheduled once both people have consented');
    const save = await s.chat(f1).click('progress.conference.save', { caseId, conferenceDate: isoDate(plusDays(60)), conferenceTime: '10:00', venue: 'Community centre' }, screen.activityId);
    const text = cardText(invokeCard(save));
    expect(text).toContain('Still needed: consent from the harmed person, consent from the person who caused the harm, a risk assessment.');
    expect((await eventsOf(reference)).length).toBe(count);
    expect(await stageOf(reference)).toBe('preparation');
  });

  test('a facilitator of another case is refused everything and sees nothing', async () => {
    const reference = await s.caseInPreparation(alice, coord, [f1, f2]);
    const screen = await openCase(f1, reference);
    const caseId = button(screen.card, 'Refresh').data.caseId;
    const typed = textOf(await s.chat(f3).say(`case ${reference}`));
    expect(typed).toContain('You can only see cases you referred or that are assigned to you.');
    expect(typed).not.toContain('Harriet');
    const count = (await eventsOf(reference)).length;
    const save = await s.chat(f3).click('progress.contact.save', { caseId, party: 'harmed_person', contactDate: isoDate(clock()), contactTime: '09:00', method: 'phone', outcome: 'reached' }, 'x');
    expect(JSON.stringify(save.body)).toContain('You can only see cases you referred or that are assigned to you.');
    expect(JSON.stringify(save.body)).not.toContain('Harriet');
    const consent = await s.chat(f3).click('progress.consent.save', { caseId, party: 'offender', consentStatus: 'given', consentDate: isoDate(clock()) }, 'x');
    expect(JSON.stringify(consent.body)).toContain('You can only see cases');
    expect((await eventsOf(reference)).length).toBe(count);
  });

  test('form validation errors re-show the form with the values kept and store nothing', async () => {
    const reference = await s.caseInPreparation(alice, coord, [f2, f3]);
    let screen = await openCase(f2, reference);
    ({ screen } = await click(screen, 'Log contact'));
    const long = 'x'.repeat(1001);
    const tomorrow = isoDate(new Date(clock().getTime() + DAY));
    const r = await click(screen, 'Save contact', { party: 'offender', contactDate: 'tomorrow', contactTime: '25:00', method: 'phone', outcome: 'other', note: long, nextFollowUpOn: '2020-01-01' });
    const text = cardText(r.screen.card);
    expect(text).toContain('Please correct: date, time, short note, next follow-up.');
    expect(text).toContain('Enter the time of the contact as hh:mm');
    expect(text).toContain('Keep the note under 1000 characters.');
    expect(text).toContain('Enter the date of the contact');
    expect(text).not.toContain('A contact cannot be in the future');
    const again = await click(r.screen, 'Save contact', { party: 'offender', contactDate: tomorrow, contactTime: '10:00', method: 'phone', outcome: 'reached', nextFollowUpOn: tomorrow });
    expect(cardText(again.screen.card)).toContain('A contact cannot be in the future');
    expect(cardText(again.screen.card)).toContain('The next follow-up must be after the day of the contact.');
    // Values come back as typed.
    expect(JSON.stringify(r.screen.card)).toContain(long);
    expect(JSON.stringify(again.screen.card)).toContain(`"value":"${tomorrow}"`);
    expect(await eventsOf(reference, 'contact_logged')).toHaveLength(0);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.reference = $1', [reference]);
    expect(rows[0].n).toBe(0);
  });

  test('lists: my cases for a facilitator, cases with filters for coordinators, overdue', async () => {
    const mine = textOf(await s.chat(f3).say('my cases'));
    expect(mine).toContain('My cases');
    const f3Refs = (await pool.query<{ reference: string }>(
      "SELECT c.reference FROM cases c JOIN offers o ON o.case_id = c.id WHERE o.facilitator_aad_id = $1 AND o.status = 'accepted' AND c.stage NOT IN ('closed', 'declined')",
      [f3.aadObjectId],
    )).rows.map((r) => r.reference);
    expect(f3Refs.length).toBeGreaterThan(0);
    for (const ref of f3Refs) expect(mine).toContain(ref);
    expect(mine).toContain('First contact with');
    const denied = textOf(await s.chat(f3).say('cases'));
    expect(denied).toContain('Only coordinators can see all cases.');

    const all = await s.chat(coord).say('cases');
    const listCard = cardsIn(all.sent[0])[0]!;
    expect(cardText(listCard)).toContain('Open cases');
    const apply = button(listCard, 'Apply filters');
    const filtered = await s.chat(coord).click(apply.verb, { ...apply.data, stage: 'follow_up' }, all.sent[0]!.id);
    const filteredText = cardText(invokeCard(filtered));
    expect(filteredText.match(/RJ-\d{4}-\d{4}/g)?.length).toBe(1);

    // Twelve working days on, nobody has been contacted on the newer cases: first contact is overdue.
    jumpTo(plusDays(40));
    const overdue = textOf(await s.chat(coord).say('overdue'));
    expect(overdue).toContain('Overdue cases');
    for (const ref of f3Refs) expect(overdue).toContain(ref);
    expect(overdue).toContain('overdue since');
    const inChannel = await s.chat(coord).post(s.channelMessage(s.chat(coord), 'my cases'));
    expect(textOf(inChannel)).toContain('only shown in your 1:1 chat');
  });
});
