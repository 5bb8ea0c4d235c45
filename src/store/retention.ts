import type { Pool } from 'pg';
import { ANONYMISED_TEXT } from '../domain/retention';
import type { Queryable } from './db';
import { CLOSED_STAGES_SQL } from './stages';

/**
 * The store's half of retention (issue 10, item 6; docs/DATA.md). Anonymising keeps what reporting
 * needs (reference, dates of the case, source, offence type, stages, outcome, the event log's codes)
 * and removes every personal value: it destroys the case's data keys (so every sealed value is
 * unreadable for good) and removes the values themselves: participants' names and details, the
 * referral's free text, the case notes, the referrer's phone and a conference's venue inside its event.
 */
export async function anonymiseCase(client: Queryable, caseId: string, at: Date): Promise<void> {
  // Every data key of the case (both participants' and the case's own): whatever was sealed under
  // them, wherever a copy of it survives (a backup, the event log's sealed venue), cannot be opened again.
  await destroyDataKeys(client, caseId, ['harmed_person', 'offender', 'case'], at);
  await client.query(
    `UPDATE participants SET name = $2, date_of_birth = NULL, borough = NULL, phone = NULL, email = NULL WHERE case_id = $1`,
    [caseId, ANONYMISED_TEXT],
  );
  await client.query(
    `UPDATE cases SET offence_description = $2, offence_date = NULL, crime_reference = NULL, prison = NULL, relationship = NULL,
       risk_notes = NULL, access_needs = NULL, referrer_phone = NULL, decline_reason = NULL, anonymised_at = $3
     WHERE id = $1`,
    [caseId, ANONYMISED_TEXT, at],
  );
  await client.query('DELETE FROM case_notes WHERE case_id = $1', [caseId]);
  await client.query('UPDATE offers SET decline_reason = NULL, withdrawn_reason = NULL WHERE case_id = $1', [caseId]);
  await client.query('UPDATE screenings SET re_refer_aad_id = NULL WHERE case_id = $1', [caseId]);
  // The one documented path that rewrites the event log (migration 014): only `data`, only here.
  await client.query("SET LOCAL rj.anonymising = 'on'");
  await client.query(
    `UPDATE case_events SET data = jsonb_set(data, '{venue}', to_jsonb($2::text))
     WHERE case_id = $1 AND type = 'conference_scheduled' AND data ? 'venue'`,
    [caseId, ANONYMISED_TEXT],
  );
  await client.query("SET LOCAL rj.anonymising = 'off'");
}

/** The retention reads and writes of one case, under its row lock (CaseLocks). */
export interface RetentionTx {
  /** When the case last closed (or was declined); null while it is open. */
  closedAt(): Promise<Date | null>;
  setLegalHold(since: Date | null): Promise<void>;
  anonymise(at: Date): Promise<void>;
}

/** When the case last closed (or was declined); null while it is open. */
export async function closedAtOf(client: Queryable, caseId: string): Promise<Date | null> {
  const { rows } = await client.query<{ closed_at: Date | null }>(
    `SELECT CASE WHEN c.stage IN ${CLOSED_STAGES_SQL} THEN
       (SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id AND e.type IN ('case_closed', 'referral_declined'))
     END AS closed_at
     FROM cases c WHERE c.id = $1`,
    [caseId],
  );
  return rows[0]?.closed_at ?? null;
}

/** Destroys data keys (migration 012): the wrapped key goes, the row stays to say when. */
export async function destroyDataKeys(client: Queryable, caseId: string, roles: readonly string[], at: Date): Promise<void> {
  await client.query(
    `UPDATE participant_keys SET wrapped_key = NULL, kid = NULL, destroyed_at = $3
     WHERE case_id = $1 AND role = ANY($2::text[]) AND destroyed_at IS NULL`,
    [caseId, [...roles], at],
  );
}

export async function setLegalHold(client: Queryable, caseId: string, since: Date | null): Promise<void> {
  await client.query('UPDATE cases SET legal_hold_since = $2 WHERE id = $1', [caseId, since]);
}

/** What the daily retention pass reads and deletes outside any one case. */
export class RetentionRepository {
  constructor(private readonly pool: Pool) {}

  /** Closed or declined cases, not anonymised and not on hold, that closed at or before `closedBefore`; oldest first. */
  async dueCases(closedBefore: Date, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT c.id FROM cases c
       JOIN LATERAL (
         SELECT max(e.at) AS closed_at FROM case_events e WHERE e.case_id = c.id AND e.type IN ('case_closed', 'referral_declined')
       ) closing ON true
       WHERE c.stage IN ${CLOSED_STAGES_SQL} AND c.anonymised_at IS NULL AND c.legal_hold_since IS NULL AND closing.closed_at <= $1
       ORDER BY closing.closed_at, c.id
       LIMIT $2`,
      [closedBefore, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Half-finished referral forms and other dialog state nobody has touched since `before`. */
  async deleteDrafts(before: Date): Promise<number> {
    const r = await this.pool.query('DELETE FROM bot_state WHERE updated_at < $1', [before]);
    return r.rowCount ?? 0;
  }

  /**
   * A screening keeps the referrer's id only to remind them on the sentencing date; once that
   * reminder has been decided (sent, dropped or failed for good), the id goes.
   */
  async clearFiredReReferrals(): Promise<number> {
    const r = await this.pool.query(
      `UPDATE screenings s SET re_refer_aad_id = NULL
       WHERE s.re_refer_aad_id IS NOT NULL
         AND EXISTS (SELECT 1 FROM reminder_deliveries d WHERE d.screening_id = s.id AND d.status IN ('sent', 'dropped', 'failed'))`,
    );
    return r.rowCount ?? 0;
  }
}
