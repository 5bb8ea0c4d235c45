import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../shared/clock';
import { dueProjection, type DueProjection } from '../domain/dueDates';
import { remindersFor, reReferReminder, type Reminder, type ReminderPolicy } from '../domain/reminderPolicy';
import { isClosedStage } from '../domain/vocabulary';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import { noMetrics, type Metrics } from '../metrics';
import type { ReminderRepository } from '../store/reminderRepository';
import { fromJobId, parseJobId, type ParsedReminderId } from './ids';
import type { ReminderKeys } from './redis';

/** Jobs carry nothing but their id (see ids.ts); an empty object is the smallest data BullMQ stores. */
export type ReminderJobData = Record<string, never>;

/**
 * Nothing beyond id and delay: retries are counted in the delivery ledger and scheduled by the
 * worker (moveToDelayed), so no attempts/backoff options are copied into every one of the jobs.
 */
export const REMINDER_JOB_OPTIONS: JobsOptions = {};
/** Every reminder job has this name; what it is about is in its id. */
export const REMINDER_JOB_NAME = 'r';

export interface ReconcileStats {
  /** Cases (and screenings) reconciled. */
  owners: number;
  /** Reminders the policy wants now; each has a job after the call. */
  wanted: number;
  /** Jobs of reminders no longer wanted, taken out of the queue. */
  removed: number;
}

export interface SchedulerDeps {
  queue: Queue<ReminderJobData>;
  /** A fail-fast producer connection (the queue's own is fine). */
  redis: Redis;
  keys: ReminderKeys;
  repo: ReminderRepository;
  policy: ReminderPolicy;
  calendar: WorkingCalendar;
  clock: Clock;
  log: Logger;
  jobOptions?: JobsOptions;
  /** Time taken by each reconcile, a case's or everything's. */
  metrics?: Metrics;
}

const EMPTY: ReconcileStats = { owners: 0, wanted: 0, removed: 0 };

function add(a: ReconcileStats, b: ReconcileStats): ReconcileStats {
  return { owners: a.owners + b.owners, wanted: a.wanted + b.wanted, removed: a.removed + b.removed };
}

/**
 * Keeps the BullMQ schedule equal to what the policy says, case by case: the policy's reminders are
 * added (job id = reminder id, so adding one that exists is a no-op) and the case's other jobs are
 * removed. Which jobs belong to a case is kept in a Redis set per case beside the queue, because
 * finding them by scanning keys would cost a walk of the whole keyspace per case.
 */
export class ReminderScheduler {
  private readonly jobOptions: JobsOptions;
  private readonly metrics: Metrics;

  constructor(private readonly d: SchedulerDeps) {
    this.jobOptions = d.jobOptions ?? REMINDER_JOB_OPTIONS;
    this.metrics = d.metrics ?? noMetrics;
  }

  async reconcileCase(caseId: string): Promise<ReconcileStats> {
    return this.reconcileCases([caseId]);
  }

  /**
   * Reconciles the cases under their advisory locks (see ReminderRepository.withCasesLocked), so two
   * processes reconciling one case cannot interleave and leave an older schedule behind. An id with
   * no case loses its jobs.
   */
  async reconcileCases(caseIds: readonly string[]): Promise<ReconcileStats> {
    if (caseIds.length === 0) return EMPTY;
    const started = performance.now();
    const stats = await this.reconcileCasesLocked(caseIds);
    this.metrics.reconcileDuration('cases', (performance.now() - started) / 1000);
    return stats;
  }

  /**
   * Also keeps the dashboard's due projection (table case_due) for the same cases, from the same
   * policy and the same locked read: dueProjection is the case view's dueItems, stored. It is
   * PostgreSQL's alone, so it is committed even when Redis refuses the jobs (the error is still
   * thrown, and the reconcile retried as before).
   */
  private async reconcileCasesLocked(caseIds: readonly string[]): Promise<ReconcileStats> {
    const outcome = await this.d.repo.withCasesLocked(caseIds, async (views, locked) => {
      const now = this.d.clock();
      const wanted = new Map<string, Reminder[]>();
      const due = new Map<string, DueProjection | null>();
      for (const id of caseIds) {
        wanted.set(id.toLowerCase(), []);
        due.set(id.toLowerCase(), null);
      }
      for (const view of views.values()) wanted.set(view.caseId, remindersFor(view, this.d.policy, this.d.calendar, now));
      const rules = { policy: this.d.policy, calendar: this.d.calendar, now };
      for (const [id, source] of locked.dueSources) {
        // Closed cases keep no row: nothing is due on them.
        if (!isClosedStage(source.case.stage)) due.set(id, dueProjection(source.case, source.progress, rules));
      }
      await locked.saveDueProjection(due, now);
      try {
        return { ok: true as const, stats: await this.apply(wanted) };
      } catch (err) {
        return { ok: false as const, err };
      }
    });
    if (!outcome.ok) throw outcome.err;
    return outcome.stats;
  }

  async reconcileScreening(screeningId: string): Promise<ReconcileStats> {
    return this.reconcileScreenings([screeningId]);
  }

  /** A screening with no pending re-refer (never asked, already sent, or unknown) loses its job. */
  async reconcileScreenings(screeningIds: readonly string[]): Promise<ReconcileStats> {
    if (screeningIds.length === 0) return EMPTY;
    const views = await this.d.repo.reReferViews(screeningIds);
    const wanted = new Map<string, Reminder[]>(screeningIds.map((id) => [id.toLowerCase(), []]));
    for (const s of views) wanted.set(s.id, [reReferReminder(s, this.d.calendar, this.d.policy)]);
    return this.apply(wanted);
  }

