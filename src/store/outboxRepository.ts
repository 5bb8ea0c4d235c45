import type { Pool } from 'pg';
import { markCaseCardsSealed, recordShownCaseCard, type ShownCaseCard } from './caseCardRepository';
import { withTransaction, type Queryable } from './db';
import { toJsonParam, type JsonObject } from './types';

/**
 * A message a change owes, as written into the outbox in the change's own transaction. `data` holds
 * ids and codes only: whatever the message says about a case is read from the case when it is sent.
 */
export interface OwedMessage {
  kind: string;
  caseId: string | null;
  data: JsonObject;
  /** Rows of one lane are sent one at a time, oldest first. */
  lane: string;
  /** A newer pending row with the same key supersedes an older unsent one (card updates). */
  coalesceKey?: string;
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'superseded' | 'skipped';

/** A row the caller has claimed: only `finish`, `retryLater` and `extendLease` with its token act on it. */
export interface ClaimedMessage {
  id: string;
  kind: string;
  caseId: string | null;
  data: unknown;
  lane: string;
  coalesceKey: string | null;
  /** Claims so far, this one included. */
  attempts: number;
  claimToken: string;
  createdAt: Date;
}

export interface OutboxRow {
  id: string;
  kind: string;
  caseId: string | null;
  data: unknown;
  lane: string;
  coalesceKey: string | null;
  status: OutboxStatus;
  dueAt: Date;
  leaseUntil: Date | null;
  attempts: number;
  conversationId: string | null;
  activityId: string | null;
  error: string | null;
}

/** What recording an outcome also writes, in the same transaction. */
export type OutboxEffect =
  | { type: 'channelCard'; caseId: string; conversationId: string; activityId: string }
  | { type: 'offerCard'; offerId: string; conversationId: string; activityId: string }
  | { type: 'offerSendError'; offerId: string; error: string | null }
  | { type: 'owe'; messages: readonly OwedMessage[] }
  /** A message that shows (through its refresh) a case's details to its reader: updated when their access ends. */
  | { type: 'caseCardShown'; card: ShownCaseCard }
  /** Messages updated to the base view for readers who lost access: not updated again. */
  | { type: 'caseCardsSealed'; ids: readonly string[] };

export type OutboxOutcome =
  | { status: 'sent'; conversationId: string | null; activityId: string | null }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; error: string };

interface Row {
  id: string;
  kind: string;
  case_id: string | null;
  data: unknown;
  lane: string;
  coalesce_key: string | null;
  status: OutboxStatus;
  due_at: Date;
  lease_until: Date | null;
  attempts: number;
  claim_token: string;
  created_at: Date;
  conversation_id: string | null;
  activity_id: string | null;
  error: string | null;
}

/**
 * Writes owed messages inside the caller's transaction. Older pending rows with the same coalescing
 * key are superseded first; if another transaction slipped a pending row in meanwhile, that one is
 * kept instead (it is rendered from the database when sent, so it carries the same news).
 */
export async function oweMessages(q: Queryable, messages: readonly OwedMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const keys = [...new Set(messages.map((m) => m.coalesceKey).filter((k): k is string => k !== undefined))];
  if (keys.length > 0) {
    await q.query(
      `UPDATE outbox SET status = 'superseded', finished_at = now()
       WHERE status = 'pending' AND coalesce_key = ANY($1::text[])`,
      [keys],
    );
  }
  // One pending row per key even within this batch: the last one wins.
  const seen = new Set<string>();
  const rows = [...messages].reverse().filter((m) => {
    if (m.coalesceKey === undefined) return true;
    if (seen.has(m.coalesceKey)) return false;
    seen.add(m.coalesceKey);
    return true;
  }).reverse();
  await q.query(
    `INSERT INTO outbox (kind, case_id, data, lane, coalesce_key)
     SELECT x.j->>'kind', (x.j->>'case_id')::uuid, x.j->'data', x.j->>'lane', x.j->>'coalesce_key'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(j, n)
     ORDER BY x.n
     ON CONFLICT (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL DO NOTHING`,
    [toJsonParam(rows.map((m) => ({ kind: m.kind, case_id: m.caseId, data: m.data, lane: m.lane, coalesce_key: m.coalesceKey ?? null })))],
  );
}

