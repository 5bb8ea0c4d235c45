import type { Pool, PoolClient } from 'pg';
import { foldCaseLog, type CaseProgress, type StoredEvent } from '../domain/caseProgress';
import { reminderCaseView, REMINDER_VIEW_EVENT_TYPES, type DueCase, type DueProjection } from '../domain/dueDates';
import type {
  Delivery,
  OfferView,
  ReminderCaseView,
  ScreenedOutReferral,
  Snooze,
} from '../domain/reminderPolicy';
import type { AssignmentView } from '../domain/permissions';
import type { CaseStage } from '../domain/vocabulary';
import { withTransaction, type Queryable } from './db';
import { isUuid } from '../shared/ids';
import { toJsonParam } from './types';
import { CLOSED_STAGES_SQL } from './stages';

/*
 * Everything the reminder scheduler and worker read from and write to PostgreSQL. Views are built set
 * based (one query per table for a whole batch of cases), never per case, so reconciling every open
 * case at start-up is a handful of queries per thousand cases.
 */

export type DeliveryStatus = 'sending' | 'sent' | 'dropped' | 'failed';

/** One reminder the worker is about to send, as recorded by `claim`. */
export interface DeliveryClaim {
  readonly reminderId: string;
  readonly caseId: string | null;
  readonly screeningId: string | null;
  readonly rule: string;
  /** `coordinators` or `person-<aad>`, as in the reminder id. */
  readonly recipient: string;
  readonly dueAt: Date;
}

export interface DeliveryRecord {
  readonly reminderId: string;
  readonly caseId: string | null;
  readonly screeningId: string | null;
  readonly rule: string;
  readonly recipient: string;
  readonly dueAt: Date;
  readonly decidedAt: Date;
  readonly status: DeliveryStatus;
  /** While 'sending': until when the claiming worker owns it. */
  readonly leaseUntil: Date | null;
  readonly sentAt: Date | null;
  readonly conversationId: string | null;
  readonly activityId: string | null;
  readonly error: string | null;
  readonly attempts: number;
}

/** A screening whose referrer asked to be reminded on the sentencing date. */
export interface ReReferView extends ScreenedOutReferral {
  readonly tenantId: string;
}

/** What `dueProjection` reads for one case: the row's columns and the log folded as for its view. */
export interface DueSource {
  readonly case: DueCase;
  readonly progress: CaseProgress;
}

/** A stored due item: dueSchedule's, with instants as ISO strings. */
export interface StoredDueItem {
  readonly kind: string;
  readonly party?: string;
  readonly due: string;
  readonly label: string;
  readonly shownFrom?: string;
  readonly shownUntil?: string;
}

/**
 * Given to the callback of `withCasesLocked`: the locked cases' due sources, and the write of their
 * due projection (table case_due, the dashboard's) inside the same transaction. An id with no
 * projection (a closed or unknown case) loses its row.
 */
export interface LockedCases {
  readonly dueSources: ReadonlyMap<string, DueSource>;
  saveDueProjection(projections: ReadonlyMap<string, DueProjection | null>, computedAt: Date): Promise<void>;
}

export type SnoozeResult =
  | { readonly ok: true; readonly count: number; readonly until: Date }
  | { readonly ok: false; readonly reason: 'limit'; readonly count: number };

interface CaseRow {
  id: string;
  reference: string;
  stage: CaseStage;
  created_at: Date;
  last_activity_at: Date;
  pair_confirmed_at: Date | null;
}

interface OfferRow {
  id: string;
  case_id: string;
  facilitator_aad_id: string;
  status: 'offered' | 'accepted' | 'declined' | 'withdrawn';
  offered_at: Date;
  answered_at: Date | null;
}

interface EventRow {
  case_id: string;
  id: string;
  type: string;
  at: Date;
  actor_aad_id: string | null;
  data: Readonly<Record<string, unknown>>;
}

interface DeliveryRow {
  reminder_id: string;
  case_id: string | null;
  screening_id: string | null;
  rule: string;
  recipient: string;
  due_at: Date;
  decided_at: Date;
  status: DeliveryStatus;
  lease_until: Date | null;
  sent_at: Date | null;
  conversation_id: string | null;
  activity_id: string | null;
  error: string | null;
  attempts: number;
}

const DELIVERY_COLUMNS =
  'reminder_id, case_id, screening_id, rule, recipient, due_at, decided_at, status, lease_until, sent_at, conversation_id, activity_id, error, attempts';

