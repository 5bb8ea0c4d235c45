import type { Logger } from '../log';
import { ALL_OWNERS, type PendingKind, type PendingReconcile, type ReconcilePendingRepository, type RetryBackoff } from '../store/reconcilePendingRepository';
import type { ReminderScheduler } from './scheduler';

export interface RecoveryOptions {
  scheduler: Pick<ReminderScheduler, 'reconcileCases' | 'reconcileScreenings'>;
  /** Registers the job schedulers again and reconciles everything open (what an emptied Redis needs). */
  resync: () => Promise<unknown>;
  pending: Pick<ReconcilePendingRepository, 'record' | 'claimDue' | 'clear' | 'makeAllDue'>;
  /** Whether the scheduler's Redis connection is up; while it is not, owed reconciles are not tried. */
  redisUp: () => boolean;
  log: Logger;
  backoff: RetryBackoff;
  /** How often owed reconciles are looked for; default `backoff.baseMs`. */
  pollMs?: number;
  /** Rows claimed per round; default 200. */
  batchSize?: number;
  /** How long a claimed row is left to this process before another may retry it; default 60 s. */
  leaseMs?: number;
}

/**
 * Makes a failed reconcile a debt in PostgreSQL instead of a log line: every case (or screening, or
 * full resync) that could not be reconciled is recorded in `reconcile_pending` and retried with a
 * doubling backoff until it succeeds, which clears it. When Redis reports `ready` again everything
 * owed is tried at once and a full resync runs, because a Redis that restarted may have come back empty.
 */
export class ReconcileRecovery {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private roundAgain = false;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private stopped = true;
  /** Set while PostgreSQL refuses the poll, so an outage is logged once rather than every poll. */
  private pgFailing = false;

  constructor(private readonly o: RecoveryOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops polling and waits for the round and resync in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.round ?? this.resyncing) await (this.round ?? this.resyncing);
  }

  /** Records that these owners' reminders could not be reconciled. Never throws: a failure to record is logged. */
  async failed(kind: PendingKind, ownerIds: readonly string[], err: unknown): Promise<void> {
    if (ownerIds.length === 0) return;
    this.o.log.warn({ kind, owners: ownerIds.length, err: message(err) }, 'reminders could not be reconciled; recorded for retry');
    try {
      await this.o.pending.record(kind, ownerIds, message(err), this.o.backoff);
    } catch (recordErr) {
      // Both stores failing at once: the listener reconciles everything when PostgreSQL is back.
      this.o.log.error({ kind, owners: ownerIds.length, err: message(recordErr) }, 'could not record reconciles owed');
    }
  }

  /** Reconciles cases now, recording any that fail. Never throws. */
  async cases(ids: readonly string[]): Promise<void> {
    await this.attempt('case', ids);
  }

  async screenings(ids: readonly string[]): Promise<void> {
    await this.attempt('screening', ids);
  }

  /**
   * Registers the job schedulers and reconciles everything; on failure a full resync is owed.
   * Calls that arrive while one runs are coalesced into one more run. Never throws.
   */
  resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      do {
        this.resyncAgain = false;
        try {
          await this.o.resync();
        } catch (err) {
          await this.failed('all', [ALL_OWNERS], err);
        }
      } while (this.resyncAgain && !this.stopped);
    })().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  /** Redis is back (ioredis `ready` after an outage): resync, then retry everything owed without waiting out its backoff. */
  async redisReady(): Promise<void> {
    if (this.stopped) return;
    this.o.log.info('Redis is ready again: registering job schedulers and reconciling every reminder');
    await this.resync();
    try {
      await this.o.pending.makeAllDue();
    } catch (err) {
      this.o.log.warn({ err: message(err) }, 'could not bring reconciles owed forward; they are retried on their backoff');
    }
    await this.retryDue();
  }

  /** One round of retries of what is due (coalesced like `resync`). Never throws. */
  retryDue(): Promise<void> {
    if (this.round) {
      this.roundAgain = true;
      return this.round;
    }
    this.round = (async () => {
      do {
        this.roundAgain = false;
        await this.retryRound();
      } while (this.roundAgain && !this.stopped);
    })().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.retryDue().finally(() => this.schedule());
    }, this.o.pollMs ?? this.o.backoff.baseMs);
    this.timer.unref();
  }

  private async retryRound(): Promise<void> {
    const batchSize = this.o.batchSize ?? 200;
    for (;;) {
      if (this.stopped || !this.o.redisUp()) return;
      let claimed: PendingReconcile[];
      try {
        claimed = await this.o.pending.claimDue(batchSize, this.o.leaseMs ?? 60_000);
        if (this.pgFailing) this.o.log.info('reconciles owed can be read again');
        this.pgFailing = false;
      } catch (err) {
        if (!this.pgFailing) this.o.log.warn({ err: message(err) }, 'could not read reconciles owed; retrying');
        this.pgFailing = true;
        return;
      }
      if (claimed.length === 0) return;
      const done: PendingReconcile[] = [];
      const all = claimed.filter((c) => c.kind === 'all');
      if (all.length > 0) {
        try {
          await this.o.resync();
          done.push(...all);
        } catch (err) {
          await this.failed('all', [ALL_OWNERS], err);
        }
      }
      for (const kind of ['case', 'screening'] as const) {
        const rows = claimed.filter((c) => c.kind === kind);
        done.push(...(await this.retryOwners(kind, rows)));
      }
      try {
        await this.o.pending.clear(done);
      } catch (err) {
        // Left in place, they are reconciled once more after their lease: harmless.
        this.o.log.warn({ owners: done.length, err: message(err) }, 'could not clear reconciles done');
      }
      if (done.length > 0) this.o.log.info({ reconciled: done.length, owed: claimed.length - done.length }, 'reconciles owed retried');
      if (claimed.length < batchSize) return;
    }
  }

  /** The batch at once; if that fails while Redis is up, one by one, so one bad case cannot hold back the rest. */
  private async retryOwners(kind: 'case' | 'screening', rows: readonly PendingReconcile[]): Promise<PendingReconcile[]> {
    if (rows.length === 0) return [];
    const run = (ids: string[]) => (kind === 'case' ? this.o.scheduler.reconcileCases(ids) : this.o.scheduler.reconcileScreenings(ids));
    try {
      await run(rows.map((r) => r.ownerId));
      return [...rows];
    } catch (err) {
      if (rows.length === 1 || !this.o.redisUp()) {
        await this.failed(kind, rows.map((r) => r.ownerId), err);
        return [];
      }
    }
    const done: PendingReconcile[] = [];
    for (const row of rows) {
      try {
        await run([row.ownerId]);
        done.push(row);
      } catch (err) {
        await this.failed(kind, [row.ownerId], err);
      }
    }
    return done;
  }

  private async attempt(kind: 'case' | 'screening', ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      if (kind === 'case') await this.o.scheduler.reconcileCases(ids);
      else await this.o.scheduler.reconcileScreenings(ids);
    } catch (err) {
      await this.failed(kind, ids, err);
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
