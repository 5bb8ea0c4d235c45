import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT } from '../support/app';
import { Chat, cardWithAction, textOf } from '../support/chat';
import type { TeamsUser } from '../support/activities';

const SECRETS = {
  offenderName: 'Zebedee Quixote',
  harmedPersonName: 'Wilhelmina Xanthe',
  harmedPersonPhone: '020 7946 0999',
  harmedPersonEmail: 'wilhelmina@example.org',
  offenceDescription: 'Smashed the greenhouse with a cricket bat',
  riskNotes: 'Lives two streets away from the offender',
};

const referrer: TeamsUser = { aadObjectId: 'abcdef00-0000-4000-8000-0000000000aa', tenantId: PARTNER_TENANT, name: 'Petra Probation' };

let db: TestDatabase;
let connector: ConnectorEmulator;
let app: App;
const lines: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('e2e_privacy');
  connector = await startConnector();
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), logLines: lines });
});

afterAll(async () => {
  await app?.close();
  await connector?.close();
  await db?.drop();
});

test('a whole referral, with mistakes on the way, leaves no names, contact details, offence details or message text in the logs', async () => {
  const chat = new Chat(() => app.url, connector, referrer, () => app.idle());
  await chat.say('hello there, my secret words are Tangerine Umbrella');
  let turn = await chat.say('refer');
  await chat.say('Tangerine Umbrella');
  for (const answer of ['yes', 'yes', 'yes', 'yes', 'no', 'yes']) turn = await chat.say(answer);
  const form = cardWithAction(turn, 'Submit referral');
  await chat.click(form.action.verb, { ...form.action.data, ...SECRETS, harmedPersonPhone: 'not a phone', offenceType: 'theft', offenceDate: '2025-01-01', sentenceDate: '2025-06-01', offenderAware: 'yes', harmedPersonAware: 'yes' }, form.activityId);
  const done = await chat.click(form.action.verb, { ...form.action.data, ...SECRETS, offenceType: 'theft', offenceDate: '2025-01-01', sentenceDate: '2025-06-01', offenderAware: 'yes', harmedPersonAware: 'yes' }, form.activityId);
  expect(textOf(done)).toMatch(/RJ-\d{4}-\d{4}/);
  await app.idle();

  expect(lines.length).toBeGreaterThan(5);
  const log = lines.join('\n');
  expect(log).toContain('referral created');
  for (const secret of [...Object.values(SECRETS), '7946', 'Tangerine', 'Umbrella', 'Petra']) {
    expect(log).not.toContain(secret);
  }
});