/** Keeps the advisory locks of reminder reconciliation apart from any other user of advisory locks. */
const LOCK_NAMESPACE = 'rj-reminders';

export interface ReminderRepositoryOptions {
  /** Business time for decided/sent instants, which feed the policy's repeating rules. */
  now?: () => Date;
}

export class ReminderRepository {
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    opts: ReminderRepositoryOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  // ---- views --------------------------------------------------------------------------------------

  /** The case's view for the policy (closed cases included: the policy gives them none). */
  async caseView(caseId: string): Promise<ReminderCaseView | undefined> {
    return (await this.caseViews([caseId])).get(caseId);
  }

  /** Views of the given cases, keyed by id; unknown or malformed ids are simply absent. */
  async caseViews(caseIds: readonly string[], db: Queryable = this.pool): Promise<Map<string, ReminderCaseView>> {
    return (await this.readCases(caseIds, db)).views;
  }

  private async readCases(caseIds: readonly string[], db: Queryable): Promise<{ views: Map<string, ReminderCaseView>; dueSources: Map<string, DueSource> }> {
    const ids = [...new Set(caseIds.filter(isUuid).map((id) => id.toLowerCase()))];
    if (ids.length === 0) return { views: new Map(), dueSources: new Map() };
    const { rows } = await db.query<CaseRow>(
      'SELECT id, reference, stage, created_at, last_activity_at, pair_confirmed_at FROM cases WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return this.buildViews(db, rows);
  }

  /**
   * Ids of open cases in batches of `batchSize`, in id order (keyset pagination, so a batch costs the
   * same however far in it is).
   */
  async *openCaseIdBatches(batchSize: number): AsyncGenerator<string[]> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const { rows } = await this.pool.query<{ id: string }>(
        `SELECT id FROM cases WHERE stage NOT IN ${CLOSED_STAGES_SQL} AND id > $1::uuid ORDER BY id LIMIT $2`,
        [after, batchSize],
      );
      const last = rows[rows.length - 1];
      if (!last) return;
      yield rows.map((r) => r.id);
      if (rows.length < batchSize) return;
      after = last.id;
    }
  }

  /**
   * Runs `fn` while holding a transaction-scoped advisory lock per case (taken in id order, so two
   * callers never deadlock), with the cases' views read after the locks are granted. Reconciles of
   * one case therefore run one after another, each seeing every change committed before it started,
   * and a slow one can never undo a newer one's schedule.
   */
  async withCasesLocked<T>(caseIds: readonly string[], fn: (views: Map<string, ReminderCaseView>, locked: LockedCases) => Promise<T>): Promise<T> {
    const ids = [...new Set(caseIds.filter(isUuid).map((id) => id.toLowerCase()))].sort();
    return withTransaction(this.pool, async (client: PoolClient) => {
      if (ids.length > 0) {
        await client.query(
          `SELECT pg_advisory_xact_lock(hashtext($2), hashtext(id)) FROM unnest($1::text[]) AS id ORDER BY id`,
          [ids, LOCK_NAMESPACE],
        );
      }
      const { views, dueSources } = await this.readCases(ids, client);
      const latest = ids.length === 0 ? { rows: [] } : await client.query<{ case_id: string; id: string }>(
        'SELECT case_id, max(id)::text AS id FROM case_events WHERE case_id = ANY($1::uuid[]) GROUP BY case_id',
        [ids],
      );
      const through = new Map(latest.rows.map((r) => [r.case_id, r.id]));
      return fn(views, { dueSources, saveDueProjection: (projections, computedAt) => saveDueProjection(client, projections, through, computedAt) });
    });
  }

  /** Deletes the due projection of cases that are closed (reconcileAll walks only open ones). */
  async dropClosedDueProjections(): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM case_due d USING cases c WHERE c.id = d.case_id AND c.stage IN ${CLOSED_STAGES_SQL}`);
    return rowCount ?? 0;
  }

  private async buildViews(db: Queryable, cases: readonly CaseRow[]): Promise<{ views: Map<string, ReminderCaseView>; dueSources: Map<string, DueSource> }> {
    const out = new Map<string, ReminderCaseView>();
    const dueSources = new Map<string, DueSource>();
    if (cases.length === 0) return { views: out, dueSources };
    const ids = cases.map((c) => c.id);
    // Sequential on purpose: `db` may be one client inside a transaction, which cannot run two at once.
    const offers = await db.query<OfferRow>(
      `SELECT id, case_id, facilitator_aad_id, status, offered_at, answered_at FROM offers
       WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, offered_at, id`,
      [ids],
    );
    const participants = await db.query<{ id: string; case_id: string; role: string }>(
      'SELECT id, case_id, role FROM participants WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, role',
      [ids],
    );
    // Only the event types the view reads (the rest of the log cannot change it; see dueDates.ts).
    const events = await db.query<EventRow>(
      `SELECT case_id, id::text AS id, type, at, actor_aad_id, data FROM case_events
       WHERE case_id = ANY($1::uuid[]) AND type = ANY($2::text[]) ORDER BY case_id, id`,
      [ids, [...REMINDER_VIEW_EVENT_TYPES]],
    );
    const snoozes = await db.query<{ case_id: string; reminder_key: string; until: Date }>(
      'SELECT case_id, reminder_key, until FROM reminder_snoozes WHERE case_id = ANY($1::uuid[])',
      [ids],
    );
    // 'sending' is left out on purpose: a claim whose worker died must still be delivered, and the
    // claim itself (not the policy) keeps a live one from being sent twice. 'dropped' is left out so a
    // reminder that stops applying and later applies again (a reopened case) still fires.
    const deliveries = await db.query<{ case_id: string; reminder_id: string; at: Date }>(
      `SELECT case_id, reminder_id, COALESCE(sent_at, decided_at) AS at FROM reminder_deliveries
       WHERE case_id = ANY($1::uuid[]) AND status IN ('sent', 'failed')`,
      [ids],
    );

    const offersBy = groupBy(offers.rows, (r) => r.case_id);
    const participantsBy = groupBy(participants.rows, (r) => r.case_id);
    const eventsBy = groupBy(events.rows, (r) => r.case_id);
    const snoozesBy = groupBy(snoozes.rows, (r) => r.case_id);
    const deliveriesBy = groupBy(deliveries.rows, (r) => r.case_id);

    for (const c of cases) {
      const caseOffers = offersBy.get(c.id) ?? [];
      // Lenient on purpose: a malformed event is skipped, so it cannot stop the other cases' reminders.
      const progress = foldCaseLog((eventsBy.get(c.id) ?? []).map(toStoredEvent));
      const view = reminderCaseView(
        {
          caseId: c.id,
          caseReference: c.reference,
          stage: c.stage,
          submittedAt: c.created_at,
          lastActivityAt: c.last_activity_at,
          pairConfirmedAt: c.pair_confirmed_at,
          acceptedFacilitators: caseOffers.filter((o) => o.status === 'accepted').map((o) => o.facilitator_aad_id),
          participants: (participantsBy.get(c.id) ?? []).map((p) => ({ participantId: p.id, role: p.role })),
          offers: caseOffers.map(toOfferView),
          snoozes: (snoozesBy.get(c.id) ?? []).map((s): Snooze => ({ reminderKey: s.reminder_key, until: s.until })),
          deliveries: (deliveriesBy.get(c.id) ?? []).map((d): Delivery => ({ reminderId: d.reminder_id, deliveredAt: d.at })),
        },
        progress,
      );
      out.set(c.id, view);
      dueSources.set(c.id, { case: { id: c.id, reference: c.reference, stage: c.stage, createdAt: c.created_at, pairConfirmedAt: c.pair_confirmed_at }, progress });
    }
    return { views: out, dueSources };
  }

  // ---- re-refer -----------------------------------------------------------------------------------

  /**
   * Screenings still waiting for their re-refer reminder (asked for, and not yet sent or failed).
   * Without ids: all of them, for start-up reconciliation.
   */
  async reReferViews(screeningIds?: readonly string[]): Promise<ReReferView[]> {
    const ids = screeningIds ? [...new Set(screeningIds.filter(isUuid))] : undefined;
    if (ids && ids.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string; tenant_id: string; re_refer_aad_id: string; sentencing_date: string }>(
      `SELECT s.id, s.tenant_id, s.re_refer_aad_id, to_char(s.sentencing_date, 'YYYY-MM-DD') AS sentencing_date
       FROM screenings s
       WHERE s.re_refer_aad_id IS NOT NULL AND s.sentencing_date IS NOT NULL
         AND ($1::uuid[] IS NULL OR s.id = ANY($1::uuid[]))
         AND NOT EXISTS (SELECT 1 FROM reminder_deliveries d WHERE d.screening_id = s.id AND d.status IN ('sent', 'failed'))
       ORDER BY s.id`,
      [ids ?? null],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, referrerAadObjectId: r.re_refer_aad_id, sentencingDate: r.sentencing_date }));
  }

  // ---- the delivery ledger ------------------------------------------------------------------------

  /**
   * Records the decision to send, in one statement: returns the ids this caller now owns, each with
   * the number of times it has been claimed (this one included), which counts delivery attempts. A reminder
   * already sent or failed is never returned; one being sent is returned only once its lease has run
   * out (its worker died), so a retry or a second worker cannot ping twice while the first is alive.
   * Rows are inserted in id order so concurrent claims of overlapping sets do not deadlock, and the
   * first claimant takes the whole overlap (a digest is not split).
   */
  async claim(claims: readonly DeliveryClaim[], leaseMs: number): Promise<Map<string, number>> {
    if (claims.length === 0) return new Map();
    const sorted = [...claims].sort((a, b) => (a.reminderId < b.reminderId ? -1 : a.reminderId > b.reminderId ? 1 : 0));
    const { rows } = await this.pool.query<{ reminder_id: string; attempts: number }>(
      `INSERT INTO reminder_deliveries AS d (reminder_id, case_id, screening_id, rule, recipient, due_at, decided_at, status, lease_until, attempts)
       SELECT x.reminder_id, x.case_id, x.screening_id, x.rule, x.recipient, x.due_at, $2::timestamptz, 'sending',
              now() + make_interval(secs => $3::double precision / 1000), 1
       FROM jsonb_to_recordset($1::jsonb) AS x(reminder_id text, case_id uuid, screening_id uuid, rule text, recipient text, due_at timestamptz)
       ORDER BY x.reminder_id
       ON CONFLICT (reminder_id) DO UPDATE SET
         status = 'sending',
         decided_at = EXCLUDED.decided_at,
         lease_until = EXCLUDED.lease_until,
         attempts = d.attempts + 1
       WHERE d.status = 'dropped' OR (d.status = 'sending' AND (d.lease_until IS NULL OR d.lease_until < now()))
       RETURNING d.reminder_id, d.attempts`,
      [
        claimRows(sorted),
        this.now(),
        leaseMs,
      ],
    );
    return new Map(rows.map((r) => [r.reminder_id, r.attempts]));
  }

  async markSent(ids: readonly string[], sent: { conversationId: string | null; activityId: string | null }): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE reminder_deliveries SET status = 'sent', sent_at = $2, conversation_id = $3, activity_id = $4,
              lease_until = NULL, error = NULL
       WHERE reminder_id = ANY($1::text[]) AND status = 'sending'`,
      [[...ids], this.now(), sent.conversationId, sent.activityId],
    );
  }

  /** Final: the policy treats a failed reminder as dealt with, so it is not retried in a loop. */
  async markFailed(ids: readonly string[], error: string): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE reminder_deliveries SET status = 'failed', error = $2, lease_until = NULL, decided_at = $3
       WHERE reminder_id = ANY($1::text[]) AND status = 'sending'`,
      [[...ids], error, this.now()],
    );
  }

  /** A transient failure: the claim stays, its lease ends now so the queued retry can take it again. */
  async release(ids: readonly string[], error: string): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE reminder_deliveries SET lease_until = now() - interval '1 millisecond', error = $2
       WHERE reminder_id = ANY($1::text[]) AND status = 'sending'`,
      [[...ids], error],
    );
  }

  /** Records reminders the worker found no longer applying; never overwrites a real delivery. */
  async markDropped(claims: readonly DeliveryClaim[], reason: string): Promise<void> {
    if (claims.length === 0) return;
    await this.pool.query(
      `INSERT INTO reminder_deliveries (reminder_id, case_id, screening_id, rule, recipient, due_at, decided_at, status, error)
       SELECT x.reminder_id, x.case_id, x.screening_id, x.rule, x.recipient, x.due_at, $2::timestamptz, 'dropped', $3
       FROM jsonb_to_recordset($1::jsonb) AS x(reminder_id text, case_id uuid, screening_id uuid, rule text, recipient text, due_at timestamptz)
       ORDER BY x.reminder_id
       ON CONFLICT (reminder_id) DO NOTHING`,
      [
        claimRows(claims),
        this.now(),
        reason,
      ],
    );
  }

  async deliveries(ids: readonly string[]): Promise<Map<string, DeliveryRecord>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM reminder_deliveries WHERE reminder_id = ANY($1::text[])`,
      [[...ids]],
    );
    return new Map(rows.map((r) => [r.reminder_id, toDelivery(r)]));
  }

  /** Every ledger row of a case (tests, the case timeline), oldest decision first. */
  async deliveriesOfCase(caseId: string): Promise<DeliveryRecord[]> {
    if (!isUuid(caseId)) return [];
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM reminder_deliveries WHERE case_id = $1 ORDER BY decided_at, reminder_id`,
      [caseId],
    );
    return rows.map(toDelivery);
  }

  /** Who works on the case, for permission checks on reminder actions; undefined for an unknown case. */
  async assignmentView(caseId: string): Promise<AssignmentView | undefined> {
    if (!isUuid(caseId)) return undefined;
    const { rows } = await this.pool.query<{ facilitator_aad_id: string | null; status: OfferRow['status'] | null }>(
      `SELECT o.facilitator_aad_id, o.status FROM cases c
       LEFT JOIN offers o ON o.case_id = c.id AND o.status IN ('offered', 'accepted', 'declined')
       WHERE c.id = $1`,
      [caseId],
    );
    if (rows.length === 0) return undefined;
    const offers = rows.flatMap((r) =>
      r.facilitator_aad_id !== null && r.status !== null && r.status !== 'withdrawn' ? [{ facilitatorAadId: r.facilitator_aad_id, status: r.status }] : [],
    );
    return { acceptedFacilitators: offers.filter((o) => o.status === 'accepted').map((o) => o.facilitatorAadId), offers };
  }

  // ---- snoozes ------------------------------------------------------------------------------------

  /**
   * Snoozes a reminder until `until`, at most `max` times per reminder key. The snooze and a
   * `reminder_snoozed` case event are written together; the event does not count as activity on the
   * case (snoozing a stale-case reminder must not make the case look active).
   */
  async snooze(input: { reminderKey: string; caseId: string; until: Date; byAadId: string; actorRole: string; max: number }): Promise<SnoozeResult> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ count: number; until: Date }>(
        `INSERT INTO reminder_snoozes (reminder_key, case_id, until, count, by_aad_id, at)
         VALUES ($1, $2, $3, 1, $4, $5)
         ON CONFLICT (reminder_key) DO UPDATE SET
           until = GREATEST(reminder_snoozes.until, EXCLUDED.until),
           count = reminder_snoozes.count + 1, by_aad_id = EXCLUDED.by_aad_id, at = EXCLUDED.at
         WHERE reminder_snoozes.count < $6 AND reminder_snoozes.case_id = EXCLUDED.case_id
         RETURNING count, until`,
        [input.reminderKey, input.caseId, input.until, input.byAadId, this.now(), input.max],
      );
      const row = rows[0];
      if (!row) {
        const current = await client.query<{ count: number }>('SELECT count FROM reminder_snoozes WHERE reminder_key = $1', [input.reminderKey]);
        return { ok: false, reason: 'limit', count: current.rows[0]?.count ?? input.max };
      }
      await client.query(
        `INSERT INTO case_events (case_id, actor_aad_id, actor_role, type, data) VALUES ($1, $2, $3, 'reminder_snoozed', $4::jsonb)`,
        [input.caseId, input.byAadId, input.actorRole, toJsonParam({ reminderKey: input.reminderKey, until: row.until.toISOString(), count: row.count })],
      );
      return { ok: true, count: row.count, until: row.until };
    });
  }

  async snoozeCount(reminderKey: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>('SELECT count FROM reminder_snoozes WHERE reminder_key = $1', [reminderKey]);
    return rows[0]?.count ?? 0;
  }

  // ---- a sent reminder card, read back --------------------------------------------------------------

  /** The id of the latest sent delivery of a reminder key (cards sent before they carried the id). */
  async latestSentId(reminderKey: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ reminder_id: string }>(
      `SELECT reminder_id FROM reminder_deliveries
       WHERE left(reminder_id, length($1) + 1) = $1 || '|' AND status = 'sent'
       ORDER BY sent_at DESC, reminder_id DESC LIMIT 1`,
      [reminderKey],
    );
    return rows[0]?.reminder_id;
  }

  /**
   * What one sent reminder card held, from the ledger: the sent reminder and every other reminder sent
   * as the same message (the same activity in the same conversation: one digest card, or one part of
   * it), in the card's order, with what their lines need (case reference, participant role, offer,
   * conference time, sentencing date) and each one's snooze. Undefined when no such reminder was sent.
   */
  async sentCard(reminderId: string): Promise<SentReminderCard | undefined> {
    const { rows } = await this.pool.query<{ reminder_id: string; case_id: string | null; screening_id: string | null; due_at: Date; sent_at: Date | null; reference: string | null }>(
      `WITH me AS (SELECT reminder_id, conversation_id, activity_id FROM reminder_deliveries WHERE reminder_id = $1 AND status = 'sent')
       SELECT d.reminder_id, d.case_id, d.screening_id, d.due_at, d.sent_at, c.reference
       FROM me JOIN reminder_deliveries d
         ON d.reminder_id = me.reminder_id
         OR (me.activity_id IS NOT NULL AND d.status = 'sent' AND d.activity_id = me.activity_id AND d.conversation_id IS NOT DISTINCT FROM me.conversation_id)
       LEFT JOIN cases c ON c.id = d.case_id
       ORDER BY d.due_at, c.reference NULLS FIRST, d.reminder_id`,
      [reminderId],
    );
    if (rows.length === 0) return undefined;
    const caseIds = [...new Set(rows.flatMap((r) => (r.case_id ? [r.case_id] : [])))];
    const screeningIds = [...new Set(rows.flatMap((r) => (r.screening_id ? [r.screening_id] : [])))];
    const participants = await this.pool.query<{ id: string; role: string }>('SELECT id, role FROM participants WHERE case_id = ANY($1::uuid[])', [caseIds]);
    const offers = await this.pool.query<{ id: string; facilitator_aad_id: string; status: OfferRow['status'] }>(
      'SELECT id, facilitator_aad_id, status FROM offers WHERE case_id = ANY($1::uuid[])',
      [caseIds],
    );
    // The latest scheduling of each conference gives its time (rescheduling the same one moves it).
    const conferences = await this.pool.query<{ conference_id: string; starts_at: string }>(
      `SELECT DISTINCT ON (data->>'conferenceId') data->>'conferenceId' AS conference_id, data->>'startsAt' AS starts_at
       FROM case_events WHERE case_id = ANY($1::uuid[]) AND type = 'conference_scheduled' ORDER BY data->>'conferenceId', id DESC`,
      [caseIds],
    );
    const screenings = await this.pool.query<{ id: string; sentencing_date: string | null }>(
      "SELECT id, to_char(sentencing_date, 'YYYY-MM-DD') AS sentencing_date FROM screenings WHERE id = ANY($1::uuid[])",
      [screeningIds],
    );
    const snoozes = await this.pool.query<{ reminder_key: string; until: Date; count: number; at: Date }>(
      'SELECT reminder_key, until, count, at FROM reminder_snoozes WHERE case_id = ANY($1::uuid[])',
      [caseIds],
    );
    return {
      reminders: rows.map((r) => ({ reminderId: r.reminder_id, caseId: r.case_id, screeningId: r.screening_id, caseReference: r.reference, dueAt: r.due_at, sentAt: r.sent_at })),
      participantRoles: new Map(participants.rows.map((p) => [p.id, p.role])),
      offers: new Map(offers.rows.map((o) => [o.id, { facilitatorAadId: o.facilitator_aad_id, status: o.status }])),
      conferenceStarts: new Map(conferences.rows.map((c) => [c.conference_id, c.starts_at])),
      sentencingDates: new Map(screenings.rows.flatMap((x) => (x.sentencing_date ? [[x.id, x.sentencing_date] as const] : []))),
      snoozes: new Map(snoozes.rows.map((x) => [x.reminder_key, { until: x.until, count: x.count, at: x.at }])),
    };
  }
}

