import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { createLogger } from '../../src/log';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { bulkCases, eventually, reminderRig, testClock, type ReminderRig } from '../support/reminderFixtures';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const SCRIPT = join(__dirname, '..', 'support', 'reminderWorkerProcess.ts');
const OFFERED = '2026-03-02T10:00:00Z';
/** Two working days after the offers: every "please answer" reminder is due now. */
const DUE = '2026-03-04T10:00:00Z';
const N = 200;

let db: TestDatabase;
let pool: Pool;
let space: TestRedisSpace;
let connector: ConnectorEmulator;
let rig: ReminderRig;
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('reminders_crash');
  pool = createPool(db.url);
  await migrate(pool);
  space = testRedisSpace();
  connector = await startConnector();
  rig = await reminderRig({ pool, redisUrl: space.url, prefix: space.prefix, clock: testClock(DUE).clock, log });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rig?.close();
  await connector?.close();
  await space?.flushPrefix();
  await pool?.end();
  await db?.drop();
});

function startWorker(env: Record<string, string>): { child: ChildProcess; saw: (line: string) => Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', SCRIPT], {
    env: { ...process.env, DATABASE_URL: db.url, REDIS_URL: space.url, PREFIX: space.prefix, CLOCK: DUE, LOCK_MS: '1500', LEASE_MS: '1000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { text: '', err: '' };
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (b: Buffer) => {
    out.text += b.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out.err += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const saw = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not print ${line}; stderr: ${out.err.slice(-2000)}`)), 20_000);
      const check = () => {
        if (out.text.includes(`${line}\n`)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
      void exited.then(() => reject(new Error(`worker exited before ${line}; stderr: ${out.err.slice(-2000)}`)));
    });
  return { child, saw, exited };
}

async function sentRows(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM reminder_deliveries WHERE status = 'sent'`);
  return rows[0]!.n;
}

describe('a reminder worker killed mid-batch', () => {
  it('delivers every one of 200 due reminders exactly once after SIGKILL and a restart', async () => {
    const { conversationIds, caseIds } = await bulkCases(pool, { n: N, year: 2026, at: OFFERED, serviceUrl: connector.url, shape: 'one_offer', facilitators: N });
    await rig.scheduler.reconcileCases(caseIds);
    expect(await rig.queue.getJobCounts('wait')).toEqual({ wait: N });

    // First worker: 60 sends go out, then it is frozen with its next deliveries claimed but unsent.
    const first = startWorker({ PAUSE_AFTER: '60' });
    await first.saw('READY');
    await first.saw('PAUSED');
    await eventually(async () => connector.sent().length === 60 && (await sentRows()) === 60, 10_000);
    const claimedUnsent = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM reminder_deliveries WHERE status = 'sending'`)).rows[0]!.n;
    expect(claimedUnsent).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await first.exited;

    // Second worker: picks up the stalled jobs once their locks expire, and everything still waiting.
    const second = startWorker({});
    await second.saw('READY');
    await eventually(async () => (await sentRows()) === N, 30_000, 50);
    await eventually(async () => {
      const c = await rig.queue.getJobCounts('active', 'wait');
      return c.active === 0 && c.wait === 0;
    }, 10_000);

    const perConversation = new Map<string, number>();
    for (const a of connector.sent()) perConversation.set(a.conversationId, (perConversation.get(a.conversationId) ?? 0) + 1);
    expect(conversationIds.filter((id) => perConversation.get(id) !== 1)).toEqual([]);
    expect(connector.sent()).toHaveLength(N);

    // SIGTERM: the worker finishes what it holds and exits cleanly.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
