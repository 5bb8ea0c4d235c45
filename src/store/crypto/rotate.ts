import type { Pool } from 'pg';
import { withTransaction } from '../db';
import { toJsonParam, type JsonObject } from '../types';
import { SEALED_DOC_PROPERTY } from '../pgStorage';
import { MasterKeys } from './envelope';
import { documentAad, wrapAad, type KeyScope } from './fieldCipher';

/** Only one rotation at a time (a session advisory lock, released when the command ends). */
const ROTATE_LOCK_KEY = 0x726a_0013;

export interface RotationStats {
  /** Data keys re-wrapped under the current master key. */
  rewrapped: number;
  /** Bot state documents re-sealed under it. */
  documents: number;
  /** Per old kid, how many of its keys were moved. */
  fromKids: Record<string, number>;
}

export interface RotationOptions {
  batchSize?: number;
  /** Called after each committed batch (progress output; tests use it to interleave work). */
  onBatch?: (stats: RotationStats) => Promise<void> | void;
}

export class RotationBusyError extends Error {}

/**
 * Re-wraps every data key (participant_keys) and re-seals every bot state document under the current
 * master key (DATA_KEY_ID), in batches of short transactions, while the service runs: a key row is
 * locked only for its own batch, the data keys themselves do not change (so no field is re-encrypted),
 * and the old kid keeps reading until the last batch commits. Every running process must already have
 * the new DATA_KEY_ID (and both kids in DATA_KEYS) or it would go on sealing documents under the old
 * one; remove the old kid from DATA_KEYS only after this reports nothing left.
 */
export async function rotateDataKeys(pool: Pool, master: MasterKeys, opts: RotationOptions = {}): Promise<RotationStats> {
  const batch = opts.batchSize ?? 500;
  const stats: RotationStats = { rewrapped: 0, documents: 0, fromKids: {} };
  const session = await pool.connect();
  try {
    const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [ROTATE_LOCK_KEY]);
    if (!rows[0]?.locked) throw new RotationBusyError('another key rotation is running; wait for it to finish');
    try {
      for (;;) {
        const moved = await withTransaction(pool, async (client) => {
          const keys = await client.query<{ id: string; case_id: string; role: KeyScope; kid: string; wrapped_key: Buffer }>(
            `SELECT id, case_id, role, kid, wrapped_key FROM participant_keys
             WHERE kid IS NOT NULL AND kid <> $1 ORDER BY kid, id LIMIT $2 FOR UPDATE`,
            [master.currentKid, batch],
          );
          for (const k of keys.rows) {
            const aad = wrapAad(k.id, k.case_id, k.role);
            const { kid, wrapped } = master.wrap(master.unwrap(k.kid, k.wrapped_key, aad), aad);
            await client.query('UPDATE participant_keys SET kid = $2, wrapped_key = $3, rewrapped_at = now() WHERE id = $1', [k.id, kid, wrapped]);
            stats.fromKids[k.kid] = (stats.fromKids[k.kid] ?? 0) + 1;
          }
          return keys.rows.length;
        });
        stats.rewrapped += moved;
        if (moved === 0) break;
        await opts.onBatch?.(stats);
      }
      for (;;) {
        const { rows: docs } = await pool.query<{ key: string; doc: JsonObject; etag: string }>(
          `SELECT key, doc, etag::text AS etag FROM bot_state
           WHERE jsonb_typeof(doc->'${SEALED_DOC_PROPERTY}') = 'string' AND split_part(doc->>'${SEALED_DOC_PROPERTY}', '.', 2) <> $1
           ORDER BY key LIMIT $2`,
          [master.currentKid, batch],
        );
        if (docs.length === 0) break;
        let moved = 0;
        for (const d of docs) {
          const sealed = String(d.doc[SEALED_DOC_PROPERTY]);
          const resealed = master.sealBlob(master.openBlob(sealed, documentAad(d.key)), documentAad(d.key));
          // Same eTag: re-sealing is not a change, so a dialog in the middle of a turn sees no conflict.
          // A document written meanwhile is already under the new kid (or picked up by the next pass).
          const r = await pool.query('UPDATE bot_state SET doc = $2::jsonb WHERE key = $1 AND etag::text = $3', [d.key, toJsonParam({ [SEALED_DOC_PROPERTY]: resealed }), d.etag]);
          const kid = MasterKeys.blobKid(sealed) ?? '?';
          if (r.rowCount === 1) {
            moved += 1;
            stats.fromKids[kid] = (stats.fromKids[kid] ?? 0) + 1;
          }
        }
        stats.documents += moved;
        await opts.onBatch?.(stats);
      }
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [ROTATE_LOCK_KEY]);
    }
  } finally {
    session.release();
  }
  return stats;
}

/** How many data keys and documents are still under each kid (the rotation is done when only the current one is left). */
export async function keysByKid(pool: Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ kid: string; n: number }>(
    `SELECT kid, count(*)::int AS n FROM (
       SELECT kid FROM participant_keys WHERE kid IS NOT NULL
       UNION ALL
       SELECT split_part(doc->>'${SEALED_DOC_PROPERTY}', '.', 2) FROM bot_state WHERE jsonb_typeof(doc->'${SEALED_DOC_PROPERTY}') = 'string'
     ) k GROUP BY kid ORDER BY kid`,
  );
  return Object.fromEntries(rows.map((r) => [r.kid, r.n]));
}
