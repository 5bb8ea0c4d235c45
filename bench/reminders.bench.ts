/**
 * `npm run bench:reminders`: the reminder scheduler and worker on local PostgreSQL and Redis (started
 * for the run, or TEST_PG_ADMIN_URL / TEST_REDIS_URL), in one run:
 *
 * 1. Reconcile BENCH_CASES open cases (default 10,000; about 5 reminders each) from an empty Redis,
 *    against a baseline of plain `queue.addBulk` of the very same jobs (same ids, delays and options,
 *    same batch size) into an empty queue. Aim: within 3x.
 * 2. Redis memory per pending reminder (INFO memory before and after), with and without the per-case
 *    and per-digest index sets. Aim: under 1 KB.
 * 3. Finding one case's jobs: the per-case set against a SCAN of the keyspace for its job ids.
 * 4. Delivery of BENCH_DELIVERIES reminders (default 2,000) due at once, each to a different
 *    facilitator of one tenant, through the real ProactiveSender (Teams limits enforced: 45 per second
 *    per tenant) to the connector emulator: throughput, and lateness (due → received by the
 *    connector) against the schedule the rate limits alone impose. Aim: p99 under 2 s beyond it.
 */
import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { remindersFor } from '../src/domain/reminderPolicy';
import { createLogger } from '../src/log';
import { reminderQueueOptions, REMINDERS_QUEUE } from '../src/reminders/redis';
import { toJobId } from '../src/reminders/ids';
import { REMINDER_JOB_NAME, REMINDER_JOB_OPTIONS, type ReminderJobData } from '../src/reminders/scheduler';
import { ConversationRefRepository } from '../src/store/conversationRefRepository';
import { createPool } from '../src/store/db';
import { migrate } from '../src/store/migrate';
import { createProactiveAdapter } from '../src/teams/proactiveAdapter';
import { ProactiveSender } from '../src/teams/proactiveSender';
import { RateLimiter } from '../src/teams/rateLimiter';
import { startConnector, type ConnectorEmulator } from '../test/support/connector';
import { createTestDatabase, type TestDatabase } from '../test/support/db';
import { bulkCases, reminderRig, STAFF_TENANT } from '../test/support/reminderFixtures';
import { startServices, type RunningServices } from '../test/support/services';

const CASES = intEnv('BENCH_CASES', 10_000);
const DELIVERIES = intEnv('BENCH_DELIVERIES', 2_000);
const BATCH = 500;
const OFFERED = '2026-03-02T10:00:00Z';
/** Two working days after OFFERED: the "please answer the offer" reminders are due. */
const DUE = '2026-03-04T10:00:00Z';
const AIM_RATIO = 3;
const AIM_BYTES = 1024;
const AIM_EXCESS_P99_MS = 2000;

