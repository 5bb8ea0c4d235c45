import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Clock } from '../shared/clock';
import type { ReminderPolicy } from '../domain/reminderPolicy';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Tracing } from '../traceContext';
import { ReconcilePendingRepository } from '../store/reconcilePendingRepository';
import { ReminderRepository } from '../store/reminderRepository';
import { ReminderDelivery, type ReminderMessenger } from './delivery';
import { CaseChangeListener } from './listener';
import { ReconcileRecovery } from './recovery';
import { checkRedisForQueues, producerConnection, reconnectForever, reminderQueueOptions, REMINDERS_QUEUE, ReminderKeys, workerConnection } from './redis';
import { ReminderActions } from './reminderActions';
import { ReminderScheduler, type ReminderJobData } from './scheduler';
import { MONTHLY_REPORT_JOB, MONTHLY_REPORT_SCHEDULER, MonthlyReportJob } from './monthlyReport';
import { MONTHLY_REPORT_CRON } from '../domain/monthlyReport';
import { RETENTION_CRON } from '../domain/retention';
import { RETENTION_JOB, RETENTION_SCHEDULER } from './retention';
import { createReminderWorker, RECONCILE_JOB } from './worker';

export { ReminderActions, type ReminderActionResult } from './reminderActions';
export { ReminderScheduler, type ReconcileStats } from './scheduler';
export { ReminderDelivery, type ReminderMessenger } from './delivery';
export { CaseChangeListener } from './listener';
export { ReconcileRecovery } from './recovery';
export { DEFAULT_KEY_PREFIX, REMINDERS_QUEUE } from './redis';
export { loadReminderPolicy } from './policyFile';

export const DAILY_RECONCILE_SCHEDULER = 'reminders.daily-reconcile';

export interface RemindersConfig {
  redisUrl: string;
  /** For the LISTEN connection that hears about case changes. */
  databaseUrl: string;
  /** REDIS_KEY_PREFIX; keep a {hash tag} in it for Redis Cluster. */
  keyPrefix: string;
  staffTenantId: string;
  /**
   * False in a WEB_ONLY process: it then only serves the card actions (a snooze reaches the worker
   * process through the case event's notification) and opens no Redis connection.
   */
  runWorker: boolean;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** See DeliveryDeps.leaseMs; default 5 minutes. */
  leaseMs?: number;
  /** Cron and zone of the safety-net reconcile; default 06:00 Europe/London. */
  dailyReconcile?: { pattern: string; tz: string };
  /** Backoff of reconciles owed after a failure (RECONCILE_RETRY_BASE_MS/_MAX_MS); default 5 s doubling to 5 min. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Longest wait between Redis reconnect attempts (REDIS_RECONNECT_MAX_MS); default 2 s. */
  redisReconnectMaxMs?: number;
}

export interface RemindersDeps {
  pool: Pool;
  log: Logger;
  clock: Clock;
  calendar: WorkingCalendar;
  policy: ReminderPolicy;
  /** The ProactiveSender. */
  messenger: ReminderMessenger;
  /** RosterRepository.coordinatorIds. */
  coordinatorIds: () => Promise<readonly string[]>;
  /** The registered referrals channel (settings `referrals_channel`), if any. */
  referralsChannel: () => Promise<string | undefined>;
  /** The case's thread in the channel (its channel card's conversation), for coordinators' reminders about one case. */
  caseThread?: (caseId: string) => Promise<string | null>;
  /** Reconcile time, reminder lateness and queue depth (noMetrics when metrics are off). */
  metrics?: Metrics;
  /** When tracing is on: jobs carry their trace, and reconciles after a change join the change's. */
  tracing?: Tracing;
  /** Present: the monthly report card goes to the referrals channel (src/reminders/monthlyReport.ts), its button to dashboardUrl. */
  monthlyReport?: { dashboardUrl?: string };
  /** Present: the daily retention pass (src/app/retention.ts) runs as a job scheduler at RETENTION_CRON, London time. */
  retention?: () => Promise<unknown>;
}

export interface Reminders {
  readonly repo: ReminderRepository;
  readonly actions: ReminderActions;
  /** Absent in a WEB_ONLY process. */
  readonly scheduler?: ReminderScheduler;
  readonly queue?: Queue<ReminderJobData>;
  readonly worker?: Worker<ReminderJobData>;
  readonly listener?: CaseChangeListener;
  readonly recovery?: ReconcileRecovery;
  /** Checks Redis, registers the daily reconcile, listens for changes, reconciles everything, then starts the worker. */
  start(): Promise<void>;
  /** Stops listening, lets the worker finish the jobs in hand (SIGTERM), closes connections. */
  close(): Promise<void>;
}

