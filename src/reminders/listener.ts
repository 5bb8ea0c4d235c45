import type { Logger } from '../log';
import type { Tracing } from '../traceContext';
import { ALL_OWNERS } from '../store/reconcilePendingRepository';
import { PgListener } from '../store/pgListen';
import type { ReminderScheduler } from './scheduler';

/** Channels raised by migration 003's triggers on case_events and screenings. */
export const CASE_CHANGED_CHANNEL = 'rj_case_changed';
export const SCREENING_CHANGED_CHANNEL = 'rj_screening_changed';

export interface ChangeListenerOptions {
  databaseUrl: string;
  scheduler: Pick<ReminderScheduler, 'reconcileCases' | 'reconcileScreenings' | 'reconcileAll'>;
  log: Logger;
  /** Cases reconciled per round; a burst of changes is coalesced into rounds of this size. */
  batchSize?: number;
  /** Wait before reconnecting after the listening connection drops. */
  reconnectMs?: number;
  /**
   * Told about every reconcile that failed (ReconcileRecovery.failed records it for retry). Without
   * it a failure is only logged, and left for the next change or the daily reconcile.
   */
  onFailure?: (kind: 'case' | 'screening' | 'all', ids: readonly string[], err: unknown) => Promise<void>;
  /**
   * When tracing is on: a case whose notification carried a traceparent (migration 009) is reconciled
   * inside that trace, so the jobs it adds belong to the Teams activity that changed the case.
   */
  tracing?: Pick<Tracing, 'inTrace'>;
}

/**
 * Reconciles a case after every change to it, whoever made the change: PostgreSQL notifies on every
 * event appended to a case's log (on commit), and this listener feeds the case ids to the scheduler.
 * Changes arriving while a round runs are coalesced (a case changed five times is reconciled once
 * more, not five times). Notifications sent while nobody listens are lost, so after (re)connecting
 * it reconciles everything once.
 */
export class CaseChangeListener {
  private readonly pg: PgListener;
  /** Case id → the traceparent of its latest change, if it carried one. */
  private readonly cases = new Map<string, string | undefined>();
  private readonly screenings = new Set<string>();
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly batchSize: number;

  constructor(private readonly o: ChangeListenerOptions) {
    this.batchSize = o.batchSize ?? 200;
    this.pg = new PgListener({
      databaseUrl: o.databaseUrl,
      channels: [CASE_CHANGED_CHANNEL, SCREENING_CHANGED_CHANNEL],
      applicationName: 'rj-reminders-listener',
      label: 'reminder change listener',
      log: o.log,
      reconnectMs: o.reconnectMs,
      onNotification: (channel, payload) => this.noticed(channel, payload),
      onReconnected: () => this.reconcileMissed(),
    });
  }

  /** Resolves once listening; after each reconnection it reconciles everything once by itself. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.pg.start();
  }

  private noticed(channel: string, payload: string | undefined): void {
    if (!payload) return;
    if (channel === CASE_CHANGED_CHANNEL) {
      const [caseId = '', traceParent] = payload.split(' ');
      this.cases.set(caseId, traceParent);
    }
    else if (channel === SCREENING_CHANGED_CHANNEL) this.screenings.add(payload);
    this.kick();
  }

  private reconcileMissed(): void {
    this.o.log.info('reminder change listener reconnected; reconciling everything');
    this.o.scheduler.reconcileAll().catch(async (err: unknown) => {
      this.o.log.error({ err: message(err) }, 'reconcile after reconnect failed');
      await this.o.onFailure?.('all', [ALL_OWNERS], err);
    }).catch((err: unknown) => this.o.log.error({ err: message(err) }, 'recording a failed reconcile failed'));
  }

  /** Resolves when every change noticed so far has been reconciled (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.pg.stop();
    await this.idle();
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (!this.stopped && (this.cases.size > 0 || this.screenings.size > 0)) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.cases.size > 0 || this.screenings.size > 0) {
      const cases = takeEntries(this.cases, this.batchSize);
      const screenings = take(this.screenings, this.batchSize);
      // Never retried here in a tight loop: onFailure records them for a retry with backoff.
      for (const [kind, ids, traceParent] of [...byTrace(cases, this.o.tracing !== undefined), ['screening', screenings, undefined] as const]) {
        if (ids.length === 0) continue;
        try {
          if (kind === 'case') {
            const tracing = this.o.tracing;
            const reconcile = () => this.o.scheduler.reconcileCases(ids);
            if (tracing && traceParent) await tracing.inTrace(traceParent, 'reminders.reconcile', { 'rj.case_count': ids.length, ...(ids.length === 1 ? { 'rj.case_id': ids[0] ?? '' } : {}) }, reconcile);
            else await reconcile();
          } else await this.o.scheduler.reconcileScreenings(ids);
        } catch (err) {
          if (!this.o.onFailure) {
            this.o.log.error({ err: message(err), kind, owners: ids.length }, 'reconciling changed cases failed');
            continue;
          }
          await this.o.onFailure(kind, ids, err).catch((recordErr: unknown) => this.o.log.error({ err: message(recordErr) }, 'recording a failed reconcile failed'));
        }
      }
    }
  }
}

function takeEntries<V>(map: Map<string, V>, n: number): [string, V][] {
  const out: [string, V][] = [];
  for (const entry of map) {
    if (out.length >= n) break;
    out.push(entry);
  }
  for (const [k] of out) map.delete(k);
  return out;
}

/** One round per trace when tracing (each reconcile joins its own trace), else the whole batch at once. */
function byTrace(cases: readonly [string, string | undefined][], tracing: boolean): (readonly ['case', string[], string | undefined])[] {
  if (!tracing) return [['case', cases.map(([id]) => id), undefined]];
  const groups = new Map<string | undefined, string[]>();
  for (const [id, traceParent] of cases) groups.set(traceParent, [...(groups.get(traceParent) ?? []), id]);
  return [...groups].map(([traceParent, ids]) => ['case', ids, traceParent] as const);
}

function take(set: Set<string>, n: number): string[] {
  const out: string[] = [];
  for (const v of set) {
    if (out.length >= n) break;
    out.push(v);
  }
  for (const v of out) set.delete(v);
  return out;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