/**
 * The outbox table: claims with a lease (`FOR UPDATE SKIP LOCKED`, so dispatchers in several
 * processes never take the same row), and outcomes recorded only under the claim that sent.
 */
export class OutboxRepository {
  constructor(private readonly pool: Pool) {}

  /** Outside any other transaction (tests; the sender reporting an unreachable person). */
  async owe(messages: readonly OwedMessage[]): Promise<void> {
    await withTransaction(this.pool, (client) => oweMessages(client, messages));
  }

  /**
   * Claims up to `limit` rows that are due: pending ones, and ones whose claimant's lease ran out
   * (it died mid-send). Only the head of each lane is eligible. A dead claim of a card update that a
   * newer pending update has replaced is superseded rather than sent again.
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
    if (limit <= 0) return [];
    await this.pool.query(
      `UPDATE outbox o SET status = 'superseded', finished_at = now(), claim_token = NULL, lease_until = NULL
       WHERE o.status = 'sending' AND o.lease_until < now() AND o.coalesce_key IS NOT NULL
         AND EXISTS (SELECT 1 FROM outbox p WHERE p.coalesce_key = o.coalesce_key AND p.status = 'pending')`,
    );
    const { rows } = await this.pool.query<Row>(
      `WITH picked AS (
         SELECT o.id FROM outbox o
         WHERE o.status IN ('pending', 'sending') AND o.due_at <= now()
           AND (o.status = 'pending' OR o.lease_until < now())
           AND NOT EXISTS (
             SELECT 1 FROM outbox e WHERE e.lane = o.lane AND e.id < o.id AND e.status IN ('pending', 'sending'))
         ORDER BY o.due_at, o.id
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE outbox o SET status = 'sending', claim_token = gen_random_uuid(),
         lease_until = now() + $2 * interval '1 millisecond', attempts = o.attempts + 1
       FROM picked WHERE o.id = picked.id
       RETURNING o.id, o.kind, o.case_id, o.data, o.lane, o.coalesce_key, o.status, o.due_at, o.lease_until,
                 o.attempts, o.claim_token, o.created_at, o.conversation_id, o.activity_id, o.error`,
      [limit, leaseMs],
    );
    return rows
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((r) => ({ id: r.id, kind: r.kind, caseId: r.case_id, data: r.data, lane: r.lane, coalesceKey: r.coalesce_key, attempts: r.attempts, claimToken: r.claim_token, createdAt: r.created_at }));
  }

  /** Keeps claims alive while their sends run long (a throttled conversation). */
  async extendLease(claims: readonly Pick<ClaimedMessage, 'id' | 'claimToken'>[], leaseMs: number): Promise<void> {
    if (claims.length === 0) return;
    await this.pool.query(
      `UPDATE outbox o SET lease_until = now() + $2 * interval '1 millisecond'
       FROM jsonb_to_recordset($1::jsonb) AS c(id bigint, token uuid)
       WHERE o.id = c.id AND o.claim_token = c.token AND o.status = 'sending'`,
      [toJsonParam(claims.map((c) => ({ id: Number(c.id), token: c.claimToken }))), leaseMs],
    );
  }

