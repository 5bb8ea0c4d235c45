import type { Pool } from 'pg';
import { card, para } from '../../cards/adaptive';
import { createLogger } from '../../src/log';
import { ConversationRefRepository } from '../../src/store/conversationRefRepository';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { createProactiveAdapter, removeSdkRetry } from '../../src/teams/proactiveAdapter';
import { ProactiveSender, type PermanentFailure, type ProactiveSenderDeps } from '../../src/teams/proactiveSender';
import { RateLimiter } from '../../src/teams/rateLimiter';
import { personalConversationId, teamsUserId } from '../support/activities';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';

const TENANT = '11111111-1111-4111-8111-111111111111';
const NO_APP_ID = { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' } as const;

let db: TestDatabase;
let pool: Pool;
let refs: ConversationRefRepository;
let connector: ConnectorEmulator;
const log = createLogger(process.env.TEST_LOG ?? 'silent');
const adapter = createProactiveAdapter(NO_APP_ID, log);

beforeAll(async () => {
  db = await createTestDatabase('proactive_sender');
  pool = createPool(db.url);
  await migrate(pool);
  refs = new ConversationRefRepository(pool);
  connector = await startConnector();
});

afterAll(async () => {
  await connector?.close();
  await pool?.end();
  await db?.drop();
});

beforeEach(() => connector.clear());

let userSeq = 0;
/** A user with a stored 1:1 reference pointing at the emulator, as the tenant guard would store it. */
async function storedUser(): Promise<{ aadObjectId: string; conversationId: string; userId: string }> {
  const aadObjectId = `aaaaaaaa-0000-4000-8000-${String(++userSeq).padStart(12, '0')}`;
  const userId = teamsUserId({ aadObjectId });
  const conversationId = personalConversationId(userId);
  await refs.upsert({
    conversationId, tenantId: TENANT, aadObjectId, conversationType: 'personal', serviceUrl: connector.url,
    reference: {
      activityId: 'in-1', user: { id: userId, aadObjectId, name: '' }, bot: { id: '28:bot', name: 'RJ Referrals' },
      conversation: { id: conversationId, conversationType: 'personal', tenantId: TENANT }, channelId: 'msteams', serviceUrl: connector.url,
    },
  });
  return { aadObjectId, conversationId, userId };
}

/**
 * A sender on fake time: sleeping advances the clock instantly (or not at all, when `frozen`, so that
 * concurrent waits are all measured from one instant), so waits are recorded, not spent. The connector
 * and the database are real.
 */
function fakeSender(over: Partial<ProactiveSenderDeps> = {}, opts: { frozen?: boolean } = {}) {
  const time = { now: Date.now(), sleeps: [] as number[] };
  const failures: PermanentFailure[] = [];
  const sleep = async (ms: number) => {
    time.sleeps.push(ms);
    if (!opts.frozen) time.now += ms;
  };
  const clock = () => new Date(time.now);
  const sender = new ProactiveSender({
    adapter, botAppId: '', refs, log, clock, sleep, random: () => 0.5,
    onPermanentFailure: (f) => {
      failures.push(f);
    },
    ...over,
  });
  return { sender, time, failures };
}

const requestsTo = (conversationId: string) => connector.requests().filter((r) => r.conversationId === conversationId);

describe('ProactiveSender against the connector emulator', () => {
  it('starts a thread in a channel: Teams answers `<channel>;messageid=<root>`, its reference is stored, a reply goes into it; a 403 marks the channel stale', async () => {
    const channel = `19:thread-test-${++userSeq}@thread.tacv2`;
    await refs.upsert({
      conversationId: channel, tenantId: TENANT, aadObjectId: null, conversationType: 'channel', serviceUrl: connector.url,
      reference: { user: { id: '29:someone', name: '' }, bot: { id: '28:bot', name: 'RJ Referrals' }, conversation: { id: channel, conversationType: 'channel', tenantId: TENANT, isGroup: true }, channelId: 'msteams', serviceUrl: connector.url },
    });
    const { sender, failures } = fakeSender();
    const started = await sender.startThread(channel, card([para('Referral RJ-2026-0001')]));
    expect(started).toMatchObject({ ok: true, attempts: 1 });
    if (!started.ok) throw new Error('not started');
    expect(started.conversationId).toBe(`${channel};messageid=${started.activityId}`);
    const create = connector.requests().find((r) => r.kind === 'createConversation')!;
    expect(create.body).toMatchObject({ isGroup: true, channelData: { channel: { id: channel } }, activity: { type: 'message' } });
    expect((await refs.get(started.conversationId))?.conversationType).toBe('channel');
    const reply = await sender.sendToConversation(started.conversationId, { text: 'About this case' });
    expect(reply).toMatchObject({ ok: true, conversationId: started.conversationId });
    expect(connector.sentTo(channel).map((a) => a.conversationId)).toEqual([started.conversationId, started.conversationId]);

    connector.failNext({ match: { conversationId: channel, kind: 'createConversation' }, status: 403 });
    const refused = await sender.startThread(channel, card([para('Referral RJ-2026-0002')]));
    expect(refused).toMatchObject({ ok: false, kind: 'unreachable', permanent: true });
    expect((await refs.get(channel))?.stale).toBe(true);
    expect(failures.map((f) => f.conversationId)).toEqual([channel]);
  });

  it('sends a message and an Adaptive Card, returning the ids Teams assigned', async () => {
    const u = await storedUser();
    const { sender, time } = fakeSender();
    const text = await sender.sendToConversation(u.conversationId, { text: 'A reminder' });
    const cardSent = await sender.sendToConversation(u.conversationId, card([para('Offer')]));
    expect(text).toMatchObject({ ok: true, conversationId: u.conversationId, attempts: 1 });
    expect(cardSent).toMatchObject({ ok: true, attempts: 1 });
    const sent = connector.sentTo(u.conversationId);
    expect(sent.map((s) => s.id)).toEqual([text.ok && text.activityId, cardSent.ok && cardSent.activityId]);
    expect(sent[0]).toMatchObject({ type: 'message', text: 'A reminder' });
    expect(sent[1]?.attachments?.[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } });
    expect(requestsTo(u.conversationId).map((r) => r.kind)).toEqual(['reply', 'reply']);
    expect(time.sleeps).toEqual([]);
  });

  it('waits out a real 429 Retry-After, then delivers exactly once; botbuilder does not retry on its own', async () => {
    const u = await storedUser();
    connector.failNext({ match: { conversationId: u.conversationId }, status: 429, retryAfterSeconds: 1 });
    const sender = new ProactiveSender({ adapter, botAppId: '', refs, log, random: () => 0 });
    const r = await sender.sendToConversation(u.conversationId, { text: 'after throttling' });
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    const reqs = requestsTo(u.conversationId);
    // One throttled attempt and one success: the SDK's own retry policy would have made it 2 + 1.
    expect(reqs.map((q) => [q.status, q.injected])).toEqual([[429, true], [201, false]]);
    expect((reqs[1]?.time.getTime() ?? 0) - (reqs[0]?.time.getTime() ?? 0)).toBeGreaterThanOrEqual(990);
    expect(connector.sentTo(u.conversationId)).toHaveLength(1);
  });

  it('keeps retrying through more 429s than botbuilder would, sleeping at least Retry-After each time', async () => {
    const u = await storedUser();
    connector.failNext({ match: { conversationId: u.conversationId }, status: 429, retryAfterSeconds: 1, times: 4 });
    const { sender, time } = fakeSender();
    const r = await sender.sendToConversation(u.conversationId, { text: 'x' });
    expect(r).toMatchObject({ ok: true, attempts: 5 });
    expect(requestsTo(u.conversationId)).toHaveLength(5);
    expect(connector.sentTo(u.conversationId)).toHaveLength(1);
    // Full jitter at random 0.5 gives 250, 500, 1000, 2000: Retry-After (1000) wins while larger.
    expect(time.sleeps).toEqual([1000, 1000, 1000, 2000]);
  });

  it('retries 412, 502 and 504 with exponential backoff and full jitter', async () => {
    const u = await storedUser();
    for (const status of [412, 502, 504] as const) connector.failNext({ match: { conversationId: u.conversationId }, status });
    const { sender, time } = fakeSender();
    const r = await sender.sendToConversation(u.conversationId, { text: 'x' });
    expect(r).toMatchObject({ ok: true, attempts: 4 });
    expect(requestsTo(u.conversationId).map((q) => q.status)).toEqual([412, 502, 504, 201]);
    expect(time.sleeps).toEqual([250, 500, 1000]);
  });

  it('gives up after the attempt budget as a transient failure, leaving the reference alone', async () => {
    const u = await storedUser();
    connector.failNext({ match: { conversationId: u.conversationId }, status: 502, times: 10 });
    const { sender, time, failures } = fakeSender();
    const r = await sender.sendToConversation(u.conversationId, { text: 'x' });
    expect(r).toMatchObject({ ok: false, permanent: false, kind: 'exhausted', status: 502, attempts: 6 });
    expect(requestsTo(u.conversationId)).toHaveLength(6);
    expect(time.sleeps).toHaveLength(5);
    expect(failures).toEqual([]);
    expect(await refs.get(u.conversationId)).toMatchObject({ stale: false });
  });

  it('does not sleep through a Retry-After longer than it may wait: the caller reschedules', async () => {
    const u = await storedUser();
    connector.failNext({ match: { conversationId: u.conversationId }, status: 429, retryAfterSeconds: 1 });
    const { sender, time } = fakeSender({ retry: { maxWaitMs: 500 } });
    const r = await sender.sendToConversation(u.conversationId, { text: 'x' });
    expect(r).toMatchObject({ ok: false, permanent: false, kind: 'exhausted', status: 429, attempts: 1, retryAfterMs: 1000 });
    expect(time.sleeps).toEqual([]);
  });

  it.each([
    { status: 403 as const, code: 'BotNotInConversationRoster' },
    { status: 404 as const, code: 'ConversationNotFound' },
  ])('treats $status as permanent: no retry, reference stale, hook told', async ({ status, code }) => {
    const u = await storedUser();
    connector.failNext({ match: { conversationId: u.conversationId }, status, times: 5 });
    const { sender, time, failures } = fakeSender();
    const r = await sender.sendToConversation(u.conversationId, { text: 'x' });
    expect(r).toEqual({ ok: false, permanent: true, kind: 'unreachable', status, reason: `${status} ${code}`, conversationId: u.conversationId, attempts: 1 });
    expect(requestsTo(u.conversationId)).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
    expect(await refs.get(u.conversationId)).toMatchObject({ stale: true, staleReason: `${status} ${code}` });
    expect(failures).toEqual([{ kind: 'unreachable', tenantId: TENANT, aadObjectId: u.aadObjectId, conversationId: u.conversationId, status, reason: `${status} ${code}`, alreadyStale: false }]);

    // Until the person comes back, sends are not attempted; the hook hears of them as already known.
    const again = await sender.sendToConversation(u.conversationId, { text: 'y' });
    expect(again).toMatchObject({ ok: false, permanent: true, kind: 'unreachable', attempts: 0 });
    expect(requestsTo(u.conversationId)).toHaveLength(1);
    expect(failures[1]).toMatchObject({ alreadyStale: true, conversationId: u.conversationId });
  });

  it('a hook that throws does not turn a result into an exception', async () => {
    const u = await storedUser();
    connector.failNext({ match: { conversationId: u.conversationId }, status: 403 });
    const { sender } = fakeSender({ onPermanentFailure: () => Promise.reject(new Error('coordinator lookup failed')) });
    await expect(sender.sendToConversation(u.conversationId, { text: 'x' })).resolves.toMatchObject({ ok: false, kind: 'unreachable' });
  });

  it('refuses an oversized message without a request', async () => {
    const u = await storedUser();
    const { sender } = fakeSender();
    const r = await sender.sendToConversation(u.conversationId, { text: 'x'.repeat(90 * 1024) });
    expect(r).toMatchObject({ ok: false, permanent: true, kind: 'rejected', status: null, attempts: 0 });
    expect(requestsTo(u.conversationId)).toHaveLength(0);
  });

  it('answers no_reference for an unknown conversation', async () => {
    const { sender, failures } = fakeSender();
    expect(await sender.sendToConversation('a:unknown', { text: 'x' })).toMatchObject({ ok: false, permanent: true, kind: 'no_reference', conversationId: 'a:unknown' });
    expect(failures).toMatchObject([{ kind: 'no_reference', conversationId: 'a:unknown' }]);
    expect(connector.requests()).toHaveLength(0);
  });

  it('updates a sent card in place, retrying a 429 like a send', async () => {
    const u = await storedUser();
    const { sender, time } = fakeSender();
    const sent = await sender.sendToConversation(u.conversationId, card([para('Accept or decline')]));
    if (!sent.ok) throw new Error('send failed');
    connector.failNext({ match: { conversationId: u.conversationId, kind: 'update' }, status: 429, retryAfterSeconds: 1 });
    const r = await sender.updateActivity(u.conversationId, sent.activityId, card([para('Accepted')]));
    expect(r).toEqual({ ok: true, conversationId: u.conversationId, activityId: sent.activityId, attempts: 2 });
    expect(connector.updates()).toMatchObject([{ conversationId: u.conversationId, activityId: sent.activityId, activity: { id: sent.activityId } }]);
    expect(time.sleeps).toEqual([1000]);
  });

  it('holds back the 8th and 9th of a burst to one conversation (rate limiter on the send path)', async () => {
    const u = await storedUser();
    const { sender, time } = fakeSender({}, { frozen: true });
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => sender.sendToConversation(u.conversationId, { text: `#${i}` })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(connector.sentTo(u.conversationId)).toHaveLength(9);
    // The default 100 ms margin on every window: 1 s + 0.1, 2 s + 0.1.
    expect(time.sleeps).toEqual([1100, 2100]);
  });

  it('uses an injected limiter, so one limiter can serve every sender in the process', async () => {
    const u = await storedUser();
    const acquired: string[] = [];
    const limiter = new RateLimiter();
    const spy = Object.assign(Object.create(limiter) as RateLimiter, {
      acquire: (keys: { conversationId?: string; tenantId?: string }) => {
        acquired.push(`${keys.conversationId}|${keys.tenantId}`);
        return limiter.acquire(keys);
      },
    });
    const { sender } = fakeSender({ limiter: spy });
    await sender.sendToConversation(u.conversationId, { text: 'x' });
    expect(acquired).toEqual([`${u.conversationId}|${TENANT}`]);
  });
});

