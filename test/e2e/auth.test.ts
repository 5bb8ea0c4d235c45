/**
 * The authenticated path, for real: the app runs with MicrosoftAppId set and checks every request's
 * Bot Framework token against a local OpenID configuration and JWKS (test/support/botFrameworkAuth.ts),
 * and gets its own outbound token from a local login authority, so its replies reach the connector
 * emulator with a bearer token. Every refusal is checked in PostgreSQL: nothing stored.
 */
import { Pool } from 'pg';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { postActivity, teamsChannel, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';
import { cardText } from '../support/chat';
import { startBotFrameworkAuth, TEST_APP_ID, TEST_APP_PASSWORD, type BotFrameworkAuthServers } from '../support/botFrameworkAuth';

let db: TestDatabase;
let pool: Pool;
let connector: ConnectorEmulator;
let auth: BotFrameworkAuthServers;
let app: App;

beforeAll(async () => {
  db = await createTestDatabase('e2e_auth');
  pool = new Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined);
  connector = await startConnector();
  auth = await startBotFrameworkAuth();
  app = await startTestApp({
    databaseUrl: db.url,
    redisUrl: testRedisUrl(),
    env: { MicrosoftAppId: TEST_APP_ID, MicrosoftAppPassword: TEST_APP_PASSWORD, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: STAFF_TENANT },
    botFrameworkEndpoints: auth.endpoints,
  });
});

afterAll(async () => {
  await app?.close();
  await auth?.close();
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

let n = 0;
/** A partner-tenant user with a conversation of their own, so one test's rows never count in another's. */
function newUser(): TeamsUser {
  n += 1;
  return { aadObjectId: `a0a0a0a0-0000-4000-8000-${String(n).padStart(12, '0')}`, tenantId: PARTNER_TENANT, name: 'Officer', conversationId: `a:auth-conv-${n}` };
}

const channel = () => teamsChannel({ serviceUrl: connector.url, botAppId: TEST_APP_ID });

/** Everything a turn can leave behind, for one conversation. */
async function storedFor(conversationId: string): Promise<{ refs: number; state: number; screenings: number }> {
  const one = async (sql: string) => Number((await pool.query<{ n: string }>(sql, [conversationId])).rows[0]!.n);
  return {
    refs: await one('SELECT count(*) AS n FROM conversation_refs WHERE conversation_id = $1'),
    state: await one("SELECT count(*) AS n FROM bot_state WHERE key LIKE '%' || $1 || '%'"),
    screenings: Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM screenings')).rows[0]!.n),
  };
}

const NOTHING = { refs: 0, state: 0 };

describe('with MicrosoftAppId set and a valid Bot Framework token', () => {
  test('the turn runs: 200, the eligibility question comes back through the connector with the token the bot got from its login authority', async () => {
    const user = newUser();
    const token = await auth.channelToken({ serviceUrl: connector.url });
    const res = await postActivity(app.url, channel().message('refer', user), { token });
    expect(res.status).toBe(200);
    const sent = await connector.waitForSent((a) => a.conversationId === user.conversationId && cardsIn(a).some((c) => cardText(c).includes('Eligibility check')));
    const reply = connector.requests().find((r) => r.conversationId === user.conversationId && r.assignedId === sent.id);
    // The bot asked the login authority for a client-credentials token for the Bot Framework, and used it.
    expect(auth.tokenRequests()[0]).toEqual(expect.objectContaining({ clientId: TEST_APP_ID, grantType: 'client_credentials', scope: 'https://api.botframework.com/.default' }));
    expect(auth.issuedTokens()).toContain(reply?.authorization?.replace(/^Bearer /, ''));
    const stored = await storedFor(user.conversationId!);
    expect(stored.refs).toBe(1);
    expect(stored.state).toBe(1);
  });
});

describe('a request without a valid token gets 401 and nothing is stored', () => {
  const cases: Array<[string, (serviceUrl: string) => Promise<string>]> = [
    ['for another bot (wrong audience)', (serviceUrl) => auth.channelToken({ serviceUrl, audience: '12121212-0000-4000-8000-000000000000' })],
    ['from another issuer', (serviceUrl) => auth.channelToken({ serviceUrl, issuer: 'https://issuer.example.org/' })],
    ['that has expired', (serviceUrl) => auth.channelToken({ serviceUrl, expiresIn: -600 })],
    ['unsigned (alg none)', async (serviceUrl) => auth.unsignedToken({ serviceUrl })],
    ['signed by a key nobody published (bad signature)', async (serviceUrl) => auth.channelToken({ serviceUrl, key: await auth.foreignKey() })],
    ['issued for another serviceUrl (a reply address the caller chose)', () => auth.channelToken({ serviceUrl: 'https://smba.trafficmanager.net/emea/' })],
  ];

  test.each(cases)('a token %s', async (_what, makeToken) => {
    const user = newUser();
    const screeningsBefore = (await storedFor(user.conversationId!)).screenings;
    const sendsBefore = connector.requests().length;
    const res = await postActivity(app.url, channel().message('refer', user), { token: await makeToken(connector.url) });
    expect(res.status).toBe(401);
    expect(await storedFor(user.conversationId!)).toEqual({ ...NOTHING, screenings: screeningsBefore });
    expect(connector.requests().length).toBe(sendsBefore);
  });

  test('no token at all', async () => {
    const user = newUser();
    const res = await postActivity(app.url, channel().message('refer', user));
    expect(res.status).toBe(401);
    expect(await storedFor(user.conversationId!)).toEqual(expect.objectContaining(NOTHING));
  });
});

describe('only Microsoft Teams', () => {
  test.each(['webchat', 'directline', 'emulator'])('an authenticated activity from channel %s gets 403 and nothing is stored', async (channelId) => {
    const user = newUser();
    const activity = channel().message('refer', user);
    activity.channelId = channelId;
    const sendsBefore = connector.requests().length;
    const res = await postActivity(app.url, activity, { token: await auth.channelToken({ serviceUrl: connector.url }) });
    expect(res.status).toBe(403);
    expect(await storedFor(user.conversationId!)).toEqual(expect.objectContaining(NOTHING));
    expect(connector.requests().length).toBe(sendsBefore);
  });
});

describe('with authentication on, nothing stands in for a missing identity', () => {
  test('an activity without a tenant is refused (never taken as the staff tenant) and nothing is stored', async () => {
    const user = newUser();
    const activity = channel().message('refer', user);
    delete activity.channelData;
    activity.conversation = { ...activity.conversation!, tenantId: undefined };
    const res = await postActivity(app.url, activity, { token: await auth.channelToken({ serviceUrl: connector.url }) });
    expect(res.status).toBe(200);
    const sent = await connector.waitForSent((a) => a.conversationId === user.conversationId);
    expect(sent.text).toContain('only available');
    expect(await storedFor(user.conversationId!)).toEqual(expect.objectContaining(NOTHING));
  });

  test('an activity without from.aadObjectId is answered politely (from.id is not an Entra id) and nothing is stored', async () => {
    const user = newUser();
    const activity = channel().message('refer', user);
    activity.from = { id: '29:someone', name: 'Someone' };
    const res = await postActivity(app.url, activity, { token: await auth.channelToken({ serviceUrl: connector.url }) });
    expect(res.status).toBe(200);
    const sent = await connector.waitForSent((a) => a.conversationId === user.conversationId);
    expect(sent.text).toContain('could not tell who you are');
    expect(await storedFor(user.conversationId!)).toEqual(expect.objectContaining(NOTHING));
  });
});
