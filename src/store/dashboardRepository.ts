import { z } from 'zod';
import { PARTIES } from '../domain/caseState';
import type { DueKind, ScheduledDueItem } from '../domain/dueDates';
import { REPORT_EVENT_TYPES, type ReportCase, type ReportScreening } from '../domain/reports';
import type { CaseStage } from '../domain/vocabulary';
import { readCasesEvents, type CaseEventRecord } from './caseRepository';
import type { Queryable } from './db';
import { normaliseAadId } from './rosterRepository';
import { CLOSED_STAGES_SQL } from './stages';

/*
 * The reads behind the coordinators' dashboard. Which cases a person may see is decided by the
 * permission rules on the folded case (src/tab/readModel.ts); these queries only narrow the rows to
 * the candidates (all, a facilitator's accepted cases, a referrer's own referrals), so a page never
 * reads the whole caseload.
 */

export type DashboardScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'facilitator'; readonly aadObjectId: string }
  | { readonly kind: 'referrer'; readonly aadObjectId: string; readonly tenantId: string };

export interface PipelineQuery {
  /** 'open': every stage but closed and declined. */
  readonly stage?: CaseStage | 'open' | 'all';
  readonly source?: string;
  readonly facilitator?: string;
}

export interface PipelineCaseRow {
  readonly id: string;
  readonly reference: string;
  readonly stage: CaseStage;
  readonly source: string;
  readonly createdAt: Date;
  /** When the pair was first confirmed: first-contact reminders (and so the due lines) run from it. */
  readonly pairConfirmedAt: Date | null;
  readonly referrerAadId: string;
  readonly referrerTenantId: string;
  /** The due projection the reminder scheduler stored (case_due), if any: valid through that event id. */
  readonly due?: { readonly throughEventId: string | null; readonly schedule: readonly ScheduledDueItem[] };
}

const DUE_KINDS = ['first_contact', 'follow_up', 'conference', 'conference_outcome', 'agreement_review'] as const satisfies readonly DueKind[];
const instant = z.string().datetime({ offset: true }).transform((v) => new Date(v));
const storedSchedule = z.array(
  z.object({ kind: z.enum(DUE_KINDS), party: z.enum(PARTIES).optional(), due: instant, label: z.string(), shownFrom: instant.optional(), shownUntil: instant.optional() }),
);

/** A stored schedule back as the domain's items; a row that does not read back is treated as absent (the list folds instead). */
function scheduleOf(json: unknown): ScheduledDueItem[] | undefined {
  const parsed = storedSchedule.safeParse(json);
  if (!parsed.success) return undefined;
  return parsed.data.map((x) => ({ kind: x.kind, due: x.due, label: x.label, ...(x.party ? { party: x.party } : {}), ...(x.shownFrom ? { shownFrom: x.shownFrom } : {}), ...(x.shownUntil ? { shownUntil: x.shownUntil } : {}) }));
}