/** A sent reminder card as the ledger and the cases have it now (see ReminderRepository.sentCard). */
export interface SentReminderCard {
  readonly reminders: readonly { reminderId: string; caseId: string | null; screeningId: string | null; caseReference: string | null; dueAt: Date; sentAt: Date | null }[];
  readonly participantRoles: ReadonlyMap<string, string>;
  readonly offers: ReadonlyMap<string, { facilitatorAadId: string; status: OfferRow['status'] }>;
  readonly conferenceStarts: ReadonlyMap<string, string>;
  readonly sentencingDates: ReadonlyMap<string, string>;
  readonly snoozes: ReadonlyMap<string, { until: Date; count: number; at: Date }>;
}

function toStoredEvent(e: EventRow): StoredEvent {
  return { id: e.id, at: e.at, actorAadId: e.actor_aad_id, type: e.type, data: e.data };
}

function toOfferView(o: OfferRow): OfferView {
  return {
    offerId: o.id,
    facilitatorAadObjectId: o.facilitator_aad_id,
    offeredAt: o.offered_at,
    ...(o.status === 'accepted' || o.status === 'declined' ? { answeredAt: o.answered_at ?? o.offered_at } : {}),
    // The policy only asks whether it was withdrawn; offers keep no withdrawal instant.
    ...(o.status === 'withdrawn' ? { withdrawnAt: o.answered_at ?? o.offered_at } : {}),
  };
}

