import type { Pool } from 'pg';
import { owe } from '../../src/app/owed';
import { AssignmentViews } from '../../src/app/assignmentViews';
import { DetailsCards } from '../../src/app/detailsCards';
import { CaseCardRepository } from '../../src/store/caseCardRepository';
import { ProgressRepository } from '../../src/store/progressRepository';
import { REFERRALS_CHANNEL_KEY, referralsChannel } from '../../src/app/coordinators';
import { createLogger } from '../../src/log';
import { OwedDeliveries } from '../../src/outbox/deliveries';
import { OutboxDispatcher, type Deliverer, type Delivery } from '../../src/outbox/dispatcher';
import { AssignmentRepository } from '../../src/store/assignmentRepository';
import { CaseRepository } from '../../src/store/caseRepository';
import { ConversationRefRepository } from '../../src/store/conversationRefRepository';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { OutboxRepository, type ClaimedMessage, type OwedMessage } from '../../src/store/outboxRepository';
import { RosterRepository } from '../../src/store/rosterRepository';
import { SettingsRepository } from '../../src/store/settingsRepository';
import { createProactiveAdapter } from '../../src/teams/proactiveAdapter';
import { ProactiveSender } from '../../src/teams/proactiveSender';
import { cardsIn } from '../support/cards';
import { cardText } from '../support/chat';
import { inConversation, startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { aad, caseFixtures, eventually, STAFF_TENANT, storeChannelRef, storePersonalRef } from '../support/reminderFixtures';
import { testCipher } from '../support/dataKeys';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const NO_APP_ID = { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' } as const;
const CHANNEL = '19:outbox-referrals@thread.tacv2';
const F1 = aad(101);
const F2 = aad(102);
const COORD = aad(103);

let db: TestDatabase;
let pool: Pool;
let repo: OutboxRepository;
let fx: ReturnType<typeof caseFixtures>;
const running: OutboxDispatcher[] = [];

beforeAll(async () => {
  db = await createTestDatabase('outbox');
  pool = createPool(db.url);
  await migrate(pool);
  repo = new OutboxRepository(pool);
  fx = caseFixtures(pool);
});

afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  // Each test starts from an empty outbox.
  await pool.query('DELETE FROM outbox');
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msg = (lane: string, n: number, coalesceKey?: string): OwedMessage => ({ kind: 'test', caseId: null, data: { n }, lane, ...(coalesceKey ? { coalesceKey } : {}) });
const nOf = (m: ClaimedMessage) => (m.data as { n: number }).n;

const order = { next: 0 };

/** A deliverer that records what it was handed (in one order across deliverers) and answers what the test says. */
function recorder(answer: (m: ClaimedMessage, call: number) => Promise<Delivery> | Delivery = () => ({ status: 'sent', conversationId: 'c', activityId: 'a' })) {
  const calls: { m: ClaimedMessage; at: number; seq: number }[] = [];
  const deliverer: Deliverer = {
    async deliver(m) {
      calls.push({ m, at: Date.now(), seq: order.next++ });
      return answer(m, calls.length);
    },
  };
  return { calls, deliverer };
}

function dispatcher(deliverer: Deliverer, o: Partial<ConstructorParameters<typeof OutboxDispatcher>[0]> = {}): OutboxDispatcher {
  const d = new OutboxDispatcher({ repo, deliverer, log, leaseMs: 1000, pollMs: 100, retryBaseMs: 200, retryCapMs: 1000, random: () => 0, ...o });
  running.push(d);
  return d;
}

describe('claims', () => {
  test('a due row is claimed once; while the lease lives nobody else gets it; after it runs out it is claimed again and the first claim can record nothing', async () => {
    await repo.owe([msg('lane-a', 1)]);
    const [first] = await repo.claim(10, 300);
    expect(first).toMatchObject({ kind: 'test', attempts: 1 });
    expect(await repo.claim(10, 300)).toEqual([]);
    await sleep(400);
    const [second] = await repo.claim(10, 300);
    expect(second).toMatchObject({ id: first!.id, attempts: 2 });
    expect(second!.claimToken).not.toBe(first!.claimToken);
    // The dead claimant comes back too late: its outcome is not recorded.
    expect(await repo.finish(first!, { status: 'sent', conversationId: 'x', activityId: 'old' })).toBe(false);
    expect(await repo.finish(second!, { status: 'sent', conversationId: 'x', activityId: 'new' })).toBe(true);
    expect((await repo.list()).map((r) => [r.status, r.activityId])).toEqual([['sent', 'new']]);
  });

  test('only the head of a lane is claimable: the next row of a card or a person waits until the one before is done', async () => {
    await repo.owe([msg('lane-a', 1), msg('lane-a', 2), msg('lane-b', 3)]);
    const batch = await repo.claim(10, 5000);
    expect(batch.map(nOf)).toEqual([1, 3]);
    expect(await repo.claim(10, 5000)).toEqual([]);
    await repo.finish(batch[0]!, { status: 'sent', conversationId: null, activityId: null });
    expect((await repo.claim(10, 5000)).map(nOf)).toEqual([2]);
  });

  test('two dispatchers on their own connections never deliver one row twice, and each lane arrives in order', async () => {
    const otherPool = createPool(db.url);
    const other = new OutboxRepository(otherPool);
    const lanes = 12;
    const perLane = 15;
    const all: OwedMessage[] = [];
    for (let k = 0; k < perLane; k++) for (let l = 0; l < lanes; l++) all.push(msg(`lane-${l}`, l * 1000 + k));
    await repo.owe(all);
    const slow = async (): Promise<Delivery> => {
      await sleep(Math.floor(Math.random() * 5));
      return { status: 'sent', conversationId: null, activityId: null };
    };
    const a = recorder(slow);
    const b = recorder(slow);
    const da = dispatcher(a.deliverer, { concurrency: 4 });
    const db2 = dispatcher(b.deliverer, { concurrency: 4, repo: other });
    try {
      await Promise.all([da.start(), db2.start()]);
      await eventually(async () => a.calls.length + b.calls.length >= all.length && (await repo.outstanding()) === 0, 20_000);
      await sleep(300);
      const delivered = [...a.calls, ...b.calls].map((c) => nOf(c.m));
      expect(delivered).toHaveLength(all.length);
      expect(new Set(delivered).size).toBe(all.length);
      // Both took part.
      expect(a.calls.length).toBeGreaterThan(0);
      expect(b.calls.length).toBeGreaterThan(0);
      for (let l = 0; l < lanes; l++) {
        const inLane = [...a.calls, ...b.calls].filter((c) => c.m.lane === `lane-${l}`).sort((x, y) => x.seq - y.seq);
        expect(inLane.map((c) => nOf(c.m))).toEqual(Array.from({ length: perLane }, (_, k) => l * 1000 + k));
      }
      expect([...a.calls, ...b.calls].every((c) => c.m.attempts === 1)).toBe(true);
      expect((await repo.list()).every((r) => r.status === 'sent')).toBe(true);
    } finally {
      await da.stop();
      await db2.stop();
      await otherPool.end();
    }
  });

  test('a send that outlasts the lease keeps its claim (heartbeat): a second dispatcher does not take it', async () => {
    await repo.owe([msg('slow', 1)]);
    const a = recorder(async () => {
      await sleep(1500);
      return { status: 'sent', conversationId: null, activityId: 'slow-1' };
    });
    const b = recorder();
    const da = dispatcher(a.deliverer, { leaseMs: 300 });
    await da.start();
    await eventually(async () => a.calls.length === 1);
    const db2 = dispatcher(b.deliverer, { leaseMs: 300 });
    await db2.start();
    await da.idle();
    expect(b.calls).toHaveLength(0);
    expect((await repo.list()).map((r) => [r.status, r.activityId, r.attempts])).toEqual([['sent', 'slow-1', 1]]);
  });

  test('stopping lets the row in hand finish and be recorded; what is left stays owed for the next start', async () => {
    await repo.owe([msg('stop', 1), msg('stop', 2)]);
    const a = recorder(async () => {
      await sleep(300);
      return { status: 'sent', conversationId: null, activityId: null };
    });
    const d = dispatcher(a.deliverer);
    await d.start();
    await eventually(async () => a.calls.length === 1);
    await d.stop();
    expect((await repo.list()).map((r) => r.status)).toEqual(['sent', 'pending']);
    const again = dispatcher(a.deliverer);
    await again.start();
    await again.idle();
    expect((await repo.list()).map((r) => r.status)).toEqual(['sent', 'sent']);
  });
});

describe('coalescing', () => {
  test('successive updates of one card leave one pending row, and only it is sent', async () => {
    for (let n = 1; n <= 5; n++) await repo.owe([msg('card:x', n, 'channel_card:x')]);
    expect((await repo.list()).map((r) => r.status)).toEqual(['superseded', 'superseded', 'superseded', 'superseded', 'pending']);
    const a = recorder();
    const d = dispatcher(a.deliverer);
    await d.start();
    await d.idle();
    expect(a.calls.map((c) => nOf(c.m))).toEqual([5]);
  });

  test('an update owed while an earlier one is being sent goes after it; a dead claim that a newer update replaced is not sent again', async () => {
    await repo.owe([msg('card:y', 1, 'channel_card:y')]);
    const [inHand] = await repo.claim(1, 200);
    await repo.owe([msg('card:y', 2, 'channel_card:y')]);
    // The newer row waits behind the one in hand.
    expect(await repo.claim(10, 200)).toEqual([]);
    await sleep(300);
    // The claimant died: its row is superseded by the pending one, which is the one sent.
    const next = await repo.claim(10, 200);
    expect(next.map(nOf)).toEqual([2]);
    expect((await repo.list()).find((r) => r.id === inHand!.id)?.status).toBe('superseded');
  });
});

describe('retries', () => {
  test('a transient failure is retried with growing backoff, then sent', async () => {
    await repo.owe([msg('retry', 1)]);
    const a = recorder((_m, call) => (call < 3 ? { status: 'retry', reason: '503 ServiceUnavailable' } : { status: 'sent', conversationId: 'c', activityId: 'third' }));
    // Jitter pinned at its floor: half the ceiling, so 100 ms then 200 ms.
    const d = dispatcher(a.deliverer, { retryBaseMs: 200 });
    await d.start();
    await eventually(async () => (await repo.list())[0]?.status === 'sent', 5000);
    expect(a.calls.map((c) => c.m.attempts)).toEqual([1, 2, 3]);
    expect(a.calls[1]!.at - a.calls[0]!.at).toBeGreaterThanOrEqual(90);
    expect(a.calls[2]!.at - a.calls[1]!.at).toBeGreaterThanOrEqual(190);
    expect((await repo.list())[0]).toMatchObject({ status: 'sent', activityId: 'third', attempts: 3, error: null });
  });

  test("Teams' Retry-After wins over a shorter backoff; after the last attempt allowed the row fails and its give-up effects are written", async () => {
    const { caseId } = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z', stage: 'assigning' });
    await fx.staff(F1, { facilitator: true });
    const offerId = await fx.offer(caseId, F1, '2026-03-02T10:00:00Z');
    await repo.owe([msg('retry-after', 1)]);
    const a = recorder(() => ({
      status: 'retry', reason: '429 Throttled', retryAfterMs: 400,
      giveUpEffects: [{ type: 'offerSendError', offerId, error: '429 Throttled' }, { type: 'owe', messages: [owe.channelCard(caseId)] }],
    }));
    const d = dispatcher(a.deliverer, { retryBaseMs: 10, maxAttempts: 2 });
    await d.start();
    await eventually(async () => (await repo.list()).some((r) => r.status === 'failed'), 5000);
    expect(a.calls[1]!.at - a.calls[0]!.at).toBeGreaterThanOrEqual(390);
    const rows = await repo.list();
    expect(rows[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(rows[0]!.error).toMatch(/gave up after 2 attempts: 429 Throttled/);
    expect(rows.some((r) => r.kind === 'channel_card' && r.caseId === caseId)).toBe(true);
    const { rows: offers } = await pool.query('SELECT send_error FROM offers WHERE id = $1', [offerId]);
    expect(offers[0].send_error).toBe('429 Throttled');
  });
});

describe('owed messages through the proactive sender', () => {
  let connector: ConnectorEmulator;
  let deliveries: OwedDeliveries;
  const convs: Record<string, string> = {};

  beforeAll(async () => {
    connector = await startConnector();
    const refs = new ConversationRefRepository(pool);
    for (const id of [F1, F2]) await fx.staff(id, { facilitator: true });
    await fx.staff(COORD, { coordinator: true });
    for (const id of [F1, F2, COORD]) convs[id] = await storePersonalRef(refs, connector.url, id);
    await storeChannelRef(refs, connector.url, CHANNEL);
    const settings = new SettingsRepository(pool);
    await settings.set(REFERRALS_CHANNEL_KEY, { conversationId: CHANNEL }, COORD);
    const sender = new ProactiveSender({
      adapter: createProactiveAdapter(NO_APP_ID, log), botAppId: '', refs, log, random: () => 0,
      // One attempt per claim: the outbox's own retry is under test.
      retry: { maxAttempts: 1 },
      onPermanentFailure: async (f) => {
        if (!f.alreadyStale) await repo.owe([owe.unreachable(f)]);
      },
    });
    const cases = new CaseRepository(pool, { cipher: testCipher() });
    const assignments = new AssignmentRepository(pool);
    const roster = new RosterRepository(pool);
    const views = new AssignmentViews({ cases, assignments, roster, refs, staffTenantId: STAFF_TENANT });
    const details = new DetailsCards({
      cases, progress: new ProgressRepository(pool, testCipher()), roles: async (a) => ({ ...a, coordinator: false, facilitator: false }),
      cards: new CaseCardRepository(pool), messenger: sender, refs, staffTenantId: STAFF_TENANT, log,
    });
    deliveries = new OwedDeliveries({ views, details, referralsChannel: () => referralsChannel(settings), cases, assignments, roster, messenger: sender, caseWaits: async () => [], staffTenantId: STAFF_TENANT, log });
  });

  afterAll(async () => {
    await connector?.close();
  });

  beforeEach(() => connector.clear());

  const channelCards = (reference: string) => connector.sentTo(CHANNEL).filter((a) => cardsIn(a).some((c) => cardText(c).includes(`Referral ${reference}`)));

  test('a 503 on the channel post is retried by the outbox and the card is posted once, where the case records it', async () => {
    const { caseId, reference } = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z' });
    connector.failNext({ match: (r) => r.conversationId === CHANNEL && r.method === 'POST', status: 503, times: 2 });
    await repo.owe([owe.channelPost(caseId)]);
    const d = dispatcher(deliveries, { retryBaseMs: 100 });
    await d.start();
    await eventually(async () => (await repo.list(caseId))[0]?.status === 'sent', 10_000);
    expect(channelCards(reference)).toHaveLength(1);
    const [row] = await repo.list(caseId);
    // The sender gives up after one attempt here, so each 503 cost the row one claim.
    expect(connector.requests().filter((r) => r.status === 503)).toHaveLength(2);
    expect(row!.attempts).toBe(3);
    const { rows } = await pool.query('SELECT channel_conversation_id, channel_activity_id FROM cases WHERE id = $1', [caseId]);
    // A thread of its own in the channel: its root is the card.
    expect(rows[0]).toEqual({ channel_conversation_id: `${CHANNEL};messageid=${row!.activityId}`, channel_activity_id: row!.activityId });
  });

  test('a process that dies after Teams started the thread, before the outcome was recorded: the retry finds the thread and posts nothing more', async () => {
    const { caseId, reference } = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z' });
    await repo.owe([owe.channelPost(caseId)]);
    // The dying process: it claims, sends, and never records the outcome (its lease runs out).
    const [claim] = await repo.claim(1, 200);
    expect(await deliveries.deliver(claim!)).toMatchObject({ status: 'sent' });
    expect(channelCards(reference)).toHaveLength(1);
    await sleep(250);
    const d = dispatcher(deliveries);
    await d.start();
    await d.idle();
    const [row] = await repo.list(caseId);
    expect(row).toMatchObject({ status: 'skipped', attempts: 2, error: 'card already posted' });
    expect(channelCards(reference)).toHaveLength(1);
    expect(connector.requests().filter((r) => r.kind === 'createConversation')).toHaveLength(1);
  });

  test('a 403 on an offer fails it for good: recorded on the offer, shown on the coordinators card, and coordinators told in the channel', async () => {
    const { caseId, reference } = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z', stage: 'assigning' });
    await repo.owe([owe.channelPost(caseId)]);
    const d = dispatcher(deliveries);
    await d.start();
    await d.idle();
    const offerId = await fx.offer(caseId, F2, '2026-03-02T10:00:00Z');
    connector.failNext({ match: { conversationId: convs[F2]! }, status: 403 });
    await repo.owe([owe.offer(caseId, offerId, STAFF_TENANT, F2)]);
    await d.idle();
    const rows = await repo.list(caseId);
    expect(rows.find((r) => r.kind === 'offer')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rows.find((r) => r.kind === 'offer')!.error).toMatch(/403/);
    const { rows: offers } = await pool.query('SELECT send_error FROM offers WHERE id = $1', [offerId]);
    expect(offers[0].send_error).toMatch(/403/);
    // The card update owed by the failure shows it.
    const update = connector.updates().filter((u) => inConversation(u.conversationId, CHANNEL)).pop();
    expect(cardText(cardsIn(update!.activity)[0])).toContain('could not be reached in Teams');
    expect(connector.sentTo(CHANNEL).some((a) => (a.text ?? '').includes('must install or reopen the RJ Referrals app'))).toBe(true);
    const unreachable = (await repo.list()).filter((r) => r.kind === 'unreachable');
    expect(unreachable.map((r) => r.status)).toEqual(['sent']);
    // Ids and codes only in the outbox, never the participants' names.
    const { rows: raw } = await pool.query('SELECT data::text AS data FROM outbox');
    expect(raw.map((r: { data: string }) => r.data).join(' ')).not.toMatch(/Zebedee/);
    expect(channelCards(reference)).toHaveLength(1);
  });

  test('case details are not sent to a facilitator who left the case before they went out', async () => {
    const { caseId } = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z', stage: 'preparation' });
    const offerId = await fx.offer(caseId, F1, '2026-03-02T10:00:00Z');
    await fx.answer(offerId, 'withdrawn', '2026-03-02T11:00:00Z');
    await repo.owe([owe.caseDetails(caseId, STAFF_TENANT, F1)]);
    const d = dispatcher(deliveries);
    await d.start();
    await d.idle();
    expect((await repo.list(caseId)).map((r) => [r.status, r.error])).toEqual([['skipped', 'no longer on the case']]);
    expect(connector.sentTo(convs[F1]!)).toHaveLength(0);
  });
});