  /**
   * Records the outcome and its effects in one transaction. False when the claim was lost (its lease
   * ran out and another dispatcher took the row): nothing is written then.
   */
  async finish(claim: Pick<ClaimedMessage, 'id' | 'claimToken'>, outcome: OutboxOutcome, effects: readonly OutboxEffect[] = []): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const sent = outcome.status === 'sent' ? outcome : undefined;
      const { rowCount } = await client.query(
        `UPDATE outbox SET status = $3, finished_at = now(), claim_token = NULL, lease_until = NULL,
           conversation_id = $4, activity_id = $5, error = $6
         WHERE id = $1 AND claim_token = $2 AND status = 'sending'`,
        [claim.id, claim.claimToken, outcome.status, sent?.conversationId ?? null, sent?.activityId ?? null, outcome.status === 'sent' ? null : outcome.error],
      );
      if (rowCount !== 1) return false;
      for (const e of effects) await applyEffect(client, e);
      return true;
    });
  }

  /** A transient failure: the row waits `delayMs` and is claimed again by whoever is free then. */
  async retryLater(claim: Pick<ClaimedMessage, 'id' | 'claimToken'>, delayMs: number, error: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE outbox SET status = 'pending', claim_token = NULL, lease_until = NULL, error = $3,
         due_at = now() + $4 * interval '1 millisecond'
       WHERE id = $1 AND claim_token = $2 AND status = 'sending'`,
      [claim.id, claim.claimToken, error, Math.max(0, Math.round(delayMs))],
    );
    return rowCount === 1;
  }

  /**
   * Milliseconds until a row not claimable now becomes so (a retry falls due, a dead claim's lease
   * runs out); undefined when nothing waits.
   */
  /** Messages owed and not yet dealt with, and how long the oldest has waited (for /metrics). */
  async backlog(): Promise<{ backlog: number; oldestAgeSeconds: number }> {
    const { rows } = await this.pool.query<{ n: number; age: number | null }>(
      `SELECT count(*)::int AS n, EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS age
       FROM outbox WHERE status IN ('pending', 'sending')`,
    );
    return { backlog: rows[0]?.n ?? 0, oldestAgeSeconds: Math.max(0, rows[0]?.age ?? 0) };
  }

  async nextWakeMs(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ ms: number | null }>(
      `SELECT ceil(EXTRACT(EPOCH FROM (min(CASE WHEN status = 'pending' THEN due_at ELSE lease_until END) - now())) * 1000)::float8 AS ms
       FROM outbox
       WHERE (status = 'pending' AND due_at > now()) OR (status = 'sending' AND lease_until >= now())`,
    );
    const ms = rows[0]?.ms;
    return ms === null || ms === undefined ? undefined : Math.max(0, ms);
  }

  /**
   * Rows in hand (anywhere) or due now and not waiting behind a retry in their lane: zero means every
   * message owed so far has been dealt with, apart from retries waiting for their time.
   */
  async outstanding(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox o
       WHERE o.status = 'sending'
          OR (o.status = 'pending' AND o.due_at <= now() AND NOT EXISTS (
                SELECT 1 FROM outbox e WHERE e.lane = o.lane AND e.id < o.id AND e.status = 'pending' AND e.due_at > now()))`,
    );
    return rows[0]?.n ?? 0;
  }

  /** Every row of a case (or all rows), oldest first: for tests and operators. */
  async list(caseId?: string): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT id, kind, case_id, data, lane, coalesce_key, status, due_at, lease_until, attempts, claim_token,
              created_at, conversation_id, activity_id, error
       FROM outbox WHERE $1::uuid IS NULL OR case_id = $1 ORDER BY id`,
      [caseId ?? null],
    );
    return rows.map((r) => ({
      id: r.id, kind: r.kind, caseId: r.case_id, data: r.data, lane: r.lane, coalesceKey: r.coalesce_key, status: r.status,
      dueAt: r.due_at, leaseUntil: r.lease_until, attempts: r.attempts, conversationId: r.conversation_id, activityId: r.activity_id, error: r.error,
    }));
  }
}

async function applyEffect(q: Queryable, e: OutboxEffect): Promise<void> {
  switch (e.type) {
    case 'channelCard':
      await q.query('UPDATE cases SET channel_conversation_id = $2, channel_activity_id = $3 WHERE id = $1', [e.caseId, e.conversationId, e.activityId]);
      return;
    case 'offerCard':
      await q.query('UPDATE offers SET card_conversation_id = $2, card_activity_id = $3, send_error = NULL WHERE id = $1', [e.offerId, e.conversationId, e.activityId]);
      return;
    case 'offerSendError':
      await q.query('UPDATE offers SET send_error = $2 WHERE id = $1', [e.offerId, e.error]);
      return;
    case 'owe':
      await oweMessages(q, e.messages);
      return;
    case 'caseCardShown':
      await recordShownCaseCard(q, e.card);
      return;
    case 'caseCardsSealed':
      await markCaseCardsSealed(q, e.ids);
      return;
  }
}
