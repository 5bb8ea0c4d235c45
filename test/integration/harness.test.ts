/**
 * Proves the test harness itself: real PostgreSQL and Redis from globalSetup, the connector emulator
 * (driven through botbuilder's own ConnectorClient, so paths and encodings are the SDK's), the
 * activity builders and the Adaptive Card parser.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, TeamsInfo, type ConversationParameters, type ConversationReference, type TurnContext } from 'botbuilder';
import Redis from 'ioredis';
import { Client } from 'pg';
import { personalConversationId, postActivity, postRaw, teamsChannel, teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn, expectValidCard, parseAdaptiveCard } from '../support/cards';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace } from '../support/redis';

const alice: TeamsUser = { aadObjectId: '6d1a0c4e-0000-4000-8000-00000000a11c', tenantId: 'tenant-1', name: 'Alice Coordinator' };

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('PostgreSQL', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('is reachable and each test database is isolated', async () => {
    const [a, b] = await Promise.all([createTestDatabase('harness_a'), createTestDatabase('harness_b')]);
    dbs.push(a, b);
    expect(a.url).not.toBe(b.url);
    await query(a.url, 'CREATE TABLE only_in_a (id int); INSERT INTO only_in_a VALUES (1)');
    expect(await query(a.url, 'SELECT count(*)::int AS n FROM only_in_a')).toEqual([{ n: 1 }]);
    const inB = await query<{ t: string | null }>(b.url, "SELECT to_regclass('only_in_a')::text AS t");
    expect(inB).toEqual([{ t: null }]);
  });

  it('drop() removes the database even with a session still open', async () => {
    const d = await createTestDatabase('harness_drop');
    const leaked = new Client({ connectionString: d.url });
    leaked.on('error', () => undefined);
    await leaked.connect();
    await d.drop();
    await leaked.end().catch(() => undefined);
    const left = await query<{ n: number }>(process.env.TEST_PG_ADMIN_URL ?? '', `SELECT count(*)::int AS n FROM pg_database WHERE datname = '${d.name}'`);
    expect(left).toEqual([{ n: 0 }]);
  });
});

describe('Redis', () => {
  it('is reachable with maxmemory-policy noeviction, and flushPrefix only removes its own keys', async () => {
    const mine = testRedisSpace();
    const theirs = testRedisSpace();
    expect(mine.prefix).not.toBe(theirs.prefix);
    const redis = new Redis(mine.url);
    try {
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      await redis.set(`${mine.prefix}:a`, '1');
      await redis.set(`${mine.prefix}:queue:b`, '2');
      await redis.set(`${theirs.prefix}:a`, '3');
      expect(await mine.flushPrefix()).toBe(2);
      expect(await redis.exists(`${mine.prefix}:a`, `${mine.prefix}:queue:b`)).toBe(0);
      expect(await redis.get(`${theirs.prefix}:a`)).toBe('3');
      await theirs.flushPrefix();
    } finally {
      redis.disconnect();
    }
  });
});

describe('connector emulator', () => {
  let connector: ConnectorEmulator;
  // The app's own outbound path: CloudAdapter proactive turns. No app id, so no token is fetched.
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  // A real Teams channel/thread id: ':' '@' ';' '=' must survive the SDK's encoding and our decoding.
  const channelConv = '19:abc123@thread.tacv2;messageid=1700000000000';

  async function turn<T>(conversationId: string, fn: (ctx: TurnContext) => Promise<T>): Promise<T> {
    const out: T[] = [];
    const reference: Partial<ConversationReference> = {
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id: conversationId, conversationType: 'personal', tenantId: alice.tenantId, isGroup: false, name: '' },
      bot: { id: '28:bot', name: 'bot' },
    };
    await adapter.continueConversationAsync('', reference, async (ctx) => {
      out.push(await fn(ctx));
    });
    return out[0] as T;
  }

  beforeAll(async () => {
    connector = await startConnector({ roster: [{ id: teamsUserId(alice), aadObjectId: alice.aadObjectId, name: alice.name, tenantId: alice.tenantId }] });
  });
  afterEach(() => connector.clear());
  afterAll(() => connector.close());

  it('records sends, replies, updates, deletes and decodes conversation ids', async () => {
    const conv = personalConversationId(teamsUserId(alice));
    const first = await turn(conv, (ctx) => ctx.sendActivity('hello'));
    expect(first?.id).toMatch(/^\d+$/);
    const id = first?.id ?? '';
    await turn(channelConv, (ctx) => ctx.sendActivity('in thread'));
    await turn(conv, (ctx) => ctx.updateActivity({ type: 'message', id, text: 'hello (edited)' }));
    await turn(conv, (ctx) => ctx.deleteActivity(id));

    expect(connector.sentTo(conv)).toEqual([expect.objectContaining({ id, conversationId: conv, text: 'hello' })]);
    expect(connector.sentTo(channelConv)).toEqual([expect.objectContaining({ text: 'in thread' })]);
    expect(connector.requests()[1]?.path).toContain('/v3/conversations/19%3Aabc123%40thread.tacv2%3Bmessageid%3D1700000000000/activities');
    expect(connector.updates()).toEqual([expect.objectContaining({ conversationId: conv, activityId: id, activity: expect.objectContaining({ text: 'hello (edited)' }) })]);
    expect(connector.deletes()).toEqual([{ conversationId: conv, activityId: id }]);
    // botbuilder's proactive turns reply to the continuation event's random id, so sends arrive as replies.
    expect(connector.requests().map((r) => r.kind)).toEqual(['reply', 'reply', 'update', 'delete']);
  });

  it("creates the user's existing 1:1 conversation and answers member look-ups from the roster", async () => {
    const params = {
      isGroup: false,
      bot: { id: '28:bot', name: 'bot' },
      members: [{ id: teamsUserId(alice), name: '' }],
      tenantId: alice.tenantId,
      channelData: { tenant: { id: alice.tenantId } },
    } as ConversationParameters;
    const seen: string[] = [];
    await adapter.createConversationAsync('', 'msteams', connector.url, '', params, async (ctx) => {
      seen.push(ctx.activity.conversation.id);
      const members = await TeamsInfo.getMembers(ctx);
      expect(members).toEqual([expect.objectContaining({ aadObjectId: alice.aadObjectId })]);
      expect((await TeamsInfo.getMember(ctx, alice.aadObjectId)).name).toBe(alice.name);
      expect((await TeamsInfo.getPagedMembers(ctx, 100)).members).toHaveLength(1);
      await expect(TeamsInfo.getMember(ctx, '29:nobody')).rejects.toMatchObject({ statusCode: 404 });
    });
    expect(seen).toEqual([personalConversationId(teamsUserId(alice))]);
  });

  it('injects 429 with Retry-After (which botbuilder retries itself) and a permanent 403', async () => {
    const conv = 'a:1throttled';
    connector.failNext({ match: { conversationId: conv }, status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    await turn(conv, (ctx) => ctx.sendActivity('eventually'));
    // The SDK's pipeline waited out Retry-After and tried again: two attempts, one delivery.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(connector.requests().map((r) => [r.status, r.injected, r.headers['content-type']?.startsWith('application/json')])).toEqual([
      [429, true, true],
      [201, false, true],
    ]);
    expect(connector.sentTo(conv).map((a) => a.text)).toEqual(['eventually']);

    connector.failNext({ match: (r) => r.method === 'POST' && r.conversationId === conv, status: 403, times: 2 });
    await expect(turn(conv, (ctx) => ctx.sendActivity('blocked'))).rejects.toMatchObject({ statusCode: 403 });
    expect(connector.requests().filter((r) => r.status === 403)).toHaveLength(1); // 403 is not retried
    expect(connector.sentTo(conv).map((a) => a.text)).toEqual(['eventually']);
  });

  it('waitFor resolves on arrival and times out with a summary', async () => {
    const waiting = connector.waitForSent((a) => a.text === 'later', 2000);
    setTimeout(() => void turn('a:1x', (ctx) => ctx.sendActivity('later')), 20);
    await expect(waiting).resolves.toMatchObject({ conversationId: 'a:1x' });
    await expect(connector.waitFor(() => connector.sent().length > 5, 100)).rejects.toThrow(/within 100 ms[\s\S]*conv=a:1x/);
  });
});

describe('activity builders and posting', () => {
  let server: Server;
  let base: string;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];

  beforeAll(async () => {
    // A stand-in for the bot's /api/messages: echoes invokes' card back like an invoke response.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: { type: 'AdaptiveCard', version: '1.5', body: [] } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('builds Teams-shaped activities and posts them', async () => {
    const teams = teamsChannel({ serviceUrl: 'http://127.0.0.1:1/', botAppId: 'app-id' });
    const msg = teams.message('refer', alice);
    expect(msg).toMatchObject({
      type: 'message',
      channelId: 'msteams',
      serviceUrl: 'http://127.0.0.1:1/',
      text: 'refer',
      locale: 'en-GB',
      from: { id: teamsUserId(alice), aadObjectId: alice.aadObjectId, name: alice.name },
      recipient: { id: '28:app-id' },
      conversation: { id: personalConversationId(teamsUserId(alice)), conversationType: 'personal', tenantId: 'tenant-1' },
      channelData: { tenant: { id: 'tenant-1' } },
    });
    expect(teams.message('again', alice).id).not.toBe(msg.id);

    const invoke = teams.adaptiveCardAction('accept', { caseId: 'c1' }, alice, { replyToId: '123' });
    expect(invoke).toMatchObject({ type: 'invoke', name: 'adaptiveCard/action', replyToId: '123', value: { action: { type: 'Action.Execute', verb: 'accept', data: { caseId: 'c1' } }, trigger: 'manual' } });
    const submit = teams.submitAction({ verb: 'accept' }, alice, '123');
    expect(submit).toMatchObject({ type: 'message', value: { verb: 'accept' }, replyToId: '123' });
    expect(submit.text).toBeUndefined();
    expect(teams.conversationUpdate(['bot'], alice).membersAdded).toEqual([{ id: '28:app-id' }]);
    expect(teams.installationUpdate(alice)).toMatchObject({ type: 'installationUpdate', action: 'add' });

    const res = await postActivity(base, invoke, { token: 'tok' });
    expect(res.status).toBe(200);
    expect(cardsIn(res.body)).toHaveLength(1);
    expect(received[0]?.headers.authorization).toBe('Bearer tok');
    expect(JSON.parse(received[0]?.body ?? '')).toMatchObject({ name: 'adaptiveCard/action' });

    await postRaw(base, '{"type": "mess', { 'content-type': 'application/json' });
    expect(received[1]?.body).toBe('{"type": "mess');
  });
});

describe('Adaptive Card parser', () => {
  const good = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: 'Referral', wrap: true, style: 'heading' },
      { type: 'Input.Text', id: 'name', label: 'Name', isRequired: true, errorMessage: 'Name is required' },
      { type: 'Input.ChoiceSet', id: 'borough', label: 'Borough', choices: [{ title: 'Camden', value: 'camden' }] },
    ],
    actions: [{ type: 'Action.Execute', title: 'Submit', verb: 'referral.submit', data: { caseId: 'c1' } }],
  };

  it('accepts a good 1.5 card', () => {
    expect(parseAdaptiveCard(good).errors).toEqual([]);
    expectValidCard(good);
  });

  it('reports unknown element types and missing required properties', () => {
    const bad = { ...good, body: [{ type: 'Input.Txet', id: 'x' }, { type: 'Input.Text', label: 'no id' }] };
    const { errors } = parseAdaptiveCard(bad);
    expect(errors).toEqual(expect.arrayContaining([expect.stringMatching(/Unknown element type "Input.Txet"/), expect.stringMatching(/Input.Text|unique Id/)]));
    expect(() => expectValidCard(bad)).toThrow(/Adaptive Card is invalid/);
    expect(parseAdaptiveCard({ type: 'AdaptiveCard', body: [] }).errors).toEqual([expect.stringMatching(/version/)]);
    expect(parseAdaptiveCard({ ...good, version: '1.6' }).errors).toEqual([expect.stringMatching(/above 1.5/)]);
    const missing = { ...good, body: [{ type: 'TextBlock' }], actions: [{ type: 'Action.Execute', title: 'Go', data: { verb: 'not here' } }] };
    expect(parseAdaptiveCard(missing).errors).toEqual([
      'TextBlock at $.body[0] is missing required "text"',
      'Action.Execute at $.actions[0] is missing required "verb"',
    ]);
  });

  it('finds cards in activities and invoke responses', () => {
    const activity = { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: good }, { contentType: 'text/plain', content: 'x' }] };
    expect(cardsIn(activity)).toEqual([good]);
    expect(cardsIn({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: good })).toEqual([good]);
    expect(cardsIn({ type: 'message' })).toEqual([]);
  });
});