  /**
   * Every open case and pending re-refer, in batches: what makes an emptied or lost Redis lose
   * nothing. Failed jobs are cleared first, because a failed job's id would make adding its reminder
   * again a no-op.
   */
  async reconcileAll(opts: { batchSize?: number; concurrency?: number } = {}): Promise<ReconcileStats & { ms: number }> {
    const started = Date.now();
    const batchSize = opts.batchSize ?? 500;
    const concurrency = opts.concurrency ?? 2;
    const failed = await this.d.queue.clean(0, 0, 'failed');
    let stats = EMPTY;
    // Two batches at a time: one's PostgreSQL reads and policy run while the other's jobs go to Redis.
    const inflight = new Set<Promise<void>>();
    const errors: unknown[] = [];
    const run = (p: Promise<ReconcileStats>): void => {
      const tracked: Promise<void> = p.then(
        (s) => {
          stats = add(stats, s);
        },
        (err: unknown) => {
          errors.push(err);
        },
      ).finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    };
    for await (const ids of this.d.repo.openCaseIdBatches(batchSize)) {
      if (errors.length > 0) break;
      run(this.reconcileCases(ids));
      if (inflight.size >= concurrency) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (errors.length > 0) throw errors[0];
    // A case closed while no listener heard of it is not among the open ones walked above.
    await this.d.repo.dropClosedDueProjections();
    const screenings = await this.d.repo.reReferViews();
    for (let i = 0; i < screenings.length; i += batchSize) {
      stats = add(stats, await this.reconcileScreenings(screenings.slice(i, i + batchSize).map((x) => x.id)));
    }
    const ms = Date.now() - started;
    this.metrics.reconcileDuration('all', ms / 1000);
    this.d.log.info({ ...stats, clearedFailed: failed.length, ms }, 'reminders reconciled');
    return { ...stats, ms };
  }

  /** The reminder ids with a job recorded for a case or screening (ids, not job ids: see ids.ts). */
  async reminderIdsOf(ownerId: string): Promise<string[]> {
    const jobIds = await this.d.redis.smembers(this.d.keys.owner(ownerId.toLowerCase()));
    return jobIds.flatMap((j) => fromJobId(j) ?? []).sort();
  }

  /** Job ids for the recipient due in the same minute as `reminder`, itself included. */
  async digestMembers(reminder: ParsedReminderId): Promise<string[]> {
    return this.d.redis.smembers(this.d.keys.group(reminder.recipientCode, reminder.minute));
  }

  /** Drops delivered or dropped reminders from the indexes, and their jobs unless a worker holds them. */
  async forget(reminders: readonly ParsedReminderId[], opts: { exceptJob?: string } = {}): Promise<void> {
    if (reminders.length === 0) return;
    const pipe = this.d.redis.pipeline();
    for (const r of reminders) {
      pipe.srem(this.d.keys.owner(r.ownerId), r.jobId);
      pipe.srem(this.d.keys.group(r.recipientCode, r.minute), r.jobId);
    }
    await pipe.exec();
    // 0 means a worker holds it: that worker will find the delivery recorded and finish quietly.
    await Promise.all(reminders.filter((r) => r.jobId !== opts.exceptJob).map((r) => this.d.queue.remove(r.jobId)));
  }

  private async apply(wanted: ReadonlyMap<string, readonly Reminder[]>): Promise<ReconcileStats> {
    const owners = [...wanted.keys()];
    const indexedPipe = this.d.redis.pipeline();
    for (const owner of owners) indexedPipe.smembers(this.d.keys.owner(owner));
    const indexed = (await indexedPipe.exec()) ?? [];

    const stale: ParsedReminderId[] = [];
    const jobs: { name: string; data: ReminderJobData; opts: JobsOptions }[] = [];
    const index = this.d.redis.pipeline();
    const now = this.d.clock().getTime();
    // An overdue reminder (after an outage, say) goes out at once only inside working time; found at
    // night, it waits for the next working start, as every reminder must.
    const catchUpAt = this.d.calendar.nextWorkingStart(new Date(now)).getTime();
    owners.forEach((owner, i) => {
      const [err, members] = indexed[i] ?? [null, []];
      if (err) throw err;
      const reminders = (wanted.get(owner) ?? []).map((r) => {
        const parsed = parseJobId(r.id);
        if (!parsed) throw new Error(`reminder id ${r.id} does not parse back`);
        return { reminder: r, parsed };
      });
      const wantedJobs = new Set(reminders.map((r) => r.parsed.jobId));
      for (const jobId of Array.isArray(members) ? (members as string[]) : []) {
        if (wantedJobs.has(jobId)) continue;
        const parsed = parseJobId(jobId);
        if (parsed) stale.push(parsed);
        else index.srem(this.d.keys.owner(owner), jobId);
      }
      if (reminders.length > 0) index.sadd(this.d.keys.owner(owner), ...wantedJobs);
      for (const { reminder: r, parsed } of reminders) {
        index.sadd(this.d.keys.group(parsed.recipientCode, parsed.minute), parsed.jobId);
        jobs.push({ name: REMINDER_JOB_NAME, data: {}, opts: { ...this.jobOptions, jobId: parsed.jobId, delay: Math.max(r.dueAt.getTime(), catchUpAt) - now } });
      }
    });
    // Indexed before queued: a crash in between leaves an index entry without a job, which the next
    // reconcile repairs, never a job that no reconcile can find.
    await index.exec();
    if (jobs.length > 0) await this.d.queue.addBulk(jobs);
    if (stale.length > 0) await this.forget(stale);
    if (stale.length > 0) this.d.log.debug({ removed: stale.map((x) => x.id) }, 'stale reminders removed');
    return { owners: owners.length, wanted: jobs.length, removed: stale.length };
  }
}
