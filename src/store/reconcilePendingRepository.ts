import type { Pool } from 'pg';

/** What a pending reconcile is about: one case, one screening's re-refer, or everything (`ALL_OWNERS`). */
export type PendingKind = 'case' | 'screening' | 'all';
/** The owner id of the `all` row. */
export const ALL_OWNERS = '*';

export interface PendingReconcile {
  kind: PendingKind;
  ownerId: string;
  /** As read when claimed; `clear` deletes the row only if it is still this. */
  failures: number;
}

export interface PendingRow extends PendingReconcile {
  nextAttemptAt: Date;
  lastError: string | null;
}

/** The wait after failure n is min(capMs, baseMs * 2^(n-1)). */
export interface RetryBackoff {
  baseMs: number;
  capMs: number;
}

const MAX_ERROR_CHARS = 200;

/**
 * The reconciles owed after a failure (migration 007). Times are PostgreSQL's: the backoff is a
 * duration on the database's clock, shared by every worker process, never a time of day.
 */
export class ReconcilePendingRepository {
  constructor(private readonly pool: Pool) {}

  /** Records (or counts another) failure for each owner and schedules the next attempt after the backoff. */
  async record(kind: PendingKind, ownerIds: readonly string[], error: string, backoff: RetryBackoff): Promise<void> {
    if (ownerIds.length === 0) return;
    await this.pool.query(
      `INSERT INTO reconcile_pending AS p (owner_kind, owner_id, failures, next_attempt_at, last_error)
       SELECT $1, id, 1, now() + make_interval(secs => $4::float8 / 1000), $3 FROM unnest($2::text[]) AS id
       ON CONFLICT (owner_kind, owner_id) DO UPDATE
         SET failures = p.failures + 1,
             next_attempt_at = now() + make_interval(secs => least($5::float8, $4::float8 * power(2, p.failures)) / 1000),
             last_error = EXCLUDED.last_error`,
      [kind, [...new Set(ownerIds.map((id) => id.toLowerCase()))], error.slice(0, MAX_ERROR_CHARS), backoff.baseMs, backoff.capMs],
    );
  }

  /**
   * Takes up to `limit` rows that are due and moves their next attempt `leaseMs` ahead, so another
   * worker process does not retry them at the same time; a worker that dies leaves them due again then.
   */
  async claimDue(limit: number, leaseMs: number): Promise<PendingReconcile[]> {
    const { rows } = await this.pool.query<{ owner_kind: PendingKind; owner_id: string; failures: number }>(
      `UPDATE reconcile_pending p SET next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
       FROM (SELECT owner_kind, owner_id FROM reconcile_pending WHERE next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE p.owner_kind = due.owner_kind AND p.owner_id = due.owner_id
       RETURNING p.owner_kind, p.owner_id, p.failures`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({ kind: r.owner_kind, ownerId: r.owner_id, failures: r.failures }));
  }

  /** Deletes the rows reconciled, unless a newer failure was recorded for one since it was claimed. */
  async clear(done: readonly PendingReconcile[]): Promise<void> {
    if (done.length === 0) return;
    await this.pool.query(
      `DELETE FROM reconcile_pending p USING unnest($1::text[], $2::text[], $3::int[]) AS d(kind, id, failures)
       WHERE p.owner_kind = d.kind AND p.owner_id = d.id AND p.failures = d.failures`,
      [done.map((d) => d.kind), done.map((d) => d.ownerId), done.map((d) => d.failures)],
    );
  }

  /** Makes every row due now: Redis is back, so there is no reason to wait out the backoff. */
  async makeAllDue(): Promise<number> {
    const r = await this.pool.query('UPDATE reconcile_pending SET next_attempt_at = now() WHERE next_attempt_at > now()');
    return r.rowCount ?? 0;
  }

  /** Every row, oldest first (operators, tests). */
  async list(): Promise<PendingRow[]> {
    const { rows } = await this.pool.query<{ owner_kind: PendingKind; owner_id: string; failures: number; next_attempt_at: Date; last_error: string | null }>(
      'SELECT owner_kind, owner_id, failures, next_attempt_at, last_error FROM reconcile_pending ORDER BY first_failed_at, owner_kind, owner_id',
    );
    return rows.map((r) => ({ kind: r.owner_kind, ownerId: r.owner_id, failures: r.failures, nextAttemptAt: r.next_attempt_at, lastError: r.last_error }));
  }
}
