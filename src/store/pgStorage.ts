import type { Pool } from 'pg';
import { withTransaction, type Queryable } from './db';
import { toJsonParam, type JsonObject } from './types';
import type { FieldCipher } from './crypto/fieldCipher';

/** The one property of a stored document that is sealed: the whole state, as JSON, under the master key. */
export const SEALED_DOC_PROPERTY = '$sealed';

/** botbuilder's StoreItem, declared here because src/store may not import botbuilder. */
export type StoreItem = { eTag?: string; [key: string]: unknown };
export type StoreItems = Record<string, StoreItem>;

/**
 * Bot dialog and conversation state in PostgreSQL, with the semantics of botbuilder's MemoryStorage:
 * every write gives the item a new eTag; a write carrying an eTag other than '*' fails if the stored
 * item has since changed; no eTag (or '*') overwrites. Satisfies botbuilder's `Storage` structurally.
 *
 * One deliberate difference: a multi-key write is one transaction, so a conflict on one key leaves
 * the others unwritten (MemoryStorage writes the non-conflicting keys).
 *
 * Dialog state holds a half-finished referral form (names, phone numbers, the description), so each
 * document is stored sealed (`{"$sealed": "rjm1.<kid>…"}`, bound to its key): bot_state holds no
 * plaintext. A document stored before encryption is read as it is and sealed on its next write.
 */
export class PgStorage {
  constructor(
    private readonly pool: Pool,
    private readonly cipher: FieldCipher,
  ) {}

  /** Missing keys are simply absent from the result. */
  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) throw new ReferenceError('Keys are required when reading.');
    if (keys.length === 0) return {};
    const { rows } = await this.pool.query<{ key: string; doc: JsonObject; etag: string }>(
      'SELECT key, doc, etag::text AS etag FROM bot_state WHERE key = ANY($1::text[])',
      [keys],
    );
    // fromEntries defines own properties, so a key such as "__proto__" cannot reach the prototype.
    return Object.fromEntries(rows.map((r): [string, StoreItem] => [r.key, { ...this.open(r.key, r.doc), eTag: r.etag }]));
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes) throw new ReferenceError('Changes are required when writing.');
    // Sorted so two multi-key writers lock rows in the same order and cannot deadlock.
    const entries = Object.entries(changes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const only = entries.length === 1 ? entries[0] : undefined;
    if (only) {
      await writeOne(this.pool, only[0], this.seal(only[0], only[1]));
      return;
    }
    if (entries.length === 0) return;
    await withTransaction(this.pool, async (client) => {
      for (const [key, item] of entries) await writeOne(client, key, this.seal(key, item));
    });
  }

  private seal(key: string, item: StoreItem): StoreItem {
    if (!this.cipher.encrypting) return item;
    const { eTag, ...doc } = item;
    return { [SEALED_DOC_PROPERTY]: this.cipher.sealDocument(key, toJsonParam(doc)), ...(eTag !== undefined ? { eTag } : {}) };
  }

  private open(key: string, doc: JsonObject): JsonObject {
    const sealed = doc[SEALED_DOC_PROPERTY];
    if (typeof sealed !== 'string' || Object.keys(doc).length !== 1) return doc;
    const parsed: unknown = JSON.parse(this.cipher.openDocument(key, sealed));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`Storage: the sealed state of "${key}" is not a JSON object`);
    return parsed as JsonObject;
  }

  async delete(keys: string[]): Promise<void> {
    if (!keys) throw new ReferenceError('Keys are required when deleting.');
    if (keys.length === 0) return;
    await this.pool.query('DELETE FROM bot_state WHERE key = ANY($1::text[])', [keys]);
  }
}

async function writeOne(db: Queryable, key: string, item: StoreItem): Promise<void> {
  const { eTag, ...doc } = item;
  const json = toJsonParam(doc);
  if (!eTag || eTag === '*') {
    await db.query(
      `INSERT INTO bot_state (key, doc) VALUES ($1, $2::jsonb)
       ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc, etag = nextval('bot_state_etag_seq'), updated_at = now()`,
      [key, json],
    );
    return;
  }
  // Conditional update first: under concurrency the row lock makes a second writer with the same
  // eTag re-check the condition after the first commits, and find it no longer holds.
  const updated = await db.query(
    `UPDATE bot_state SET doc = $2::jsonb, etag = nextval('bot_state_etag_seq'), updated_at = now()
     WHERE key = $1 AND etag::text = $3`,
    [key, json, String(eTag)],
  );
  if (updated.rowCount === 1) return;
  // No row with that eTag: like MemoryStorage, an item that does not exist (any more) is simply written.
  const inserted = await db.query(
    'INSERT INTO bot_state (key, doc) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING',
    [key, json],
  );
  if (inserted.rowCount === 1) return;
  throw new Error(`Storage: error writing "${key}" due to eTag conflict.`);
}
