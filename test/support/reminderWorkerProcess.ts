/**
 * A reminder worker in a process of its own, for the test that SIGKILLs it mid-batch. Configured by
 * the environment: DATABASE_URL, REDIS_URL, PREFIX, CLOCK (the fixed business time, ISO), LOCK_MS,
 * LEASE_MS, and PAUSE_AFTER: after that many sends have gone out, every further send blocks before
 * its request leaves (with its delivery already claimed), so the parent can kill the process at a
 * moment where the ledger, the queue and the connector are known. Prints READY, then PAUSED.
 * SIGTERM closes the worker (the jobs in hand finish) and exits 0.
 */
import type { AdaptiveCard } from '../../cards/adaptive';
import { createLogger } from '../../src/log';
import type { ReminderMessenger } from '../../src/reminders/delivery';
import { ConversationRefRepository } from '../../src/store/conversationRefRepository';
import { createPool } from '../../src/store/db';
import { createProactiveAdapter } from '../../src/teams/proactiveAdapter';
import { ProactiveSender } from '../../src/teams/proactiveSender';
import { reminderRig, STAFF_TENANT } from './reminderFixtures';

async function main(): Promise<void> {
  const env = (name: string): string => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is required`);
    return v;
  };
  const log = createLogger(process.env.TEST_LOG ?? 'silent');
  const pool = createPool(env('DATABASE_URL'));
  const clockAt = new Date(env('CLOCK'));
  const rig = await reminderRig({ pool, redisUrl: env('REDIS_URL'), prefix: env('PREFIX'), clock: () => new Date(clockAt), log });
  const refs = new ConversationRefRepository(pool);
  const sender = new ProactiveSender({ adapter: createProactiveAdapter({ MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' }, log), botAppId: '', refs, log });
  const pauseAfter = Number(process.env.PAUSE_AFTER ?? Infinity);
  const started = { n: 0, paused: false };
  const gate = async (): Promise<void> => {
    started.n += 1;
    if (started.n <= pauseAfter) return;
    if (!started.paused) {
      started.paused = true;
      process.stdout.write('PAUSED\n');
    }
    await new Promise<never>(() => undefined);
  };
  const messenger: ReminderMessenger = {
    async sendToUser(tenantId: string, aadObjectId: string, content: AdaptiveCard) {
      await gate();
      return sender.sendToUser(tenantId || STAFF_TENANT, aadObjectId, content);
    },
    async sendToConversation(conversationId: string, content: AdaptiveCard) {
      await gate();
      return sender.sendToConversation(conversationId, content);
    },
  };
  const lockMs = Number(process.env.LOCK_MS ?? 2000);
  await rig.startWorker(messenger, { concurrency: 8, lockDurationMs: lockMs, stalledIntervalMs: Math.max(200, Math.floor(lockMs / 2)), leaseMs: Number(process.env.LEASE_MS ?? 1500) });
  process.once('SIGTERM', () => {
    void rig.close().then(async () => {
      await pool.end();
      process.exit(0);
    });
  });
  process.stdout.write('READY\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`reminder worker process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