function intEnv(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

const log = createLogger(process.env.BENCH_LOG ?? 'silent');
const fixed = (iso: string) => () => new Date(iso);

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (n: number) => `${n.toFixed(0)} ms`;

async function benchReconcile(pool: Pool, redisUrl: string, admin: Redis, ownRedis: boolean): Promise<void> {
  console.log(`\n== Reconcile ${CASES} open cases from empty Redis ==`);
  const t0 = Date.now();
  const { caseIds } = await bulkCases(pool, { n: CASES, year: 2031, at: OFFERED, serviceUrl: 'http://127.0.0.1:9/', shape: 'two_offers', facilitators: 500 });
  await pool.query('ANALYZE');
  console.log(`fixture: ${caseIds.length} cases written in ${ms(Date.now() - t0)}`);

  const prefix = '{rjbench}';
  const rig = await reminderRig({ pool, redisUrl, prefix, clock: fixed(OFFERED), log });
  // The baseline's jobs: what reconcile will add, computed up front (reading and policy not timed).
  const jobs: { name: string; data: ReminderJobData; opts: JobsOptions }[] = [];
  const now = new Date(OFFERED).getTime();
  let readMs = 0;
  let policyMs = 0;
  for await (const ids of rig.repo.openCaseIdBatches(BATCH)) {
    const q0 = performance.now();
    const views = await rig.repo.caseViews(ids);
    readMs += performance.now() - q0;
    for (const view of views.values()) {
      const p0 = performance.now();
      const reminders = remindersFor(view, rig.policy, rig.calendar, new Date(OFFERED));
      policyMs += performance.now() - p0;
      for (const r of reminders) {
        jobs.push({ name: REMINDER_JOB_NAME, data: {}, opts: { ...REMINDER_JOB_OPTIONS, jobId: toJobId(r.id), delay: Math.max(0, r.dueAt.getTime() - now) } });
      }
    }
  }
  const perCase = jobs.length / caseIds.length;
  console.log(`reminders: ${jobs.length} (${perCase.toFixed(1)} per case); reading the views ${ms(readMs)}, the policy ${ms(policyMs)}`);

  const base = new Queue<ReminderJobData>(REMINDERS_QUEUE, reminderQueueOptions(admin, '{rjbase}'));
  await base.waitUntilReady();
  const memBase0 = await usedMemory(admin);
  const b0 = performance.now();
  const perBatch = Math.round(BATCH * perCase);
  for (let i = 0; i < jobs.length; i += perBatch) await base.addBulk(jobs.slice(i, i + perBatch));
  const baselineMs = performance.now() - b0;
  const memBase1 = await usedMemory(admin);
  await base.close();
  await deleteKeys(admin, '{rjbase}*');

  await deleteKeys(admin, `${prefix}*`);
  const mem0 = await usedMemory(admin);
  const r0 = performance.now();
  const stats = await rig.scheduler.reconcileAll({ batchSize: BATCH });
  const reconcileMs = performance.now() - r0;
  const mem1 = await usedMemory(admin);
  const w0 = performance.now();
  await rig.scheduler.reconcileAll({ batchSize: BATCH });
  const warmMs = performance.now() - w0;

  if (stats.wanted !== jobs.length) throw new Error(`reconcile queued ${stats.wanted} reminders, expected ${jobs.length}`);
  const ratio = reconcileMs / baselineMs;
  console.log(`plain addBulk baseline     ${ms(baselineMs)}  (${Math.round(jobs.length / (baselineMs / 1000))} jobs/s)`);
  console.log(`reconcileAll, empty Redis  ${ms(reconcileMs)}  (${Math.round(jobs.length / (reconcileMs / 1000))} jobs/s; PostgreSQL read + policy + index sets + addBulk)`);
  console.log(`reconcileAll, all present  ${ms(warmMs)}`);
  console.log(`ratio reconcile / addBulk  ${ratio.toFixed(2)}x   (aim ≤ ${AIM_RATIO}x: ${ratio <= AIM_RATIO ? 'met' : 'NOT met'})`);

  console.log('\n== Redis memory per pending reminder (INFO memory) ==');
  const perJob = (mem1 - mem0) / jobs.length;
  const perJobBase = (memBase1 - memBase0) / jobs.length;
  console.log(`BullMQ job alone (addBulk)    ${perJobBase.toFixed(0)} B`);
  console.log(`job + per-case + digest sets  ${perJob.toFixed(0)} B   (aim < ${AIM_BYTES} B: ${perJob < AIM_BYTES ? 'met' : 'NOT met'})`);
  if (ownRedis) {
    // A job's options hold its id, which pushes the job hash past Redis' default 64-byte listpack
    // value limit into a hashtable; the README recommends raising it. Only on the bench's own server.
    const previous = (await admin.config('GET', 'hash-max-listpack-value')) as string[];
    await admin.config('SET', 'hash-max-listpack-value', '128');
    await deleteKeys(admin, `${prefix}*`);
    const m0 = await usedMemory(admin);
    await rig.scheduler.reconcileAll({ batchSize: BATCH });
    const tuned = ((await usedMemory(admin)) - m0) / jobs.length;
    console.log(`  with hash-max-listpack-value 128 (README)  ${tuned.toFixed(0)} B   (aim < ${AIM_BYTES} B: ${tuned < AIM_BYTES ? 'met' : 'NOT met'})`);
    await admin.config('SET', 'hash-max-listpack-value', previous[1] ?? '64');
  }

  console.log("\n== Finding one case's jobs ==");
  const probe = caseIds[Math.floor(caseIds.length / 2)]!;
  const s0 = performance.now();
  const viaSet = await rig.scheduler.reminderIdsOf(probe);
  const packedOwner = toJobId(viaSet[0]!).split('.')[1]!;
  const setMs = performance.now() - s0;
  const c0 = performance.now();
  let cursor = '0';
  const viaScan: string[] = [];
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:${REMINDERS_QUEUE}:?.${packedOwner}.*`, 'COUNT', 1000);
    cursor = next;
    viaScan.push(...keys);
  } while (cursor !== '0');
  const scanMs = performance.now() - c0;
  const dbsize = await admin.dbsize();
  console.log(`per-case set (SMEMBERS)  ${setMs.toFixed(2)} ms  → ${viaSet.length} jobs`);
  console.log(`SCAN of ${dbsize} keys     ${scanMs.toFixed(2)} ms  → ${viaScan.length} jobs  (${(scanMs / Math.max(setMs, 0.01)).toFixed(0)}x slower, and it grows with the keyspace)`);
  await rig.close();
  await deleteKeys(admin, `${prefix}*`);
}

async function benchDelivery(pool: Pool, redisUrl: string, admin: Redis, connector: ConnectorEmulator): Promise<void> {
  console.log(`\n== Delivery of ${DELIVERIES} reminders due at once, Teams limits enforced ==`);
  const { caseIds, conversationIds } = await bulkCases(pool, { n: DELIVERIES, year: 2032, at: OFFERED, serviceUrl: connector.url, shape: 'one_offer', facilitators: DELIVERIES });
  const prefix = '{rjdeliver}';
  const rig = await reminderRig({ pool, redisUrl, prefix, clock: fixed(DUE), log });
  for (let i = 0; i < caseIds.length; i += BATCH) await rig.scheduler.reconcileCases(caseIds.slice(i, i + BATCH));
  const waiting = (await rig.queue.getJobCounts('wait')).wait;
  if (waiting !== DELIVERIES) throw new Error(`expected ${DELIVERIES} due jobs, found ${waiting}`);
  const targets = new Set(conversationIds);

  const sender = new ProactiveSender({ adapter: createProactiveAdapter({ MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' }, log), botAppId: '', refs: new ConversationRefRepository(pool), log });
  connector.clear();
  // Due from the moment a worker could take them: lateness is measured from here.
  const t0 = Date.now();
  await rig.startWorker(sender, { concurrency: 16 });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (connector.sent().filter((a) => targets.has(a.conversationId)).length >= DELIVERIES) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - t0 > 10 * 60_000) {
        clearInterval(timer);
        reject(new Error('delivery did not finish within 10 minutes'));
      }
    }, 50);
  });
  const received = connector
    .requests()
    .filter((r) => r.status < 300 && r.conversationId !== undefined && targets.has(r.conversationId))
    .map((r) => r.time.getTime() - t0)
    .sort((a, b) => a - b);
  const perTarget = new Map<string, number>();
  for (const a of connector.sent()) perTarget.set(a.conversationId, (perTarget.get(a.conversationId) ?? 0) + 1);
  const duplicates = [...perTarget.values()].filter((n) => n > 1).length;

  // The schedule the rate limits alone allow: the same limiter, on a clock that never moves.
  const limiter = new RateLimiter({ now: () => 0, sleep: async () => undefined });
  const imposed: number[] = [];
  for (const id of conversationIds) imposed.push(await limiter.acquire({ conversationId: id, tenantId: STAFF_TENANT }));
  imposed.sort((a, b) => a - b);
  const excess = received.map((r, i) => r - (imposed[i] ?? 0)).sort((a, b) => a - b);
  const span = received[received.length - 1]! / 1000;

  console.log(`delivered ${received.length} in ${span.toFixed(1)} s: ${(received.length / span).toFixed(1)} per second (the limits allow ${(imposed.length / Math.max(imposed[imposed.length - 1]! / 1000, 0.001)).toFixed(1)}), duplicates: ${duplicates}`);
  console.log(`lateness (due → at the connector)     p50 ${ms(percentile(received, 50))}  p99 ${ms(percentile(received, 99))}  max ${ms(received[received.length - 1]!)}`);
  console.log(`imposed by the Teams limits alone     p50 ${ms(percentile(imposed, 50))}  p99 ${ms(percentile(imposed, 99))}  max ${ms(imposed[imposed.length - 1]!)}`);
  const p99 = percentile(excess, 99);
  console.log(`beyond the limits (i-th vs i-th slot) p50 ${ms(percentile(excess, 50))}  p99 ${ms(p99)}   (aim p99 < ${AIM_EXCESS_P99_MS} ms: ${p99 < AIM_EXCESS_P99_MS ? 'met' : 'NOT met'})`);
  await rig.close();
  await deleteKeys(admin, `${prefix}*`);
}

async function main(): Promise<void> {
  let services: RunningServices | undefined;
  let db: TestDatabase | undefined;
  let pool: Pool | undefined;
  let connector: ConnectorEmulator | undefined;
  let admin: Redis | undefined;
  try {
    services = await startServices({ pgAdminUrl: process.env.TEST_PG_ADMIN_URL, redisUrl: process.env.TEST_REDIS_URL });
    process.env.TEST_PG_ADMIN_URL = services.pgAdminUrl;
    db = await createTestDatabase('reminders_bench');
    pool = createPool(db.url, { max: 20, statementTimeoutMs: 120_000 });
    await migrate(pool);
    admin = new Redis(services.redisUrl);
    connector = await startConnector();
    console.log(`Reminders benchmark: node ${process.version}, PostgreSQL and Redis on loopback`);
    await benchReconcile(pool, services.redisUrl, admin, !process.env.TEST_REDIS_URL);
    await benchDelivery(pool, services.redisUrl, admin, connector);
  } finally {
    admin?.disconnect();
    await connector?.close();
    await pool?.end();
    await db?.drop();
    await services?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  },
);
