import type { Pool } from 'pg';
import type { Queryable } from './db';

/** A Teams message that showed a case's details to one reader in their 1:1 chat (migration 017). */
export interface ShownCaseCard {
  caseId: string;
  conversationId: string;
  activityId: string;
  aadObjectId: string;
  tenantId: string;
  /** Teams' `29:` id of the reader, for refresh.userIds; null when it was not known. */
  teamsUserId: string | null;
}

export interface RecordedCaseCard extends ShownCaseCard {
  id: string;
}

/**
 * Records a message as showing the case. The same message shown again (a second click on it) is one
 * row, reopened if it had been sealed: the reader sees details there again, so it must be sealed again.
 */
export async function recordShownCaseCard(q: Queryable, s: ShownCaseCard): Promise<void> {
  await q.query(
    `INSERT INTO case_card_messages (case_id, conversation_id, activity_id, aad_object_id, tenant_id, teams_user_id)
     VALUES ($1, $2, $3, lower($4), lower($5), $6)
     ON CONFLICT (conversation_id, activity_id) DO UPDATE
       SET case_id = EXCLUDED.case_id, aad_object_id = EXCLUDED.aad_object_id, tenant_id = EXCLUDED.tenant_id,
           teams_user_id = COALESCE(EXCLUDED.teams_user_id, case_card_messages.teams_user_id),
           last_shown_at = now(), sealed_at = NULL`,
    [s.caseId, s.conversationId, s.activityId, s.aadObjectId, s.tenantId, s.teamsUserId],
  );
}

export async function markCaseCardsSealed(q: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query('UPDATE case_card_messages SET sealed_at = now() WHERE id = ANY($1::bigint[]) AND sealed_at IS NULL', [[...ids]]);
}

export class CaseCardRepository {
  constructor(private readonly pool: Pool) {}

  recordShown(s: ShownCaseCard): Promise<void> {
    return recordShownCaseCard(this.pool, s);
  }

  /** The case's messages whose readers may still see details there, oldest first. */
  async unsealed(caseId: string): Promise<RecordedCaseCard[]> {
    const { rows } = await this.pool.query<{ id: string; case_id: string; conversation_id: string; activity_id: string; aad_object_id: string; tenant_id: string; teams_user_id: string | null }>(
      `SELECT id::text, case_id, conversation_id, activity_id, aad_object_id, tenant_id, teams_user_id
       FROM case_card_messages WHERE case_id = $1 AND sealed_at IS NULL ORDER BY id`,
      [caseId],
    );
    return rows.map((r) => ({ id: r.id, caseId: r.case_id, conversationId: r.conversation_id, activityId: r.activity_id, aadObjectId: r.aad_object_id, tenantId: r.tenant_id, teamsUserId: r.teams_user_id }));
  }
}
