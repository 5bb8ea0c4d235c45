/**
 * Property-based fuzz of /api/messages: a few thousand malformed activities and card submits
 * (random types for fields, missing fields, huge strings, control and bidi characters, unknown
 * verbs, wrong data shapes for real verbs, against a real case) never get a 5xx, except botbuilder's
 * 501 for an invoke nobody handles; no turn fails inside the bot; the process stays ready.
 *
 * The seed is fixed and printed; FUZZ_SEED and FUZZ_RUNS override it and the number of activities.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT, UNKNOWN_TENANT } from '../support/app';
import { invokeCard } from '../support/chat';
import { postRaw, teamsChannel, teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, type CaseSetup } from '../support/caseSetup';
import { CASE_VERBS, VERBS } from '../../cards/verbs';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { REMINDER_VERBS } from '../../cards/reminders';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000c901', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f901', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000f902', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000a901', tenantId: PARTNER_TENANT, name: 'Alice Officer' };
const stranger: TeamsUser = { aadObjectId: 'e0000000-0000-4000-8000-00000000e901', tenantId: UNKNOWN_TENANT, name: 'Eve Outsider' };

const DAY = 24 * 3600 * 1000;
function nextMonday(): Date {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

let db: TestDatabase;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
const logLines: string[] = [];
/** Real ids the fuzz mixes in, so real verbs reach their handlers and the database. */
const real = { caseId: '', reference: '', formNonce: '', offerId: '' };

const ALL_VERBS = [...Object.values(VERBS), ...Object.values(CASE_VERBS), ...Object.values(PROGRESS_VERBS), ...Object.values(REMINDER_VERBS)];
/** Every input id and action-data key the cards use, plus a few that none does. */
const KEYS = [
  'caseId', 'formId', 'formNonce', 'screeningId', 'questionId', 'answer', 'offerId', 'reminderId', 'party', 'list', 'page', 'stage', 'facilitator', 'overdue',
  'contactDate', 'contactTime', 'method', 'outcome', 'note', 'nextFollowUpOn', 'correctsContactId', 'consentStatus', 'consentDate', 'riskLevel', 'riskDate',
  'riskSummary', 'conferenceDate', 'conferenceTime', 'venue', 'attendees', 'indirectMethod', 'held', 'agreement', 'reviewOn', 'notHeldReason', 'closeOutcome',
  'closeNote', 'reopenReason', 'declineReason', 'declineNote', 'facilitatorA', 'facilitatorB', 'choice', 'removeFacilitator', 'maxCases', 'maxPerson',
  'newMember', 'newRole', 'sentencingDate', 'offenceType', 'offenceDescription', 'offenceDate', 'harmedPersonName', 'offenderName', 'riskNotes',
  'harmedPersonEmail', 'harmedPersonPhone', 'crimeReference', 'verb', '__proto__', 'constructor', 'toString', '',
];
const TEXTS = ['help', 'refer', 'cancel', 'my referrals', 'my cases', 'cases', 'overdue', 'roster', 'case RJ-2026-0001', 'contact RJ-2026-0001', 'yes', 'not sure'];

const HUGE = 'x'.repeat(200_000);
const piece = fc.constantFrom('\u0000', '\u0001', '\u0007', '\u001B[2J', '\u007F', '\u0085', '\u009B', '\u202A', '\u202E', '\u2066', '\u2069', '\u200F', '\uD800', '\uDFFF',
  '\r\n', '\n', '\t', '**bold**', '[x](https://evil.example)', '<at>RJ</at>', '; DROP TABLE cases; --', 'e\u0301', '👍', ' ', 'a', 'RJ-2026-0001', '2026-12-07', '10:00', 'yes');
const nastyString = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece, { maxLength: 12 }).map((p) => p.join('')) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 60_000 }).map((n) => 'A'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant(HUGE) },
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }) },
);
/** Real values where the handlers look for them (read when the run happens, after set-up). */
const realValue = fc.constantFrom<() => unknown>(
  () => real.caseId, () => real.reference, () => real.formNonce, () => real.offerId, () => randomUUID(), () => 'harmed_person', () => 'offender',
  () => '2026-12-07', () => '09:30', () => 'phone', () => 'reached', () => 'given', () => 'high', () => 'yes', () => 'no', () => 'mine', () => 'all',
).map((f) => ({ real: f }));
const fieldValue = fc.oneof({ weight: 3, arbitrary: anyValue }, { weight: 2, arbitrary: realValue });
const data = fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), fieldValue, { maxKeys: 8 });
const verbName = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ALL_VERBS) }, { weight: 1, arbitrary: nastyString }, { weight: 1, arbitrary: anyValue });
const who = fc.constantFrom(coord, f1, f2, alice, stranger);

/** Resolves `{ real }` placeholders now that the set-up has filled them in. */
function resolve(v: unknown): unknown {
  if (v && typeof v === 'object' && 'real' in v && typeof (v as { real: unknown }).real === 'function') return (v as { real: () => unknown }).real();
  if (Array.isArray(v)) return v.map(resolve);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  return v;
}

