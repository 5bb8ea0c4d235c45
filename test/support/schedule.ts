/**
 * Reads the reminder schedule the app keeps in Redis, and what the policy wants from PostgreSQL, so an
 * e2e test can compare the two without reaching into the app.
 */
import { Queue } from 'bullmq';
import type { Pool } from 'pg';
import type { Clock } from '../../src/shared/clock';
import { loadWorkingCalendar } from '../../src/calendarFile';
import { remindersFor } from '../../src/domain/reminderPolicy';
import { fromJobId, parseJobId } from '../../src/reminders/ids';
import { loadReminderPolicy, REMINDERS_QUEUE } from '../../src/reminders';
import { ReminderRepository } from '../../src/store/reminderRepository';

export interface ScheduledJob {
  /** The reminder id (rule|owner|recipient|due). */
  id: string;
  ownerId: string;
  rule: string;
  /** When BullMQ will run it, on the wall clock (the job's added-at plus its delay). */
  runsAt: number;
}

export interface ScheduleProbe {
  /** Every reminder job queued (waiting or delayed), sorted by id. */
  jobs(): Promise<ScheduledJob[]>;
  /** Ids of the job schedulers registered (the daily reconcile). */
  schedulers(): Promise<string[]>;
  /** Every reminder the policy wants now for every case in the database, sorted by id. */
  wanted(): Promise<string[]>;
  close(): Promise<void>;
}

export async function scheduleProbe(o: { redisUrl: string; prefix: string; pool: Pool; clock: Clock }): Promise<ScheduleProbe> {
  // A queue of the test's own: reading through it never touches the app's connections.
  const queue = new Queue(REMINDERS_QUEUE, { connection: { url: o.redisUrl, maxRetriesPerRequest: 1, enableOfflineQueue: false }, prefix: o.prefix });
  queue.on('error', () => undefined);
  const repo = new ReminderRepository(o.pool, { now: o.clock });
  const calendar = await loadWorkingCalendar('');
  const policy = await loadReminderPolicy('');
  return {
    async jobs() {
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      return jobs
        .flatMap((j) => {
          const id = j.id === undefined ? undefined : fromJobId(j.id);
          const parsed = id === undefined ? undefined : parseJobId(id);
          return id && parsed ? [{ id, ownerId: parsed.ownerId, rule: parsed.rule, runsAt: j.timestamp + (j.delay ?? 0) }] : [];
        })
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async schedulers() {
      return (await queue.getJobSchedulers()).map((s) => s.key).sort();
    },
    async wanted() {
      const { rows } = await o.pool.query<{ id: string }>('SELECT id FROM cases');
      const views = await repo.caseViews(rows.map((r) => r.id));
      return [...views.values()].flatMap((v) => remindersFor(v, policy, calendar, o.clock()).map((r) => r.id)).sort();
    },
    async close() {
      await queue.close();
    },
  };
}