/** Everything reminders need, wired; `main.ts` calls `start()` after migrations and `close()` on shutdown. */
export function createReminders(config: RemindersConfig, deps: RemindersDeps): Reminders {
  const repo = new ReminderRepository(deps.pool, { now: deps.clock });
  if (!config.runWorker) {
    const actions = new ReminderActions({ repo, calendar: deps.calendar, clock: deps.clock, log: deps.log });
    return { repo, actions, start: async () => undefined, close: async () => undefined };
  }

  const retryStrategy = reconnectForever(config.redisReconnectMaxMs);
  const producer: Redis = producerConnection(config.redisUrl, { retryStrategy });
  const consumer: Redis = workerConnection(config.redisUrl, { retryStrategy });
  // While Redis is away every reconnect attempt fails on every connection: one line when it goes, one when it is back.
  const down = { producer: false, worker: false };
  for (const [name, client] of [['producer', producer], ['worker', consumer]] as const) {
    client.on('error', (err: Error) => {
      if (!down[name]) deps.log.warn({ connection: name, err: err.message }, 'reminders Redis connection lost; reconnecting');
      else deps.log.debug({ connection: name, err: err.message }, 'reminders Redis still unreachable');
      down[name] = true;
    });
    client.on('ready', () => {
      if (down[name]) deps.log.info({ connection: name }, 'reminders Redis connection back');
      down[name] = false;
    });
  }
  const redisDown = () => down.producer || producer.status !== 'ready';
  const queue = new Queue<ReminderJobData>(REMINDERS_QUEUE, {
    ...reminderQueueOptions(producer, config.keyPrefix),
    ...(deps.tracing ? { telemetry: deps.tracing.bullmq } : {}),
  });
  queue.on('error', (err) => (redisDown() ? deps.log.debug({ err: err.message }, 'reminders queue error') : deps.log.warn({ err: err.message }, 'reminders queue error')));
  const scheduler = new ReminderScheduler({
    queue,
    redis: producer,
    keys: new ReminderKeys(config.keyPrefix),
    repo,
    policy: deps.policy,
    calendar: deps.calendar,
    clock: deps.clock,
    log: deps.log,
    metrics: deps.metrics,
  });
  deps.metrics?.addSources({
    queue: async () => {
      const c = await queue.getJobCounts('waiting', 'delayed', 'failed');
      return { waiting: c.waiting ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
    },
  });
  const delivery = new ReminderDelivery({
    repo,
    scheduler,
    messenger: deps.messenger,
    policy: deps.policy,
    calendar: deps.calendar,
    clock: deps.clock,
    log: deps.log,
    coordinatorIds: deps.coordinatorIds,
    referralsChannel: deps.referralsChannel,
    ...(deps.caseThread ? { caseThread: deps.caseThread } : {}),
    staffTenantId: config.staffTenantId,
    leaseMs: config.leaseMs ?? 5 * 60_000,
    metrics: deps.metrics,
  });
  const monthly = deps.monthlyReport
    ? new MonthlyReportJob({ pool: deps.pool, calendar: deps.calendar, clock: deps.clock, log: deps.log, messenger: deps.messenger, referralsChannel: deps.referralsChannel, ...deps.monthlyReport })
    : undefined;
  const worker = createReminderWorker(delivery, scheduler, deps.log, {
    ...(monthly ? { monthlyReport: () => monthly.run() } : {}),
    ...(deps.retention ? { retention: deps.retention } : {}),
    connection: consumer,
    prefix: config.keyPrefix,
    autorun: false,
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    ...(config.lockDurationMs !== undefined ? { lockDurationMs: config.lockDurationMs } : {}),
    ...(config.stalledIntervalMs !== undefined ? { stalledIntervalMs: config.stalledIntervalMs } : {}),
    quietWhile: redisDown,
    ...(deps.tracing ? { telemetry: deps.tracing.bullmq } : {}),
  });
  const daily = config.dailyReconcile ?? { pattern: '0 6 * * *', tz: 'Europe/London' };
  // Job schedulers live in Redis: registered at start-up and again whenever Redis may have lost them.
  const registerSchedulers = async () => {
    await queue.upsertJobScheduler(DAILY_RECONCILE_SCHEDULER, daily, { name: RECONCILE_JOB, data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } } });
    if (monthly) {
      await queue.upsertJobScheduler(MONTHLY_REPORT_SCHEDULER, { pattern: MONTHLY_REPORT_CRON, tz: deps.calendar.zone }, { name: MONTHLY_REPORT_JOB, data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } } });
    }
    if (deps.retention) {
      await queue.upsertJobScheduler(RETENTION_SCHEDULER, { pattern: RETENTION_CRON, tz: deps.calendar.zone }, { name: RETENTION_JOB, data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } } });
    }
  };
  const recovery = new ReconcileRecovery({
    scheduler,
    resync: async () => {
      await registerSchedulers();
      await scheduler.reconcileAll();
    },
    pending: new ReconcilePendingRepository(deps.pool),
    redisUp: () => !redisDown(),
    log: deps.log,
    backoff: { baseMs: config.retryBaseMs ?? 5_000, capMs: config.retryMaxMs ?? 5 * 60_000 },
  });
  const listener = new CaseChangeListener({
    databaseUrl: config.databaseUrl,
    scheduler,
    log: deps.log,
    onFailure: (kind, ids, err) => recovery.failed(kind, ids, err),
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
  });
  const actions = new ReminderActions({
    repo,
    calendar: deps.calendar,
    clock: deps.clock,
    log: deps.log,
    onSnoozed: (caseId) => scheduler.reconcileCase(caseId),
  });

  let running: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let started = false;
  // Every `ready` after start-up follows an outage: the Redis that answers may be a new, empty one.
  producer.on('ready', () => {
    if (!started || closing) return;
    recovery.redisReady().catch((err: unknown) => deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'recovery after Redis came back failed'));
  });
  return {
    repo,
    actions,
    scheduler,
    queue,
    worker,
    listener,
    recovery,
    async start() {
      await queue.waitUntilReady();
      await checkRedisForQueues(producer, deps.log, config.keyPrefix);
      await registerSchedulers();
      // Listening first, so a change made while everything is reconciled is not missed.
      await listener.start();
      await scheduler.reconcileAll();
      running = worker.run().catch((err: unknown) => deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'reminder worker stopped'));
      recovery.start();
      started = true;
      // Owed from before a restart: tried now rather than after the first poll.
      void recovery.retryDue();
    },
    close() {
      closing ??= (async () => {
        await listener.stop();
        await recovery.stop();
        await worker.close();
        await running;
        await queue.close();
        producer.disconnect();
        consumer.disconnect();
      })();
      return closing;
    },
  };
}
