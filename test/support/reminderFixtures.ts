/**
 * Reminder tests build cases by writing rows and events straight through SQL, as the workflows would
 * leave them, so each test states exactly the case state the policy sees. Also builds the reminder
 * components (scheduler, delivery, worker) against real Redis, PostgreSQL and the connector emulator.
 */
import { randomUUID } from 'node:crypto';
import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Clock } from '../../src/shared/clock';
import { DEFAULT_REMINDER_POLICY } from '../../src/domain/defaultReminderPolicy';
import type { ReminderPolicy } from '../../src/domain/reminderPolicy';
import { createWorkingCalendar, type WorkingCalendar } from '../../src/domain/workingTime';
import type { Logger } from '../../src/log';
import { ReminderDelivery, type ReminderMessenger } from '../../src/reminders/delivery';
import { producerConnection, reminderQueueOptions, REMINDERS_QUEUE, ReminderKeys, workerConnection } from '../../src/reminders/redis';
import { ReminderScheduler, type ReminderJobData } from '../../src/reminders/scheduler';
import { createReminderWorker, type ReminderWorkerOptions } from '../../src/reminders/worker';
import { ConversationRefRepository } from '../../src/store/conversationRefRepository';
import { ReminderRepository } from '../../src/store/reminderRepository';
import { personalConversationId, teamsUserId } from './activities';

export const STAFF_TENANT = '11111111-1111-4111-8111-111111111111';
export const PARTNER_TENANT = '22222222-2222-4222-8222-222222222222';
/** Put in every participant's name so a test can assert that no card carries it. */
export const PARTICIPANT_NAME_MARK = 'Zebedee Quartermaine';

/** A clock tests move by hand. */
export interface TestClock {
  clock: Clock;
  set(iso: string | Date): void;
  now(): Date;
}

export function testClock(start: string): TestClock {
  const box = { at: new Date(start) };
  return {
    clock: () => new Date(box.at),
    set: (iso) => {
      box.at = new Date(iso);
    },
    now: () => new Date(box.at),
  };
}

