import { DelayedError, Worker, type Job, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log';
import type { DeliveryOutcome, ReminderDelivery } from './delivery';
import { REMINDERS_QUEUE } from './redis';
import type { ReminderJobData, ReminderScheduler } from './scheduler';
import { MONTHLY_REPORT_JOB } from './monthlyReport';
import { RETENTION_JOB } from './retention';

/** The name of the daily safety-net job (a BullMQ Job Scheduler); every other job is a reminder. */
export const RECONCILE_JOB = 'maintenance.reconcile';

export interface ReminderWorkerOptions {
  connection: Redis;
  prefix: string;
  /** Jobs in flight; sends are throttled by the sender's rate limiter anyway. Default 10. */
  concurrency?: number;
  /** BullMQ's lock on an active job; a job whose worker died is retried after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Stalls before BullMQ gives a job up; generous, since the delivery ledger makes a rerun harmless. */
  maxStalledCount?: number;
  /** Backoff without Retry-After: full jitter under min(cap, base * 2^(attempt-1)). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  random?: () => number;
  autorun?: boolean;
  /** While this says Redis is known to be down, the worker's connection errors are logged at debug only. */
  quietWhile?: () => boolean;
  /** BullMQOtel when tracing is on: each job's processing span joins the trace that added the job. */
  telemetry?: Telemetry;
  /** Runs the monthly report job (MONTHLY_REPORT_JOB), when the monthly report is on. */
  monthlyReport?: () => Promise<unknown>;
  /** Runs the daily retention pass (RETENTION_JOB), when retention is on. */
  retention?: () => Promise<unknown>;
}

/** The wait before retry `attempt` + 1: Teams' Retry-After when it gave one, else exponential with full jitter. */
export function reminderBackoff(attempt: number, retryAfterMs: number | undefined, o: { baseMs: number; capMs: number; random: () => number }): number {
  if (retryAfterMs !== undefined) return Math.ceil(retryAfterMs * (1 + 0.1 * o.random()));
  const ceiling = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(Math.floor(o.baseMs / 2), Math.floor(ceiling * o.random()));
}

/** Runs of a job that threw (PostgreSQL or Redis trouble, a bug) before BullMQ is let to fail it. */
const MAX_UNEXPECTED_RUNS = 20;

/**
 * The BullMQ worker of the `reminders` queue. `close()` (what SIGTERM should call) stops taking jobs
 * and waits for the ones in hand; one killed outright leaves its jobs locked until the lock expires,
 * then BullMQ hands them to another worker and the delivery ledger keeps them from being sent twice.
 *
 * Retries are scheduled here rather than through BullMQ's attempts/backoff options, which would be
 * copied into every pending job: a transient send failure counts against the reminder's attempts in
 * the ledger and waits for Teams' Retry-After (or an exponential backoff) in the delayed set.
 */
export function createReminderWorker(
  delivery: ReminderDelivery,
  scheduler: ReminderScheduler,
  log: Logger,
  o: ReminderWorkerOptions,
): Worker<ReminderJobData> {
  const backoff = { baseMs: o.backoffBaseMs ?? 30_000, capMs: o.backoffCapMs ?? 30 * 60_000, random: o.random ?? Math.random };
  const later = async (job: Job<ReminderJobData>, token: string | undefined, delayMs: number): Promise<never> => {
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  };
  const worker = new Worker<ReminderJobData>(
    REMINDERS_QUEUE,
    async (job: Job<ReminderJobData>, token?: string) => {
      if (job.name === RECONCILE_JOB) {
        await scheduler.reconcileAll();
        return;
      }
      if (job.name === MONTHLY_REPORT_JOB) {
        await o.monthlyReport?.();
        return;
      }
      if (job.name === RETENTION_JOB) {
        await o.retention?.();
        return;
      }
      const id = job.id;
      if (id === undefined) return;
      let outcome: DeliveryOutcome;
      try {
        outcome = await delivery.deliver(id);
      } catch (err) {
        if (job.attemptsStarted >= MAX_UNEXPECTED_RUNS) throw err;
        const delay = reminderBackoff(job.attemptsStarted, undefined, backoff);
        log.warn({ jobId: id, runs: job.attemptsStarted, delayMs: delay, err: err instanceof Error ? err.message : String(err) }, 'reminder job failed unexpectedly; retrying later');
        return later(job, token, delay);
      }
      if (outcome.kind === 'retry') return later(job, token, reminderBackoff(outcome.attempts, outcome.retryAfterMs, backoff));
      // Not a failed attempt: another worker owns the send; look again once its claim runs out.
      if (outcome.kind === 'held') return later(job, token, Math.max(0, outcome.until.getTime() - Date.now()) + 50);
    },
    {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: o.concurrency ?? 10,
      lockDuration: o.lockDurationMs ?? 30_000,
      ...(o.stalledIntervalMs !== undefined ? { stalledInterval: o.stalledIntervalMs } : {}),
      maxStalledCount: o.maxStalledCount ?? 5,
      removeOnComplete: { count: 0 },
      removeOnFail: { age: 7 * 24 * 3600 },
      autorun: o.autorun ?? true,
      ...(o.telemetry ? { telemetry: o.telemetry } : {}),
    },
  );
  worker.on('failed', (job, err) => {
    log.warn({ jobId: job?.id ?? null, err: err.name }, 'reminder job failed');
  });
  worker.on('error', (err) => (o.quietWhile?.() ? log.debug({ err: err.message }, 'reminder worker error') : log.error({ err: err.message }, 'reminder worker error')));
  return worker;
}
