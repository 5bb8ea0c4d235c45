import type { Pool } from 'pg';
import { toJsonParam, type JsonObject } from './types';

export interface ConversationRefInput {
  conversationId: string;
  tenantId: string;
  /** The user, for a personal chat only; null for group chats and channels. */
  aadObjectId: string | null;
  /** Teams' conversation.conversationType: 'personal' | 'groupChat' | 'channel'. */
  conversationType: string;
  serviceUrl: string;
  /**
   * The full botbuilder ConversationReference, stored opaquely for proactive sends. Typed `object` so
   * a ConversationReference (an interface without an index signature) is accepted as it is.
   */
  reference: object;
}

export interface ConversationRefRecord extends Omit<ConversationRefInput, 'reference'> {
  /** As stored (JSON): cast back to ConversationReference in src/teams. */
  reference: JsonObject;
  updatedAt: Date;
  /** Set after a permanent send failure (403/404); cleared by the next inbound activity. */
  stale: boolean;
  staleReason: string | null;
  staleAt: Date | null;
}

interface RefRow {
  conversation_id: string;
  tenant_id: string;
  aad_object_id: string | null;
  conversation_type: string;
  service_url: string;
  reference: JsonObject;
  updated_at: Date;
  stale: boolean;
  stale_reason: string | null;
  stale_at: Date | null;
}

const COLUMNS =
  'conversation_id, tenant_id, aad_object_id, conversation_type, service_url, reference, updated_at, stale, stale_reason, stale_at';

export class ConversationRefRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Called on every inbound activity, so it is one statement: it refreshes serviceUrl (which Teams may
   * change) and the reference, and un-stales a conversation the user has evidently come back to.
   */
  async upsert(ref: ConversationRefInput): Promise<void> {
    await this.pool.query(
      `INSERT INTO conversation_refs
         (conversation_id, tenant_id, aad_object_id, conversation_type, service_url, reference)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb)
       ON CONFLICT (conversation_id) DO UPDATE SET
         tenant_id = EXCLUDED.tenant_id,
         aad_object_id = COALESCE(EXCLUDED.aad_object_id, conversation_refs.aad_object_id),
         conversation_type = EXCLUDED.conversation_type,
         service_url = EXCLUDED.service_url,
         reference = EXCLUDED.reference,
         updated_at = now(),
         stale = false,
         stale_reason = NULL,
         stale_at = NULL`,
      [ref.conversationId, ref.tenantId, ref.aadObjectId, ref.conversationType, ref.serviceUrl,
        toJsonParam(ref.reference)],
    );
  }

  /** The user's 1:1 chat with the bot, most recently active first; stale ones only if nothing else. */
  async findPersonal(tenantId: string, aadObjectId: string): Promise<ConversationRefRecord | null> {
    const { rows } = await this.pool.query<RefRow>(
      `SELECT ${COLUMNS} FROM conversation_refs
       WHERE tenant_id = $1 AND aad_object_id = $2 AND conversation_type = 'personal'
       ORDER BY stale, updated_at DESC
       LIMIT 1`,
      [tenantId, aadObjectId],
    );
    const row = rows[0];
    return row ? toRecord(row) : null;
  }

  async get(conversationId: string): Promise<ConversationRefRecord | null> {
    const { rows } = await this.pool.query<RefRow>(
      `SELECT ${COLUMNS} FROM conversation_refs WHERE conversation_id = $1`,
      [conversationId],
    );
    const row = rows[0];
    return row ? toRecord(row) : null;
  }

  /** Teams' service URL for a tenant, from its most recent conversation: where to create a new 1:1 chat. */
  async serviceUrlForTenant(tenantId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ service_url: string }>(
      'SELECT service_url FROM conversation_refs WHERE tenant_id = $1 ORDER BY updated_at DESC LIMIT 1',
      [tenantId],
    );
    return rows[0]?.service_url;
  }

  /** True for exactly one caller per conversation, so a new chat is welcomed once. */
  async claimWelcome(conversationId: string): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE conversation_refs SET welcomed_at = now() WHERE conversation_id = $1 AND welcomed_at IS NULL',
      [conversationId],
    );
    return result.rowCount === 1;
  }

  /** After a permanent send failure. Returns false when the conversation is unknown. */
  async markStale(conversationId: string, reason: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE conversation_refs SET stale = true, stale_reason = $2, stale_at = now()
       WHERE conversation_id = $1`,
      [conversationId, reason],
    );
    return result.rowCount === 1;
  }
}

function toRecord(r: RefRow): ConversationRefRecord {
  return {
    conversationId: r.conversation_id,
    tenantId: r.tenant_id,
    aadObjectId: r.aad_object_id,
    conversationType: r.conversation_type,
    serviceUrl: r.service_url,
    reference: r.reference,
    updatedAt: r.updated_at,
    stale: r.stale,
    staleReason: r.stale_reason,
    staleAt: r.stale_at,
  };
}
