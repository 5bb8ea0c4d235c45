/**
 * Reconciles owed across a Redis outage (migration 007). This file kills its own Redis, one that keeps
 * its data (an fsync'd append-only file), so what comes back is the schedule from before the outage:
 * only the owed reconcile, not the full resync, can take out the jobs of a case closed meanwhile.
 */
import type { Pool } from 'pg';
import { loadWorkingCalendar } from '../../src/calendarFile';
import { DEFAULT_REMINDER_POLICY } from '../../src/domain/defaultReminderPolicy';
import { createLogger } from '../../src/log';
import { createReminders, type Reminders } from '../../src/reminders';
import { parseJobId } from '../../src/reminders/ids';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { ReconcilePendingRepository } from '../../src/store/reconcilePendingRepository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startDedicatedRedis, type RestartableServer } from '../support/services';
import { aad, caseFixtures, eventually, STAFF_TENANT, testClock } from '../support/reminderFixtures';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const t = testClock('2026-03-03T10:00:00Z');
const PREFIX = '{outage}';

let db: TestDatabase;
let pool: Pool;
let redis: RestartableServer;
let reminders: Reminders | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  db = await createTestDatabase('reminders_outage');
  pool = createPool(db.url);
  await migrate(pool);
  redis = await startDedicatedRedis({ persist: true });
});

afterAll(async () => {
  await reminders?.close();
  await pool?.end();
  await redis?.stop();
  await db?.drop();
  process.off('unhandledRejection', onUnhandled);
});

describe('reconcile_pending', () => {
  it('doubles the wait after each failure up to the cap, and a retry clears only what it claimed', async () => {
    const repo = new ReconcilePendingRepository(pool);
    const id = '00000000-0000-4000-8000-000000000001';
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await repo.record('case', [id], `Connection is closed. (${i})`, { baseMs: 1_000, capMs: 5_000 });
      const { rows } = await pool.query<{ ms: number }>("SELECT extract(epoch FROM next_attempt_at - now()) * 1000 AS ms FROM reconcile_pending WHERE owner_id = $1", [id]);
      waits.push(Math.round(Number(rows[0]!.ms) / 1000));
    }
    expect(waits).toEqual([1, 2, 4, 5]);
    expect(await repo.list()).toEqual([expect.objectContaining({ kind: 'case', ownerId: id, failures: 4, lastError: 'Connection is closed. (3)' })]);

    expect(await repo.claimDue(10, 60_000)).toEqual([]);
    expect(await repo.makeAllDue()).toBe(1);
    const claimed = await repo.claimDue(10, 60_000);
    expect(claimed).toEqual([{ kind: 'case', ownerId: id, failures: 4 }]);
    // Claimed rows are leased: a second worker does not get them too.
    expect(await repo.claimDue(10, 60_000)).toEqual([]);
    // A failure recorded after the claim is newer than the retry: clearing the claim must keep it.
    await repo.record('case', [id], 'again', { baseMs: 1_000, capMs: 5_000 });
    await repo.clear(claimed);
    expect(await repo.list()).toHaveLength(1);
    await repo.clear([{ kind: 'case', ownerId: id, failures: 5 }]);
    expect(await repo.list()).toEqual([]);
  });
});

describe('a Redis outage', () => {
  it('records the cases changed meanwhile and reconciles them when Redis is back, without a crash or an unhandled rejection', async () => {
    const fx = caseFixtures(pool);
    const kept = await fx.createCase({ createdAt: '2026-03-03T09:30:00Z' });
    const closed = await fx.createCase({ createdAt: '2026-03-03T09:40:00Z' });
    const unreachable = { ok: false as const, permanent: true, kind: 'unreachable', status: 403, reason: 'stub' };
    const messenger = { sendToUser: jest.fn(async () => unreachable), sendToConversation: jest.fn(async () => unreachable) };
    reminders = createReminders(
      { redisUrl: redis.url, databaseUrl: db.url, keyPrefix: PREFIX, staffTenantId: STAFF_TENANT, runWorker: true, retryBaseMs: 200, retryMaxMs: 800, redisReconnectMaxMs: 100 },
      { pool, log, clock: t.clock, calendar: await loadWorkingCalendar(''), policy: DEFAULT_REMINDER_POLICY, messenger, coordinatorIds: async () => [], referralsChannel: async () => undefined },
    );
    await reminders.start();
    const scheduler = reminders.scheduler!;
    const keptJobs = await scheduler.reminderIdsOf(kept.caseId);
    expect(keptJobs.length).toBeGreaterThan(0);
    expect((await scheduler.reminderIdsOf(closed.caseId)).length).toBeGreaterThan(0);

    await redis.kill('SIGKILL');
    await fx.setCase(closed.caseId, { stage: 'closed' });
    await fx.event(closed.caseId, 'stage_changed', { from: 'referred', to: 'closed' }, t.now(), aad(3));
    const pending = new ReconcilePendingRepository(pool);
    await eventually(async () => (await pending.list()).some((p) => p.kind === 'case' && p.ownerId === closed.caseId), 10_000, 50);
    // Nothing is tried while Redis is known to be down: the row waits, its failure count unchanged.
    await new Promise((r) => setTimeout(r, 600));
    expect((await pending.list()).find((p) => p.ownerId === closed.caseId)?.failures).toBe(1);

    await redis.start();
    await eventually(async () => (await pending.list()).length === 0, 15_000, 50);
    expect(await scheduler.reminderIdsOf(closed.caseId)).toEqual([]);
    const owners = (await reminders.queue!.getJobs(['delayed', 'waiting'])).map((j) => parseJobId(j.id ?? '')?.ownerId);
    expect(owners).toContain(kept.caseId);
    expect(owners).not.toContain(closed.caseId);
    expect(await scheduler.reminderIdsOf(kept.caseId)).toEqual(keptJobs);

    // The BullMQ worker came through the outage: a reminder that falls due (promoted, as BullMQ's
    // delays run on the wall clock) is taken and decided.
    t.set('2026-03-10T10:00:00Z');
    const due = (await reminders.queue!.getJobs(['delayed'])).filter((j) => parseJobId(j.id ?? '')?.ownerId === kept.caseId);
    expect(due.length).toBeGreaterThan(0);
    await Promise.all(due.map((j) => j.promote()));
    await eventually(async () => {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM reminder_deliveries WHERE case_id = $1', [kept.caseId]);
      return rows[0]!.n > 0;
    }, 15_000, 50);
    expect(unhandled).toEqual([]);
  }, 60_000);
});