function toDelivery(r: DeliveryRow): DeliveryRecord {
  return {
    reminderId: r.reminder_id,
    caseId: r.case_id,
    screeningId: r.screening_id,
    rule: r.rule,
    recipient: r.recipient,
    dueAt: r.due_at,
    decidedAt: r.decided_at,
    status: r.status,
    leaseUntil: r.lease_until,
    sentAt: r.sent_at,
    conversationId: r.conversation_id,
    activityId: r.activity_id,
    error: r.error,
    attempts: r.attempts,
  };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}

/** Claims as the JSON rows the ledger's `jsonb_to_recordset` statements read. */
function claimRows(claims: readonly DeliveryClaim[]): string {
  return toJsonParam(
    claims.map((c) => ({
      reminder_id: c.reminderId,
      case_id: c.caseId,
      screening_id: c.screeningId,
      rule: c.rule,
      recipient: c.recipient,
      due_at: c.dueAt.toISOString(),
    })),
  );
}

/** Upserts the projections given, deletes the rows of ids given null (closed or unknown cases). */
async function saveDueProjection(db: Queryable, projections: ReadonlyMap<string, DueProjection | null>, through: ReadonlyMap<string, string>, computedAt: Date): Promise<void> {
  const kept = [...projections].flatMap(([id, p]) => (p && isUuid(id) ? [{ id: id.toLowerCase(), p }] : []));
  const gone = [...projections].flatMap(([id, p]) => (!p && isUuid(id) ? [id.toLowerCase()] : []));
  if (gone.length > 0) await db.query('DELETE FROM case_due WHERE case_id = ANY($1::uuid[])', [gone]);
  if (kept.length === 0) return;
  const stored = (p: DueProjection): StoredDueItem[] =>
    p.schedule.map((x) => ({
      kind: x.kind,
      ...(x.party ? { party: x.party } : {}),
      due: x.due.toISOString(),
      label: x.label,
      ...(x.shownFrom ? { shownFrom: x.shownFrom.toISOString() } : {}),
      ...(x.shownUntil ? { shownUntil: x.shownUntil.toISOString() } : {}),
    }));
  await db.query(
    `INSERT INTO case_due (case_id, overdue_from, next_due_at, next_due_kind, schedule, through_event_id, computed_at)
     SELECT x.id, x.overdue_from, x.next_due_at, x.next_due_kind, x.schedule, x.through_event_id, $7::timestamptz
     FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::jsonb[], $6::bigint[])
          AS x(id, overdue_from, next_due_at, next_due_kind, schedule, through_event_id)
     ON CONFLICT (case_id) DO UPDATE SET overdue_from = EXCLUDED.overdue_from, next_due_at = EXCLUDED.next_due_at,
       next_due_kind = EXCLUDED.next_due_kind, schedule = EXCLUDED.schedule, through_event_id = EXCLUDED.through_event_id,
       computed_at = EXCLUDED.computed_at`,
    [
      kept.map((k) => k.id),
      kept.map((k) => k.p.overdueFrom),
      kept.map((k) => k.p.next?.due ?? null),
      kept.map((k) => k.p.next?.kind ?? null),
      kept.map((k) => JSON.stringify(stored(k.p))),
      kept.map((k) => through.get(k.id) ?? null),
      computedAt,
    ],
  );
}
