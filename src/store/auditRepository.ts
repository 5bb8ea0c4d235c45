import type { Pool } from 'pg';
import type { AccessView, AuditEntry, ViewerRole } from '../domain/accessAudit';
import { normaliseAadId } from './rosterRepository';

export interface AccessRecord {
  caseId: string;
  actorAadId: string;
  role: ViewerRole;
  view: AccessView;
  at: Date;
}

/**
 * The access audit: views are appended to `case_access`, changes are read from `case_events` (both
 * append-only). A page merges the two, latest first, so a coordinator reads one story of the case.
 */
export class AuditRepository {
  constructor(private readonly pool: Pool) {}

  async recordView(r: AccessRecord): Promise<void> {
    await this.pool.query('INSERT INTO case_access (case_id, at, actor_aad_id, actor_role, view) VALUES ($1, $2, $3, $4, $5)', [
      r.caseId,
      r.at,
      normaliseAadId(r.actorAadId),
      r.role,
      r.view,
    ]);
  }

  async count(caseId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM case_access WHERE case_id = $1) + (SELECT count(*) FROM case_events WHERE case_id = $1))::int AS n`,
      [caseId],
    );
    return rows[0]?.n ?? 0;
  }

  /** One page of the audit, latest first; ties in time keep the order they were written in. */
  async page(caseId: string, opts: { limit: number; offset: number }): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<{ at: Date; actor_aad_id: string | null; role: string; kind: 'view' | 'change'; code: string }>(
      `SELECT at, actor_aad_id, role, kind, code FROM (
         SELECT at, id, actor_aad_id, actor_role AS role, 'view' AS kind, view AS code FROM case_access WHERE case_id = $1
         UNION ALL
         SELECT at, id, actor_aad_id, actor_role AS role, 'change' AS kind, type AS code FROM case_events WHERE case_id = $1
       ) audit
       ORDER BY at DESC, kind, id DESC
       LIMIT $2 OFFSET $3`,
      [caseId, opts.limit, opts.offset],
    );
    return rows.map((r) => ({ at: r.at, actorAadId: r.actor_aad_id, role: r.role, kind: r.kind, code: r.code }));
  }
}