it('removeSdkRetry reports, rather than throws, when botbuilder\'s internals are not as expected', () => {
  expect(removeSdkRetry({})).toBe(false);
  expect(removeSdkRetry(null)).toBe(false);
  expect(removeSdkRetry({ client: { pipeline: { removePolicy: () => [] } } })).toBe(false);
  expect(removeSdkRetry({ client: { pipeline: { removePolicy: () => [{ name: 'defaultRetryPolicy' }] } } })).toBe(true);
});

describe('ProactiveSender: reaching a person', () => {
  it('sends to a user through their stored 1:1 chat', async () => {
    const u = await storedUser();
    const { sender } = fakeSender();
    const r = await sender.sendToUser(TENANT.toUpperCase(), u.aadObjectId.toUpperCase(), { text: 'hello' });
    expect(r).toMatchObject({ ok: true, conversationId: u.conversationId });
    expect(connector.requests().map((q) => q.kind)).toEqual(['reply']);
  });

  it('creates a personal conversation when none is stored, stores its reference, then sends', async () => {
    const aadObjectId = 'cccccccc-0000-4000-8000-000000000001';
    const { sender } = fakeSender({ serviceUrlForTenant: () => connector.url });
    expect(await refs.findPersonal(TENANT, aadObjectId)).toBeNull();
    const r = await sender.sendToUser(TENANT, aadObjectId, { text: 'you have been offered a case' });
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    const [create, send] = connector.requests();
    expect(create).toMatchObject({ kind: 'createConversation', status: 201, body: { isGroup: false, members: [{ id: aadObjectId }], tenantId: TENANT, channelData: { tenant: { id: TENANT } } } });
    const stored = await refs.findPersonal(TENANT, aadObjectId);
    expect(stored).toMatchObject({ conversationId: create?.conversationId, conversationType: 'personal', serviceUrl: connector.url, stale: false });
    expect(send).toMatchObject({ kind: 'reply', conversationId: create?.conversationId });
    expect(r.ok && r.conversationId).toBe(create?.conversationId);
  });

  it('revives a stale 1:1 chat through Teams (the app is installed again) using the stored Teams user id', async () => {
    const u = await storedUser();
    await refs.markStale(u.conversationId, '403 BotNotInConversationRoster');
    const { sender } = fakeSender();
    const r = await sender.sendToUser(TENANT, u.aadObjectId, { text: 'x' });
    expect(r).toMatchObject({ ok: true, conversationId: u.conversationId });
    expect(connector.requests()[0]).toMatchObject({ kind: 'createConversation', body: { members: [{ id: u.userId }] } });
    expect(await refs.get(u.conversationId)).toMatchObject({ stale: false });
  });

  it('createPersonalConversation on its own returns the conversation and stores the reference', async () => {
    const u = { aadObjectId: 'cccccccc-0000-4000-8000-000000000002' };
    const userId = teamsUserId(u);
    const { sender } = fakeSender();
    const r = await sender.createPersonalConversation(TENANT, { ...u, teamsUserId: userId }, connector.url);
    // The emulator, like Teams, answers with the pair's one 1:1 conversation.
    expect(r).toEqual({ ok: true, conversationId: personalConversationId(userId), attempts: 1 });
    expect((await refs.get(personalConversationId(userId)))?.reference).toMatchObject({ user: { id: userId, aadObjectId: u.aadObjectId }, conversation: { id: personalConversationId(userId) } });
  });

  it('tells the hook when the person has not installed the app (403 on create)', async () => {
    const aadObjectId = 'cccccccc-0000-4000-8000-000000000003';
    connector.failNext({ match: { kind: 'createConversation' }, status: 403 });
    const { sender, failures } = fakeSender({ serviceUrlForTenant: async () => connector.url });
    const r = await sender.sendToUser(TENANT, aadObjectId, { text: 'x' });
    expect(r).toMatchObject({ ok: false, permanent: true, kind: 'unreachable', status: 403, conversationId: null });
    expect(failures).toEqual([{ kind: 'unreachable', tenantId: TENANT, aadObjectId, conversationId: null, status: 403, reason: '403 BotNotInConversationRoster', alreadyStale: false }]);
    expect(await refs.findPersonal(TENANT, aadObjectId)).toBeNull();
  });

  it('retries a throttled create', async () => {
    const aadObjectId = 'cccccccc-0000-4000-8000-000000000004';
    connector.failNext({ match: { kind: 'createConversation' }, status: 429, retryAfterSeconds: 1 });
    const { sender, time } = fakeSender({ serviceUrlForTenant: () => connector.url });
    expect(await sender.sendToUser(TENANT, aadObjectId, { text: 'x' })).toMatchObject({ ok: true, attempts: 3 });
    expect(time.sleeps).toEqual([1000]);
  });

  it('answers no_reference when there is neither a reference nor a serviceUrl', async () => {
    const aadObjectId = 'cccccccc-0000-4000-8000-000000000005';
    const { sender, failures } = fakeSender();
    expect(await sender.sendToUser(TENANT, aadObjectId, { text: 'x' })).toMatchObject({ ok: false, permanent: true, kind: 'no_reference' });
    expect(failures).toMatchObject([{ kind: 'no_reference', tenantId: TENANT, aadObjectId, conversationId: null }]);
    expect(connector.requests()).toHaveLength(0);
  });
});