export function aad(n: number, block = 'aaaaaaaa'): string {
  return `${block}-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export interface NewCase {
  stage?: string;
  createdAt: string | Date;
  lastActivityAt?: string | Date;
  pairConfirmedAt?: string | Date;
}

/** Cases, staff, offers and events; the counter keeps references unique within a test database. */
export function caseFixtures(pool: Pool) {
  const counter = { seq: 0 };
  return {
    async staff(aadObjectId: string, roles: { coordinator?: boolean; facilitator?: boolean }): Promise<void> {
      await pool.query(
        `INSERT INTO staff (aad_object_id, tenant_id, display_name, coordinator, facilitator) VALUES ($1, $2, 'Staff member', $3, $4)
         ON CONFLICT (aad_object_id) DO UPDATE SET coordinator = EXCLUDED.coordinator, facilitator = EXCLUDED.facilitator`,
        [aadObjectId, STAFF_TENANT, roles.coordinator ?? false, roles.facilitator ?? false],
      );
    },

    async createCase(c: NewCase): Promise<{ caseId: string; reference: string; harmedPersonId: string; offenderId: string }> {
      counter.seq += 1;
      const reference = `RJ-2026-${String(counter.seq).padStart(4, '0')}`;
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO cases (reference, ref_year, ref_seq, stage, eligibility, source, referrer_aad_id, referrer_tenant_id,
                            offence_type, offence_description, submission_key, created_at, last_activity_at, pair_confirmed_at)
         VALUES ($1, 2026, $2, $3, 'eligible', 'Metropolitan Police', $4, $5, 'burglary', 'fixture', $6, $7, $8, $9)
         RETURNING id`,
        [reference, counter.seq, c.stage ?? 'referred', aad(9000 + counter.seq, 'bbbbbbbb'), PARTNER_TENANT, randomUUID(),
          new Date(c.createdAt), new Date(c.lastActivityAt ?? c.createdAt), c.pairConfirmedAt ? new Date(c.pairConfirmedAt) : null],
      );
      const caseId = rows[0]!.id;
      const parts = await pool.query<{ id: string; role: string }>(
        `INSERT INTO participants (case_id, role, name, aware) VALUES ($1, 'harmed_person', $2, true), ($1, 'offender', $2, true)
         RETURNING id, role`,
        [caseId, PARTICIPANT_NAME_MARK],
      );
      await this.event(caseId, 'referred', {}, c.createdAt);
      return {
        caseId,
        reference,
        harmedPersonId: parts.rows.find((p) => p.role === 'harmed_person')!.id,
        offenderId: parts.rows.find((p) => p.role === 'offender')!.id,
      };
    },

    async event(caseId: string, type: string, data: object, at: string | Date, actor: string | null = null): Promise<void> {
      await pool.query(
        `INSERT INTO case_events (case_id, at, actor_aad_id, actor_role, type, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
        [caseId, new Date(at), actor, actor ? 'facilitator' : 'system', type, JSON.stringify(data)],
      );
    },

    async setCase(caseId: string, set: { stage?: string; pairConfirmedAt?: string | Date | null; lastActivityAt?: string | Date }): Promise<void> {
      await pool.query(
        `UPDATE cases SET stage = COALESCE($2, stage),
                          pair_confirmed_at = CASE WHEN $3::boolean THEN $4::timestamptz ELSE pair_confirmed_at END,
                          last_activity_at = COALESCE($5, last_activity_at)
         WHERE id = $1`,
        [caseId, set.stage ?? null, set.pairConfirmedAt !== undefined, set.pairConfirmedAt ? new Date(set.pairConfirmedAt) : null,
          set.lastActivityAt ? new Date(set.lastActivityAt) : null],
      );
    },

    async offer(caseId: string, facilitator: string, at: string | Date): Promise<string> {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO offers (case_id, facilitator_aad_id, offered_by, offered_at) VALUES ($1, $2, 'coordinator', $3) RETURNING id`,
        [caseId, facilitator, new Date(at)],
      );
      return rows[0]!.id;
    },

    async answer(offerId: string, status: 'accepted' | 'declined' | 'withdrawn', at: string | Date): Promise<void> {
      await pool.query(`UPDATE offers SET status = $2, answered_at = CASE WHEN $2 = 'withdrawn' THEN answered_at ELSE $3 END WHERE id = $1`, [
        offerId,
        status,
        new Date(at),
      ]);
    },

    async screening(s: { sentencingDate: string; referrer: string }): Promise<string> {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO screenings (tenant_id, answers, outcome, reason_codes, sentencing_date, re_refer_aad_id)
         VALUES ($1, '{}'::jsonb, 'ineligible', '{NOT_SENTENCED}', $2, $3) RETURNING id`,
        [PARTNER_TENANT, s.sentencingDate, s.referrer],
      );
      return rows[0]!.id;
    },
  };
}

/** A stored 1:1 reference pointing at the emulator, as the tenant guard stores one. */
export async function storePersonalRef(refs: ConversationRefRepository, serviceUrl: string, aadObjectId: string, tenantId = STAFF_TENANT): Promise<string> {
  const userId = teamsUserId({ aadObjectId });
  const conversationId = personalConversationId(userId);
  await refs.upsert({
    conversationId, tenantId, aadObjectId, conversationType: 'personal', serviceUrl,
    reference: {
      activityId: 'in-1', user: { id: userId, aadObjectId, name: '' }, bot: { id: '28:bot', name: 'RJ Referrals' },
      conversation: { id: conversationId, conversationType: 'personal', tenantId }, channelId: 'msteams', serviceUrl,
    },
  });
  return conversationId;
}

export async function storeChannelRef(refs: ConversationRefRepository, serviceUrl: string, conversationId: string): Promise<void> {
  await refs.upsert({
    conversationId, tenantId: STAFF_TENANT, aadObjectId: null, conversationType: 'channel', serviceUrl,
    reference: {
      activityId: 'in-1', user: { id: '29:someone', name: '' }, bot: { id: '28:bot', name: 'RJ Referrals' },
      conversation: { id: conversationId, conversationType: 'channel', tenantId: STAFF_TENANT, isGroup: true }, channelId: 'msteams', serviceUrl,
    },
  });
}

export interface ReminderRig {
  repo: ReminderRepository;
  queue: Queue<ReminderJobData>;
  producer: Redis;
  scheduler: ReminderScheduler;
  delivery?: ReminderDelivery;
  worker?: Worker<ReminderJobData>;
  calendar: WorkingCalendar;
  policy: ReminderPolicy;
  startWorker(messenger: ReminderMessenger, opts?: Partial<ReminderWorkerOptions> & { channel?: () => Promise<string | undefined>; caseThread?: (caseId: string) => Promise<string | null>; leaseMs?: number }): Promise<Worker<ReminderJobData>>;
  close(): Promise<void>;
}

/** Scheduler (and, on demand, a worker) on real Redis under the test's own prefix. */
export async function reminderRig(o: { pool: Pool; redisUrl: string; prefix: string; clock: Clock; log: Logger }): Promise<ReminderRig> {
  const calendar = createWorkingCalendar({});
  const policy = DEFAULT_REMINDER_POLICY;
  const repo = new ReminderRepository(o.pool, { now: o.clock });
  const producer = producerConnection(o.redisUrl);
  const queue = new Queue<ReminderJobData>(REMINDERS_QUEUE, reminderQueueOptions(producer, o.prefix));
  await queue.waitUntilReady();
  const scheduler = new ReminderScheduler({ queue, redis: producer, keys: new ReminderKeys(o.prefix), repo, policy, calendar, clock: o.clock, log: o.log });
  const consumers: Redis[] = [];
  const rig: ReminderRig = {
    repo, queue, producer, scheduler, calendar, policy,
    async startWorker(messenger, wo = {}) {
      const coordinators = async () => (await o.pool.query<{ aad_object_id: string }>('SELECT aad_object_id FROM staff WHERE coordinator ORDER BY 1')).rows.map((r) => r.aad_object_id);
      rig.delivery = new ReminderDelivery({
        repo, scheduler, messenger, policy, calendar, clock: o.clock, log: o.log,
        coordinatorIds: coordinators,
        referralsChannel: wo.channel ?? (async () => undefined),
        ...(wo.caseThread ? { caseThread: wo.caseThread } : {}),
        staffTenantId: STAFF_TENANT,
        leaseMs: wo.leaseMs ?? 60_000,
      });
      const connection = workerConnection(o.redisUrl);
      consumers.push(connection);
      rig.worker = createReminderWorker(rig.delivery, scheduler, o.log, { connection, prefix: o.prefix, random: () => 0.5, ...wo });
      await rig.worker.waitUntilReady();
      return rig.worker;
    },
    async close() {
      await rig.worker?.close();
      await queue.close();
      producer.disconnect();
      for (const c of consumers) c.disconnect();
    },
  };
  return rig;
}

/** Polls `fn` until it returns something truthy; for effects of background workers. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined | null | false;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `n` cases written in a handful of set-based statements (for the crash test and the benchmark):
 * `assigning` with one unanswered offer per facilitator given, or `preparation` with a confirmed pair.
 * Facilitators are `facilitatorId(i)`; each gets a staff row and a stored 1:1 reference.
 */
export async function bulkCases(
  pool: Pool,
  o: { n: number; year: number; at: string; serviceUrl: string; shape: 'one_offer' | 'two_offers' | 'pair'; facilitators: number },
): Promise<{ caseIds: string[]; facilitatorIds: string[]; conversationIds: string[] }> {
  const facilitatorIds = Array.from({ length: o.facilitators }, (_, i) => aad(i + 1, `${String(o.year).padStart(4, '0')}dddd`));
  const conversationIds = facilitatorIds.map((id) => personalConversationId(teamsUserId({ aadObjectId: id })));
  await pool.query(
    `INSERT INTO staff (aad_object_id, tenant_id, display_name, facilitator) SELECT id, $2, 'Facilitator', true FROM unnest($1::text[]) id
     ON CONFLICT DO NOTHING`,
    [facilitatorIds, STAFF_TENANT],
  );
  const refs = facilitatorIds.map((id, i) => {
    const userId = teamsUserId({ aadObjectId: id });
    return {
      conversation_id: conversationIds[i], aad: id,
      reference: { activityId: 'in-1', user: { id: userId, aadObjectId: id, name: '' }, bot: { id: '28:bot', name: 'RJ Referrals' },
        conversation: { id: conversationIds[i], conversationType: 'personal', tenantId: STAFF_TENANT }, channelId: 'msteams', serviceUrl: o.serviceUrl },
    };
  });
  await pool.query(
    `INSERT INTO conversation_refs (conversation_id, tenant_id, aad_object_id, conversation_type, service_url, reference)
     SELECT x.conversation_id, $2, x.aad, 'personal', $3, x.reference FROM jsonb_to_recordset($1::jsonb) AS x(conversation_id text, aad text, reference jsonb)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(refs), STAFF_TENANT, o.serviceUrl],
  );
  const stage = o.shape === 'pair' ? 'preparation' : 'assigning';
  const { rows } = await pool.query<{ id: string; ref_seq: number }>(
    `INSERT INTO cases (reference, ref_year, ref_seq, stage, eligibility, source, referrer_aad_id, referrer_tenant_id, offence_type,
                        offence_description, submission_key, created_at, last_activity_at, pair_confirmed_at)
     SELECT 'RJ-' || $1::int || '-' || lpad(g::text, 5, '0'), $1, g, $3, 'eligible', 'Metropolitan Police', $4, $5, 'burglary', 'bulk',
            gen_random_uuid()::text, $6, $6, CASE WHEN $3 = 'preparation' THEN $6::timestamptz END
     FROM generate_series(1, $2::int) g
     RETURNING id, ref_seq`,
    [o.year, o.n, stage, aad(1, 'eeeeeeee'), PARTNER_TENANT, new Date(o.at)],
  );
  rows.sort((a, b) => a.ref_seq - b.ref_seq);
  const caseIds = rows.map((r) => r.id);
  await pool.query(
    `INSERT INTO participants (case_id, role, name, aware)
     SELECT id, role, $2, true FROM unnest($1::uuid[]) id CROSS JOIN (VALUES ('harmed_person'), ('offender')) r(role)`,
    [caseIds, PARTICIPANT_NAME_MARK],
  );
  const perCase = o.shape === 'one_offer' ? 1 : 2;
  const offerCase: string[] = [];
  const offerFacilitator: string[] = [];
  caseIds.forEach((id, i) => {
    for (let k = 0; k < perCase; k += 1) {
      offerCase.push(id);
      offerFacilitator.push(facilitatorIds[(i * perCase + k) % facilitatorIds.length]!);
    }
  });
  await pool.query(
    `INSERT INTO offers (case_id, facilitator_aad_id, offered_by, offered_at, status, answered_at)
     SELECT c, f, 'coordinator', $3, $4, CASE WHEN $4 = 'accepted' THEN $3::timestamptz END FROM unnest($1::uuid[], $2::text[]) AS x(c, f)`,
    [offerCase, offerFacilitator, new Date(o.at), o.shape === 'pair' ? 'accepted' : 'offered'],
  );
  return { caseIds, facilitatorIds, conversationIds };
}
