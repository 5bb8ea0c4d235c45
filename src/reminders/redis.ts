import type { QueueOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log';

export const REMINDERS_QUEUE = 'reminders';
/** Hash-tagged, so every key of the queue and its indexes lands in one Redis Cluster slot (Lua needs that). */
export const DEFAULT_KEY_PREFIX = '{rj}';

/** Longest wait between two attempts to reconnect to Redis (REDIS_RECONNECT_MAX_MS); ioredis' own default. */
export const DEFAULT_RECONNECT_MAX_MS = 2_000;
/** A Redis that accepts the connection but does not answer (frozen, partitioned) fails a command after this. */
const PRODUCER_COMMAND_TIMEOUT_MS = 5_000;

/**
 * Reconnect for ever, sooner at first: an outage must end with every connection back without a
 * restart (the worker resyncs on `ready`), and a client that gave up would leave the process half dead.
 */
export function reconnectForever(maxMs: number = DEFAULT_RECONNECT_MAX_MS): (times: number) => number {
  return (times) => Math.min(times * 50, maxMs);
}

/**
 * For the scheduler and anything that adds or removes jobs: fail fast. A web request or a reconcile
 * must get an error it can report (and record for retry) while Redis is down, not hang in ioredis'
 * offline queue or on a Redis that stopped answering.
 */
export function producerConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
    retryStrategy: reconnectForever(),
    connectionName: 'rj-reminders-producer',
    ...extra,
  });
}

/**
 * For the worker: BullMQ's blocking commands must wait through a Redis restart rather than throw,
 * so requests are retried for ever (BullMQ requires `maxRetriesPerRequest: null` here). BullMQ's
 * blocking connection is a duplicate of this one and inherits the reconnect strategy.
 */
export function workerConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: reconnectForever(), connectionName: 'rj-reminders-worker', ...extra });
}

/**
 * The queue's options. BullMQ logs every job event to a stream capped at 10,000 entries by default;
 * nothing here reads it, so it is kept short: at 10,000 entries it would cost about 250 bytes per
 * pending reminder in a small installation.
 */
export function reminderQueueOptions(connection: Redis, prefix: string): QueueOptions {
  return { connection, prefix, streams: { events: { maxLen: 500 } } };
}

/** The Redis keys the scheduler keeps beside BullMQ's own, under the same prefix (and so the same slot). */
export class ReminderKeys {
  private readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}:${REMINDERS_QUEUE}-idx`;
  }

  /** Set of the job ids of one case (or screening): how a case's jobs are found without a key scan. */
  owner(ownerId: string): string {
    return `${this.base}:o:${ownerId}`;
  }

  /** Set of the job ids for one recipient due in one minute: the members of a digest. */
  group(recipientCode: string, minute: string): string {
    return `${this.base}:g:${recipientCode}|${minute}`;
  }
}

/**
 * BullMQ loses jobs silently if Redis evicts keys under memory pressure; only `noeviction` is safe.
 * Read from INFO, which managed Redis services allow even where CONFIG GET is disabled.
 */
/** Redis is set up so that BullMQ would lose reminders: the worker must not start on it. */
export class UnsafeRedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeRedisError';
  }
}

/**
 * Checks the Redis the worker is about to use. An eviction policy other than noeviction lets Redis
 * drop BullMQ's keys under memory pressure, silently corrupting the schedule: that refuses start-up.
 * AOF off means a Redis restart loses every pending job until the next reconcile rebuilds them (the
 * schedule is rebuilt from PostgreSQL at start-up and daily, so it warns). A Redis that does not
 * answer INFO (some managed services restrict it) gets a warning, not a refusal.
 */
export async function checkRedisForQueues(client: Pick<Redis, 'info'>, log: Pick<Logger, 'warn'>, prefix: string): Promise<{ maxmemoryPolicy: string | undefined; aofEnabled: boolean | undefined }> {
  let policy: string | undefined;
  let aof: boolean | undefined;
  try {
    const info = await client.info();
    policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    const aofFlag = /^aof_enabled:(\d)/m.exec(info)?.[1];
    aof = aofFlag === undefined ? undefined : aofFlag === '1';
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not read Redis INFO: check maxmemory-policy is noeviction and AOF is on');
  }
  if (policy !== undefined && policy !== 'noeviction') {
    throw new UnsafeRedisError(
      `Redis maxmemory-policy is ${policy}: BullMQ needs noeviction, or queued reminders are evicted silently. ` +
        'Set maxmemory-policy noeviction on the Redis in REDIS_URL (Azure: evictionPolicy NoEviction) and start again.',
    );
  }
  if (aof === false) {
    log.warn({ aofEnabled: false }, 'Redis AOF persistence is off: a Redis restart loses pending reminders until the next reconcile rebuilds them (set appendonly yes)');
  }
  if (!/\{[^}]+\}/.test(prefix)) {
    log.warn({ prefix }, 'REDIS_KEY_PREFIX has no {hash tag}: the reminder queue will not work on Redis Cluster');
  }
  return { maxmemoryPolicy: policy, aofEnabled: aof };
}
