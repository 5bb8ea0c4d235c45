import type { Pool } from 'pg';
import { reminderKey, remindersFor } from '../../src/domain/reminderPolicy';
import { ReminderDelivery, type ReminderMessenger } from '../../src/reminders/delivery';
import type { MessageContent } from '../../src/app/messenger';
import { createLogger } from '../../src/log';
import { toJobId } from '../../src/reminders/ids';
import { ConversationRefRepository } from '../../src/store/conversationRefRepository';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { createProactiveAdapter } from '../../src/teams/proactiveAdapter';
import { ProactiveSender, type PermanentFailure } from '../../src/teams/proactiveSender';
import { parseAdaptiveCard } from '../support/cards';
import { startConnector, type ConnectorEmulator, type SentActivity } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import {
  aad, caseFixtures, eventually, PARTICIPANT_NAME_MARK, PARTNER_TENANT, reminderRig, STAFF_TENANT, storeChannelRef, storePersonalRef, testClock, type ReminderRig,
} from '../support/reminderFixtures';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const NO_APP_ID = { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' } as const;
const CHANNEL = '19:referrals@thread.tacv2';
const F1 = aad(1);
const F2 = aad(2);
const COORD = aad(3);
const REFERRER = aad(4, 'cccccccc');

const t = testClock('2026-03-02T10:00:00Z');
let db: TestDatabase;
let pool: Pool;
let space: TestRedisSpace;
let rig: ReminderRig;
let connector: ConnectorEmulator;
let fx: ReturnType<typeof caseFixtures>;
const convs: Record<string, string> = {};
const permanent: PermanentFailure[] = [];
const channel = { id: undefined as string | undefined };
/** Cases' threads in the channel (their channel card's conversation), by case id. */
const threads = new Map<string, string>();

beforeAll(async () => {
  db = await createTestDatabase('reminders_delivery');
  pool = createPool(db.url);
  await migrate(pool);
  space = testRedisSpace();
  connector = await startConnector();
  rig = await reminderRig({ pool, redisUrl: space.url, prefix: space.prefix, clock: t.clock, log });
  fx = caseFixtures(pool);
  const refs = new ConversationRefRepository(pool);
  for (const id of [F1, F2]) await fx.staff(id, { facilitator: true });
  await fx.staff(COORD, { coordinator: true });
  for (const id of [F1, F2, COORD]) convs[id] = await storePersonalRef(refs, connector.url, id);
  convs[REFERRER] = await storePersonalRef(refs, connector.url, REFERRER, PARTNER_TENANT);
  await storeChannelRef(refs, connector.url, CHANNEL);
  // The real sender on real time against the emulator; a Retry-After over 1 s is handed back to the
  // queue instead of slept through, which is the path under test.
  const sender = new ProactiveSender({
    adapter: createProactiveAdapter(NO_APP_ID, log), botAppId: '', refs, log, random: () => 0.5,
    retry: { maxWaitMs: 1000 },
    onPermanentFailure: (f) => {
      permanent.push(f);
    },
  });
  await rig.startWorker(sender, { channel: async () => channel.id, caseThread: async (caseId) => threads.get(caseId) ?? null, concurrency: 4 });
});

afterAll(async () => {
  await rig?.close();
  await connector?.close();
  await space?.flushPrefix();
  await pool?.end();
  await db?.drop();
});

beforeEach(() => {
  connector.clear();
  channel.id = undefined;
});

const cardOf = (a: SentActivity | undefined) => (a?.attachments?.[0]?.content ?? {}) as { body?: unknown[]; actions?: Array<{ verb?: string; data?: Record<string, unknown> }> };
const textOf = (a: SentActivity | undefined) => JSON.stringify(cardOf(a));

async function drained(): Promise<void> {
  await eventually(async () => {
    const c = await rig.queue.getJobCounts('active', 'wait');
    return c.active === 0 && c.wait === 0;
  });
}

/** A case with a confirmed pair (F1, F2) whose offender has never been contacted. */
async function preparedCase(confirmedAt: string) {
  const c = await fx.createCase({ createdAt: confirmedAt, stage: 'preparation', pairConfirmedAt: confirmedAt });
  for (const f of [F1, F2]) await fx.answer(await fx.offer(c.caseId, f, confirmedAt), 'accepted', confirmedAt);
  return c;
}

describe('reminder delivery', () => {
  it('delivers a due reminder once, records it, and schedules the next occurrence of a repeating rule', async () => {
    t.set('2026-03-05T10:00:00Z');
    const c = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z' });
    await rig.scheduler.reconcileCase(c.caseId);
    const id = `${reminderKey('triage_due', c.caseId, 'case', { kind: 'coordinators' })}|20260305T1000Z`;
    const row = await eventually(async () => {
      const r = (await rig.repo.deliveries([id])).get(id);
      return r?.status === 'sent' ? r : undefined;
    });
    // No channel registered: each coordinator is told 1:1.
    const sent = connector.sentTo(convs[COORD]!);
    expect(sent).toHaveLength(1);
    expect(row).toMatchObject({ conversationId: convs[COORD], activityId: sent[0]!.id, attempts: 1, sentAt: t.now() });
    expect(textOf(sent[0])).toContain(`Triage due: ${c.reference}`);
    expect(parseAdaptiveCard(cardOf(sent[0])).errors).toEqual([]);
    // The next working day's reminder is queued; the delivered one is not.
    await eventually(async () => (await rig.scheduler.reminderIdsOf(c.caseId)).some((j) => j.endsWith('20260306T1000Z')));
    expect((await rig.scheduler.reminderIdsOf(c.caseId)).filter((j) => j.startsWith('triage_due'))).toEqual([`${reminderKey('triage_due', c.caseId, 'case', { kind: 'coordinators' })}|20260306T1000Z`]);
    await drained();
    // Reconciling again, or redelivering the same job, sends nothing more.
    await rig.scheduler.reconcileCase(c.caseId);
    expect(await rig.delivery!.deliver(id)).toMatchObject({ kind: 'done', sent: [] });
    expect(connector.sent()).toHaveLength(1);
  });

  it('does not send a reminder whose case moved on between scheduling and firing', async () => {
    t.set('2026-03-02T10:00:00Z');
    const c = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z' });
    await rig.scheduler.reconcileCase(c.caseId);
    const id = (await rig.scheduler.reminderIdsOf(c.caseId)).find((j) => j.startsWith('triage_due'))!;
    // Triaged without the scheduler hearing of it (a lost notification).
    await fx.setCase(c.caseId, { stage: 'assigning' });
    t.set('2026-03-05T10:00:00Z');
    await (await rig.queue.getJob(toJobId(id)))!.promote();
    const row = await eventually(async () => (await rig.repo.deliveries([id])).get(id));
    expect(row).toMatchObject({ status: 'dropped', error: 'no longer applies' });
    await drained();
    expect(connector.requests()).toEqual([]);
    expect(await rig.queue.getJob(toJobId(id))).toBeUndefined();
    expect(await rig.scheduler.reminderIdsOf(c.caseId)).not.toContain(id);
  });

  it('waits out a 429 with Retry-After: 2 through the queue, then delivers exactly once', async () => {
    t.set('2026-03-02T10:00:00Z');
    const c = await preparedCase('2026-03-02T10:00:00Z');
    await rig.scheduler.reconcileCase(c.caseId);
    const id = (await rig.scheduler.reminderIdsOf(c.caseId)).find((j) => j.startsWith('first_contact_due') && j.includes(c.offenderId) && j.includes(F1))!;
    connector.failNext({ match: { conversationId: convs[F1]! }, status: 429, retryAfterSeconds: 2 });
    t.set('2026-03-12T10:00:00Z');
    await (await rig.queue.getJob(toJobId(id)))!.promote();
    // Handed back to the queue with Retry-After's delay; the attempt is counted in the ledger.
    const job = await eventually(async () => {
      const state = await rig.queue.getJobState(toJobId(id));
      if (state !== 'delayed' || !(await rig.repo.deliveries([id])).get(id)?.error) return undefined;
      // Read after the state: a job read before the worker moved it still carries promote()'s delay of 0.
      return rig.queue.getJob(toJobId(id));
    });
    expect(job.delay).toBeGreaterThanOrEqual(2000);
    expect((await rig.repo.deliveries([id])).get(id)).toMatchObject({ status: 'sending', attempts: 1, error: expect.stringContaining('429') });
    expect(connector.sentTo(convs[F1]!)).toHaveLength(0);
    // Time is ours to move: the retry runs now rather than in two seconds.
    await job.promote();
    await eventually(async () => (await rig.repo.deliveries([id])).get(id)?.status === 'sent');
    await drained();
    const attempts = connector.requests().filter((r) => r.conversationId === convs[F1]);
    expect(attempts.map((r) => r.status)).toEqual([429, 201]);
    // Promoting the job does not jump the queue past Teams: the sender still honours Retry-After.
    expect(attempts[1]!.time.getTime() - attempts[0]!.time.getTime()).toBeGreaterThanOrEqual(1990);
    expect(connector.sentTo(convs[F1]!)).toHaveLength(1);
    expect((await rig.repo.deliveries([id])).get(id)).toMatchObject({ attempts: 2 });
  });

  it('records a 403 as failed, tells the coordinators (through the sender), and does not retry', async () => {
    t.set('2026-03-02T10:00:00Z');
    const c = await preparedCase('2026-03-02T10:00:00Z');
    await rig.scheduler.reconcileCase(c.caseId);
    const id = (await rig.scheduler.reminderIdsOf(c.caseId)).find((j) => j.startsWith('first_contact_due') && j.includes(c.harmedPersonId) && j.includes(F2))!;
    connector.failNext({ match: { conversationId: convs[F2]! }, status: 403, times: 5 });
    permanent.length = 0;
    t.set('2026-03-12T10:00:00Z');
    await (await rig.queue.getJob(toJobId(id)))!.promote();
    const row = await eventually(async () => {
      const r = (await rig.repo.deliveries([id])).get(id);
      return r?.status === 'failed' ? r : undefined;
    });
    expect(row.error).toContain('403');
    await drained();
    expect(permanent).toEqual([expect.objectContaining({ kind: 'unreachable', aadObjectId: F2, status: 403 })]);
    expect(connector.requests().filter((r) => r.conversationId === convs[F2])).toHaveLength(1);
    expect(await rig.queue.getJob(toJobId(id))).toBeUndefined();
    // A failed reminder is dealt with: reconciling does not queue it again.
    await rig.scheduler.reconcileCase(c.caseId);
    expect(await rig.scheduler.reminderIdsOf(c.caseId)).not.toContain(id);
  });

  it('sends three reminders for the coordinators due in the same minute as one digest card in the channel', async () => {
    channel.id = CHANNEL;
    t.set('2026-04-06T08:00:00Z');
    const cases = [];
    for (let i = 0; i < 3; i += 1) cases.push(await fx.createCase({ createdAt: '2026-04-01T08:00:00Z' }));
    for (const c of cases) await rig.scheduler.reconcileCase(c.caseId);
    const ids = await Promise.all(cases.map(async (c) => (await rig.scheduler.reminderIdsOf(c.caseId)).find((j) => j.startsWith('triage_due'))!));
    // Wednesday 1 April 09:00 (BST) + 3 working days, Good Friday and Easter Monday not counting = Wednesday 8 April 09:00.
    expect(ids.every((id) => id.endsWith('20260408T0800Z'))).toBe(true);
    t.set('2026-04-08T08:00:00Z');
    await Promise.all(ids.map(async (id) => (await rig.queue.getJob(toJobId(id)))!.promote()));
    await eventually(async () => [...(await rig.repo.deliveries(ids)).values()].filter((r) => r.status === 'sent').length === 3);
    await drained();
    const sent = connector.sentTo(CHANNEL);
    expect(sent).toHaveLength(1);
    expect(connector.sent()).toHaveLength(1);
    const text = textOf(sent[0]);
    expect(text).toContain('3 things due today');
    for (const c of cases) expect(text).toContain(c.reference);
    expect(text).not.toContain(PARTICIPANT_NAME_MARK);
    expect(parseAdaptiveCard(cardOf(sent[0])).errors).toEqual([]);
    const rows = [...(await rig.repo.deliveries(ids)).values()];
    expect(new Set(rows.map((r) => r.activityId))).toEqual(new Set([sent[0]!.id]));
  });

  it('a coordinators\' reminder about one case is a reply in that case\'s thread of the channel', async () => {
    channel.id = CHANNEL;
    t.set('2026-04-13T08:00:00Z');
    const c = await fx.createCase({ createdAt: '2026-04-13T08:00:00Z' });
    const thread = `${CHANNEL};messageid=1776000000001`;
    await storeChannelRef(new ConversationRefRepository(pool), connector.url, thread);
    threads.set(c.caseId, thread);
    await rig.scheduler.reconcileCase(c.caseId);
    const id = (await rig.scheduler.reminderIdsOf(c.caseId)).find((j) => j.startsWith('triage_due'))!;
    t.set('2026-04-16T08:00:00Z');
    await (await rig.queue.getJob(toJobId(id)))!.promote();
    const sent = await connector.waitForSent((a) => textOf(a).includes(c.reference));
    expect(sent.conversationId).toBe(thread);
    await eventually(async () => (await rig.repo.deliveries([id])).get(id)?.status === 'sent');
    await drained();
  });

  it('reminds a referrer on the sentencing date with a button to refer again', async () => {
    t.set('2026-06-15T08:00:00Z');
    const s = await fx.screening({ sentencingDate: '2026-06-13', referrer: REFERRER });
    await rig.scheduler.reconcileScreening(s);
    const sent = await connector.waitForSent((a) => a.conversationId === convs[REFERRER]);
    const card = cardOf(sent);
    expect(card.actions?.map((a) => a.verb)).toEqual(['referral.start']);
    expect(textOf(sent)).toContain('Saturday 13 June 2026');
    await eventually(async () => (await rig.scheduler.reminderIdsOf(s)).length === 0);
    const [row] = (await pool.query<{ status: string; screening_id: string }>('SELECT status, screening_id FROM reminder_deliveries WHERE screening_id = $1', [s])).rows;
    expect(row).toEqual({ status: 'sent', screening_id: s });
    await rig.scheduler.reconcileScreening(s);
    expect(await rig.scheduler.reminderIdsOf(s)).toEqual([]);
  });

  it('gives up on a reminder Teams keeps failing: recorded as failed, and the coordinators are told what to follow up', async () => {
    t.set('2026-03-02T10:00:00Z');
    const c = await preparedCase('2026-03-02T10:00:00Z');
    t.set('2026-03-12T10:00:00Z');
    const view = (await rig.repo.caseView(c.caseId))!;
    const due = remindersFor(view, rig.policy, rig.calendar, t.clock()).find((r) => r.rule === 'first_contact_due' && r.recipient.kind === 'person' && r.recipient.aadObjectId === F1)!;
    expect(due).toBeDefined();
    // Not through the queue (the rig's worker would deliver it): one delivery with a last attempt that fails.
    const toChannel: MessageContent[] = [];
    const failing: ReminderMessenger = {
      sendToUser: async () => ({ ok: false, permanent: false, kind: 'exhausted', status: 502, reason: '502 ServiceError' }),
      sendToConversation: async (conversationId, content) => {
        toChannel.push(content);
        return { ok: true, conversationId, activityId: 'notice-1' };
      },
    };
    const delivery = new ReminderDelivery({
      repo: rig.repo, scheduler: rig.scheduler, messenger: failing, policy: rig.policy, calendar: rig.calendar, clock: t.clock, log,
      coordinatorIds: async () => [COORD], referralsChannel: async () => CHANNEL, staffTenantId: STAFF_TENANT, leaseMs: 60_000, maxAttempts: 1,
    });
    const outcome = await delivery.deliver(due.id);
    expect(outcome).toMatchObject({ kind: 'done', failed: expect.arrayContaining([due.id]) });
    expect((await rig.repo.deliveries([due.id])).get(due.id)).toMatchObject({ status: 'failed', error: expect.stringContaining('gave up') });
    expect(toChannel).toHaveLength(1);
    const notice = JSON.stringify(toChannel[0]);
    expect(notice).toContain('could not be delivered');
    expect(notice).toContain(c.reference);
    expect(notice).not.toContain(PARTICIPANT_NAME_MARK);
    expect(parseAdaptiveCard(toChannel[0]).errors).toEqual([]);
  });
});