type Shape = { kind: 'execute' | 'submit' | 'text' | 'install' | 'members' | 'invoke'; user: TeamsUser; verb: unknown; data: Record<string, unknown>; text: unknown; invokeName: string };
const shape: fc.Arbitrary<Shape> = fc.record({
  kind: fc.constantFrom('execute', 'execute', 'execute', 'submit', 'submit', 'text', 'install', 'members', 'invoke'),
  user: who,
  verb: verbName,
  data,
  text: fc.oneof(fc.constantFrom(...TEXTS), nastyString),
  invokeName: fc.constantFrom('adaptiveCard/action', 'task/fetch', 'composeExtension/query', 'signin/verifyState', 'fileConsent/invoke', 'nonsense'),
}) as fc.Arbitrary<Shape>;

const PATHS = [
  'type', 'id', 'channelId', 'serviceUrl', 'from', 'from.id', 'from.name', 'from.aadObjectId', 'recipient', 'recipient.id', 'conversation', 'conversation.id',
  'conversation.conversationType', 'conversation.tenantId', 'conversation.isGroup', 'channelData', 'channelData.tenant', 'channelData.tenant.id', 'text', 'value',
  'value.action', 'value.action.type', 'value.action.verb', 'value.action.data', 'entities', 'attachments', 'membersAdded', 'replyToId', 'name', 'locale',
  'timestamp', 'action',
] as const;
const mutation = fc.record({ path: fc.constantFrom(...PATHS), op: fc.constantFrom('delete', 'set', 'set'), value: anyValue });

function build(sh: Shape): Record<string, unknown> {
  const teams = teamsChannel({ serviceUrl: connector.url });
  const d = resolve(sh.data) as Record<string, unknown>;
  const replyToId = `1${Date.now()}`;
  switch (sh.kind) {
    case 'execute':
      return teams.adaptiveCardAction(sh.verb as string, d, sh.user, { replyToId }) as Record<string, unknown>;
    case 'submit':
      return teams.submitAction({ ...d, verb: sh.verb }, sh.user, replyToId) as Record<string, unknown>;
    case 'text':
      return teams.message(sh.text as string, sh.user) as Record<string, unknown>;
    case 'install':
      return teams.installationUpdate(sh.user) as Record<string, unknown>;
    case 'members':
      return teams.conversationUpdate(['bot', sh.user], sh.user) as Record<string, unknown>;
    case 'invoke':
      return { ...(teams.adaptiveCardAction(sh.verb as string, d, sh.user, { replyToId }) as Record<string, unknown>), name: sh.invokeName, value: d };
  }
}

function mutate(activity: Record<string, unknown>, m: { path: string; op: string; value: unknown }): void {
  const keys = m.path.split('.');
  let at: Record<string, unknown> = activity;
  for (const k of keys.slice(0, -1)) {
    const next = at[k];
    if (!next || typeof next !== 'object' || Array.isArray(next)) return;
    at = next as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  // A valid serviceUrl other than the connector's is a real destination the bot would try to reach.
  if (last === 'serviceUrl' && typeof m.value === 'string' && /^https?:/i.test(m.value)) return;
  if (m.op === 'delete') delete at[last];
  else at[last] = m.value;
}

const failedTurns = () => logLines.filter((l) => l.includes('"turn failed"') || l.includes('unhandled error processing an activity') || l.includes('"uncaught'));

async function readyz(): Promise<number> {
  return (await fetch(`${app.url}/readyz`)).status;
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_fuzz');
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), env: { COORDINATOR_AAD_IDS: coord.aadObjectId }, clock, logLines });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
  real.reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  const turn = await s.chat(f1).say(`case ${real.reference}`);
  const caseCard = turn.sent.flatMap((a) => (a.attachments ?? []).map((x) => x.content as Record<string, unknown>)).find((c) => JSON.stringify(c).includes('Recent history'))!;
  real.caseId = String(button(caseCard, 'Refresh').data.caseId);
  const form = invokeCard(await s.chat(f1).click(PROGRESS_VERBS.contactForm, { caseId: real.caseId, party: 'offender' }, turn.sent[0]!.id));
  real.formNonce = String(button(form, 'Save contact').data.formNonce);
  real.offerId = randomUUID();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await db?.drop();
});

test(`fuzzed activities and card submits never get a 5xx and never fail a turn (seed ${SEED}, ${RUNS} runs)`, async () => {
  console.log(`fuzz: seed ${SEED}, ${RUNS} runs (override with FUZZ_SEED / FUZZ_RUNS)`);
  const started = Date.now();
  const statuses = new Map<number, number>();
  let run = 0;
  await fc.assert(
    // Half the activities are well-formed, so card submits reach their handlers; half are broken.
    fc.asyncProperty(shape, fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })), async (sh, mutations) => {
      const activity = build(sh);
      for (const m of mutations) mutate(activity, m);
      const failedBefore = failedTurns().length;
      const res = await postRaw(app.url, JSON.stringify(activity), { 'content-type': 'application/json' });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const unhandledInvoke = res.status === 501 && activity.type === 'invoke';
      expect(res.status < 500 || unhandledInvoke).toBe(true);
      expect(failedTurns().slice(failedBefore)).toEqual([]);
      run += 1;
      if (run % 250 === 0) expect(await readyz()).toBe(200);
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: false, interruptAfterTimeLimit: 50_000 },
  );
  await app.idle();
  expect(failedTurns()).toEqual([]);
  expect(await readyz()).toBe(200);
  console.log(`fuzz: ${run} activities in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  expect(run).toBeGreaterThanOrEqual(Math.min(RUNS, 1000));
}, 180_000);
