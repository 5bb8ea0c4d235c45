import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import type { App } from '../../src/main';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { DAY, nextMonday } from '../support/testClock';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { fillForm } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, REFERRAL_FORM, type CaseSetup } from '../support/caseSetup';
import { localDateOf } from '../../src/domain/contactForm';

/*
 * Issue 10, item 9: every form of case progress, filled in over /api/messages with the app logging at
 * debug level, and not one typed value in any log line. Forms are reached by their verbs (the case
 * card's layout may change; what is typed into each form may not leak whatever the layout).
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c901', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f901', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f902', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a901', tenantId: PARTNER_TENANT, name: 'Alice Officer' };

/** One distinctive value per free-text field of every progress and triage form. */
const TYPED = {
  note: 'Quokka voicemail left with Zanzibar aunt',
  correctedNote: 'Quokka corrected: Zanzibar cousin answered',
  riskSummary: 'Ocelot threats near Marrakesh flats',
  venue: 'Tamarind Hall, 7 Xylophone Row',
  attendees: 'Gwendolyn Pheasant and her Vesuvius neighbour',
  notHeldReason: 'Harmed person unwell, Kilimanjaro fever',
  closeNote: 'Closing: Nebuchadnezzar moved abroad',
  reopenReason: 'Reopened: Wolfgang Tapioca asked again',
  declineNote: 'Panel thought Fandango unsuitable',
} as const;

const START = nextMonday();
let offset = START.getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);
const jumpTo = (d: Date) => {
  offset = d.getTime() - Date.now();
};

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
const lines: string[] = [];

async function caseIdOf(reference: string): Promise<string> {
  return (await pool.query<{ id: string }>('SELECT id FROM cases WHERE reference = $1', [reference])).rows[0]!.id;
}

async function eventTypes(caseId: string): Promise<string[]> {
  return (await pool.query<{ type: string }>('SELECT type FROM case_events WHERE case_id = $1 ORDER BY id', [caseId])).rows.map((r) => r.type);
}

/** Fills one form of a case, as the person would (test/support/chat.ts fillForm). */
async function fill(user: TeamsUser, open: { verb: string; data: Record<string, unknown> }, save: string, inputs: Record<string, string>): Promise<void> {
  await fillForm(s.chat(user), open, save, inputs);
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_privacy_progress');
  pool = createPool(db.url, { max: 2 });
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock, logLines: lines, env: { COORDINATOR_AAD_IDS: coord.aadObjectId } });
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

test('contact, correction, consent, risk, conference, outcome, closing, reopening and a triage decline leave no typed value in the debug log', async () => {
  const reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  const caseId = await caseIdOf(reference);
  const today = () => localDateOf(clock());
  const on = (verb: string, extra: Record<string, unknown> = {}) => ({ verb, data: { caseId, ...extra } });

  await fill(f1, on(PROGRESS_VERBS.contactForm, { party: 'harmed_person' }), PROGRESS_VERBS.contactSave, {
    party: 'harmed_person', contactDate: today(), contactTime: '09:30', method: 'phone', outcome: 'reached', note: TYPED.note,
  });
  await fill(f1, on(PROGRESS_VERBS.contactCorrect, { party: 'harmed_person' }), PROGRESS_VERBS.contactSave, {
    party: 'harmed_person', contactDate: today(), contactTime: '09:30', method: 'phone', outcome: 'reached', note: TYPED.correctedNote,
  });
  await fill(f1, on(PROGRESS_VERBS.contactForm, { party: 'offender' }), PROGRESS_VERBS.contactSave, {
    party: 'offender', contactDate: today(), contactTime: '09:45', method: 'prison_visit', outcome: 'reached',
  });
  for (const party of ['harmed_person', 'offender']) {
    await fill(f2, on(PROGRESS_VERBS.consentForm), PROGRESS_VERBS.consentSave, { party, consentStatus: 'given', consentDate: today() });
  }
  await fill(f2, on(PROGRESS_VERBS.riskForm), PROGRESS_VERBS.riskSave, { riskLevel: 'high', riskDate: today(), riskSummary: TYPED.riskSummary });
  await s.chat(coord).click(PROGRESS_VERBS.riskSignOff, { caseId }, 'case-message');
  const conferenceDay = localDateOf(new Date(START.getTime() + 14 * DAY));
  await fill(f1, on(PROGRESS_VERBS.conferenceForm), PROGRESS_VERBS.conferenceSave, {
    conferenceDate: conferenceDay, conferenceTime: '10:00', venue: TYPED.venue, attendees: TYPED.attendees,
  });
  jumpTo(new Date(START.getTime() + 14 * DAY + 6 * 3600 * 1000));
  await fill(f1, on(PROGRESS_VERBS.outcomeForm), PROGRESS_VERBS.outcomeSave, { held: 'no', notHeldReason: TYPED.notHeldReason });
  await fill(coord, on(PROGRESS_VERBS.closeForm), PROGRESS_VERBS.closeSave, { closeOutcome: 'unsuitable_after_assessment', closeNote: TYPED.closeNote });
  await fill(coord, on(PROGRESS_VERBS.reopenForm), PROGRESS_VERBS.reopenSave, { reopenReason: TYPED.reopenReason });

  // Each form was saved: the test must not pass because a form was refused before its values were read.
  const types = await eventTypes(caseId);
  // Not held is recorded as a cancellation with its reason kept apart, as a note.
  const saved = ['contact_logged', 'consent_recorded', 'risk_assessed', 'risk_signed_off', 'conference_scheduled', 'conference_cancelled', 'case_closed', 'case_reopened'];
  expect(saved.filter((t) => !types.includes(t))).toEqual([]);
  expect((await eventTypes(caseId)).filter((t) => t === 'contact_logged')).toHaveLength(3);

  // A triage decline with a note, in the coordinators' channel.
  const declined = await s.refer(alice);
  const posted = await s.waitForCard(CHANNEL, `Referral ${declined}`);
  const decline = button(posted.card, 'Decline');
  const c = s.chat(coord);
  await c.post(s.inChannel(c.teams.adaptiveCardAction(decline.verb, { ...decline.data, declineReason: 'not_suitable', declineNote: TYPED.declineNote }, coord, { replyToId: posted.activityId })));
  expect(await eventTypes(await caseIdOf(declined))).toContain('referral_declined');
  await app.idle();

  const log = lines.join('\n');
  expect(lines.some((l) => l.includes('"level":20'))).toBe(true);
  expect(log).toContain('contact logged');
  const referralValues = [REFERRAL_FORM.offenderName, REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.harmedPersonPhone];
  for (const typed of [...Object.values(TYPED), ...referralValues]) expect(log).not.toContain(typed);
  // Not even a distinctive word of any of them.
  for (const word of ['Quokka', 'Zanzibar', 'Ocelot', 'Marrakesh', 'Tamarind', 'Xylophone', 'Gwendolyn', 'Kilimanjaro', 'Nebuchadnezzar', 'Tapioca', 'Fandango']) {
    expect(log).not.toContain(word);
  }
});