/** WHERE clause and parameters for a scope plus filters (the stage filter optional, for the counts). */
function where(scope: DashboardScope, q: PipelineQuery, withStage: boolean): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts: string[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (scope.kind === 'facilitator') {
    parts.push(`EXISTS (SELECT 1 FROM offers o WHERE o.case_id = c.id AND o.status = 'accepted' AND o.facilitator_aad_id = ${p(normaliseAadId(scope.aadObjectId))})`);
  } else if (scope.kind === 'referrer') {
    parts.push(`c.referrer_tenant_id = ${p(scope.tenantId)} AND c.referrer_aad_id = ${p(scope.aadObjectId)}`);
  }
  if (q.source) parts.push(`c.source = ${p(q.source)}`);
  if (q.facilitator) {
    parts.push(`EXISTS (SELECT 1 FROM offers o2 WHERE o2.case_id = c.id AND o2.status = 'accepted' AND o2.facilitator_aad_id = ${p(normaliseAadId(q.facilitator))})`);
  }
  if (withStage) {
    const stage = q.stage ?? 'open';
    if (stage === 'open') parts.push(`c.stage NOT IN ${CLOSED_STAGES_SQL}`);
    else if (stage !== 'all') parts.push(`c.stage = ${p(stage)}`);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export interface ReportInput {
  readonly cases: ReportCase[];
  readonly screenings: ReportScreening[];
}

export interface FacilitatorActivity {
  readonly aadObjectId: string;
  readonly lastActivityAt: Date | null;
}

export class DashboardRepository {
  constructor(private readonly db: Queryable) {}

  /** Cases per stage in the scope, with the source and facilitator filters but not the stage one. */
  async stageCounts(scope: DashboardScope, q: PipelineQuery): Promise<Map<CaseStage, number>> {
    const w = where(scope, q, false);
    const { rows } = await this.db.query<{ stage: CaseStage; n: number }>(`SELECT c.stage, count(*)::int AS n FROM cases c ${w.sql} GROUP BY c.stage`, w.params);
    return new Map(rows.map((r) => [r.stage, r.n]));
  }

  /**
   * One page of candidate cases, oldest reference first. With `overdueAt`, only open cases overdue at
   * that instant by the due projection the reminder scheduler keeps (case_due, migration 011).
   */
  async cases(scope: DashboardScope, q: PipelineQuery, page: { limit: number; offset: number; overdueAt?: Date }): Promise<PipelineCaseRow[]> {
    const w = where(scope, q, true);
    const params = [...w.params];
    let overdue = '';
    if (page.overdueAt) {
      params.push(page.overdueAt);
      overdue = `${w.sql ? ' AND' : 'WHERE'} c.stage NOT IN ${CLOSED_STAGES_SQL} AND d.overdue_from <= $${params.length}`;
    }
    const { rows } = await this.db.query<{ id: string; reference: string; stage: CaseStage; source: string; created_at: Date; pair_confirmed_at: Date | null; referrer_aad_id: string; referrer_tenant_id: string; schedule: unknown; through_event_id: string | null; projected: boolean }>(
      `SELECT c.id, c.reference, c.stage, c.source, c.created_at, c.pair_confirmed_at, c.referrer_aad_id, c.referrer_tenant_id,
              d.schedule, d.through_event_id::text AS through_event_id, d.case_id IS NOT NULL AS projected
       FROM cases c LEFT JOIN case_due d ON d.case_id = c.id ${w.sql}${overdue}
       ORDER BY c.ref_year, c.ref_seq
       LIMIT ${Math.trunc(page.limit)} OFFSET ${Math.trunc(page.offset)}`,
      params,
    );
    return rows.map((r) => {
      const schedule = r.projected ? scheduleOf(r.schedule) : undefined;
      return {
        id: r.id, reference: r.reference, stage: r.stage, source: r.source, createdAt: r.created_at, pairConfirmedAt: r.pair_confirmed_at, referrerAadId: r.referrer_aad_id, referrerTenantId: r.referrer_tenant_id,
        ...(schedule ? { due: { throughEventId: r.through_event_id, schedule } } : {}),
      };
    });
  }

  async caseByReference(reference: string): Promise<PipelineCaseRow | undefined> {
    const { rows } = await this.db.query<{ id: string; reference: string; stage: CaseStage; source: string; created_at: Date; pair_confirmed_at: Date | null; referrer_aad_id: string; referrer_tenant_id: string; offence_type: string }>(
      `SELECT id, reference, stage, source, created_at, pair_confirmed_at, referrer_aad_id, referrer_tenant_id FROM cases WHERE reference = $1`,
      [reference],
    );
    const r = rows[0];
    return r ? { id: r.id, reference: r.reference, stage: r.stage, source: r.source, createdAt: r.created_at, pairConfirmedAt: r.pair_confirmed_at, referrerAadId: r.referrer_aad_id, referrerTenantId: r.referrer_tenant_id } : undefined;
  }

  /** The offence type and flags shown on the case view (never the description or participants). */
  async caseHeader(caseId: string): Promise<{ offenceType: string; complex: boolean; extraCare: boolean } | undefined> {
    const { rows } = await this.db.query<{ offence_type: string; complex: boolean; extra_care: boolean }>('SELECT offence_type, complex, extra_care FROM cases WHERE id = $1', [caseId]);
    const r = rows[0];
    return r ? { offenceType: r.offence_type, complex: r.complex, extraCare: r.extra_care } : undefined;
  }

  events(caseIds: readonly string[]): Promise<Map<string, CaseEventRecord[]>> {
    return readCasesEvents(this.db, caseIds);
  }

  /** Staff names by object id, to label facilitators and timeline entries (the roster's list also counts caseloads, which a page does not need). */
  async staffNames(): Promise<Map<string, string>> {
    const { rows } = await this.db.query<{ aad_object_id: string; display_name: string }>('SELECT aad_object_id, display_name FROM staff');
    return new Map(rows.map((r) => [r.aad_object_id, r.display_name]));
  }

  /** Whether this person referred any case (the referrer role of the dashboard). */
  async hasReferrals(tenantId: string, aadObjectId: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM cases WHERE referrer_tenant_id = $1 AND referrer_aad_id = $2 LIMIT 1', [tenantId, aadObjectId]);
    return rows.length > 0;
  }

  /**
   * What the service report needs for a period: the cases referred in it and those with a contact
   * or a closure in it, with only the event types the report reads, and the period's screenings.
   */
  async reportInput(from: Date, to: Date): Promise<ReportInput> {
    const types = [...REPORT_EVENT_TYPES];
    const { rows } = await this.db.query<{ id: string; created_at: Date; source: string; events: { type: string; at: string; data: unknown }[] | null }>(
      `WITH scope AS (
         SELECT id FROM cases WHERE created_at >= $1 AND created_at < $2
         UNION
         SELECT case_id FROM case_events WHERE type IN ('contact_logged', 'case_closed', 'case_reopened') AND at >= $1 AND at < $2
       )
       SELECT c.id, c.created_at, c.source,
              (SELECT json_agg(json_build_object('type', e.type, 'at', e.at, 'data', e.data) ORDER BY e.id)
               FROM case_events e WHERE e.case_id = c.id AND e.type = ANY($3::text[])) AS events
       FROM scope s JOIN cases c ON c.id = s.id`,
      [from, to, types],
    );
    const cases: ReportCase[] = rows.map((r) => ({
      caseId: r.id,
      referredAt: r.created_at,
      source: r.source,
      events: (r.events ?? []).map((e) => ({ type: e.type, at: new Date(e.at), data: e.data })),
    }));
    const s = await this.db.query<{ at: Date; outcome: ReportScreening['outcome']; reason_codes: string[] }>(
      'SELECT at, outcome, reason_codes FROM screenings WHERE at >= $1 AND at < $2',
      [from, to],
    );
    return { cases, screenings: s.rows.map((r) => ({ at: r.at, outcome: r.outcome, reasonCodes: r.reason_codes })) };
  }

  /** The latest event each of these people recorded on any case. */
  async lastActivity(aadObjectIds: readonly string[]): Promise<Map<string, Date>> {
    if (aadObjectIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ actor_aad_id: string; at: Date }>(
      `SELECT a.id AS actor_aad_id, (SELECT max(e.at) FROM case_events e WHERE e.actor_aad_id = a.id) AS at
       FROM unnest($1::text[]) AS a(id)`,
      [[...aadObjectIds]],
    );
    return new Map(rows.filter((r) => r.at !== null).map((r) => [r.actor_aad_id, r.at]));
  }

  /** Referrers for the local dev sign-in's persona list (ids only). */
  async someReferrers(limit: number): Promise<{ aadObjectId: string; tenantId: string }[]> {
    const { rows } = await this.db.query<{ referrer_aad_id: string; referrer_tenant_id: string }>(
      'SELECT DISTINCT referrer_aad_id, referrer_tenant_id FROM cases ORDER BY referrer_tenant_id, referrer_aad_id LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ aadObjectId: r.referrer_aad_id, tenantId: r.referrer_tenant_id }));
  }
}
