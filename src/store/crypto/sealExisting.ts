import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { withTransaction, type Queryable } from '../db';
import { toJsonParam, type JsonObject } from '../types';
import {
  caseFieldName,
  eventFieldName,
  participantFieldName,
  SEALED_CASE_COLUMNS,
  SEALED_EVENT_FIELDS,
  SEALED_PARTICIPANT_COLUMNS,
  type ParticipantRole,
} from '../caseRepository';
import { noteFieldName } from '../progressRepository';
import { SEALED_DOC_PROPERTY } from '../pgStorage';
import type { FieldCipher, KeyScope } from './fieldCipher';

/** One at a time across processes (web and worker start together). */
const SEAL_LOCK_KEY = 0x726a_0012;
const BATCH = 200;
/**
 * Set (in settings) once a pass has sealed everything: from then on every write goes through the
 * cipher, so later start-ups skip the table scans.
 */
export const SEALED_MARKER = 'encryption.plaintext_sealed';
// Sealed values start so; anything else in these columns is plaintext from before migration 012.
const SEALED = `'rj1.%'`;

export interface SealStats {
  cases: number;
  participants: number;
  notes: number;
  events: number;
  botState: number;
}

/**
 * The start-up step that goes with migration 012: seals every personal value stored in plaintext
 * before it (SQL cannot: it has no keys). Idempotent and cheap when there is nothing to do (one
 * indexed probe per table). case_notes and case_events refuse UPDATE by trigger; this step is the
 * one documented exception, done with the triggers paused inside its own transaction, so no other
 * transaction ever sees them off. Run after migrate(), before serving.
 */
export async function sealPlaintextRows(pool: Pool, cipher: FieldCipher, log?: Logger): Promise<SealStats> {
  const stats: SealStats = { cases: 0, participants: 0, notes: 0, events: 0, botState: 0 };
  if (!cipher.encrypting) return stats;
  await withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SEAL_LOCK_KEY]);
    const done = await client.query('SELECT 1 FROM settings WHERE key = $1', [SEALED_MARKER]);
    if (done.rowCount === 1) return;
    const caseCond = SEALED_CASE_COLUMNS.map((c) => `(${c} IS NOT NULL AND ${c} NOT LIKE ${SEALED})`).join(' OR ');
    const partCond = SEALED_PARTICIPANT_COLUMNS.map((c) => `(${c} IS NOT NULL AND ${c} NOT LIKE ${SEALED})`).join(' OR ');
    const eventCond = SEALED_EVENT_FIELDS.map((f) => `(jsonb_typeof(data->'${f}') = 'string' AND data->>'${f}' NOT LIKE ${SEALED})`).join(' OR ');
    // Paused as migration 002 did, so sealing does not pose as an edit of every case; only when there
    // is something to seal, because ALTER TABLE locks the table.
    const plainCases = (await client.query(`SELECT 1 FROM cases WHERE ${caseCond} LIMIT 1`)).rowCount === 1;
    if (plainCases) await client.query('ALTER TABLE cases DISABLE TRIGGER cases_touch_updated_at');
    while (plainCases) {
      const { rows } = await client.query<Record<string, string | null> & { id: string }>(
        `SELECT id, ${SEALED_CASE_COLUMNS.join(', ')} FROM cases WHERE ${caseCond} LIMIT ${BATCH}`,
      );
      if (rows.length === 0) break;
      for (const r of rows) {
        const keys = await cipher.caseKeys(client, r.id);
        const values = SEALED_CASE_COLUMNS.map((c) => sealIfPlain(keys.seal.bind(keys), 'case', caseFieldName(c), r[c] ?? null));
        await client.query(
          `UPDATE cases SET ${SEALED_CASE_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`,
          [r.id, ...values],
        );
      }
      stats.cases += rows.length;
    }
    if (plainCases) await client.query('ALTER TABLE cases ENABLE TRIGGER cases_touch_updated_at');
    for (;;) {
      const { rows } = await client.query<Record<string, string | null> & { id: string; case_id: string; role: ParticipantRole }>(
        `SELECT id, case_id, role, ${SEALED_PARTICIPANT_COLUMNS.join(', ')} FROM participants WHERE ${partCond} LIMIT ${BATCH}`,
      );
      if (rows.length === 0) break;
      for (const r of rows) {
        const keys = await cipher.caseKeys(client, r.case_id);
        const values = SEALED_PARTICIPANT_COLUMNS.map((c) => sealIfPlain(keys.seal.bind(keys), r.role, participantFieldName(r.role, c), r[c] ?? null));
        await client.query(
          `UPDATE participants SET ${SEALED_PARTICIPANT_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`,
          [r.id, ...values],
        );
      }
      stats.participants += rows.length;
    }
    stats.notes = await sealNotes(client, cipher);
    stats.events = await sealEvents(client, cipher, eventCond);
    stats.botState = await sealBotState(client, cipher);
    await client.query(
      `INSERT INTO settings (key, value, updated_by) VALUES ($1, $2::jsonb, 'system') ON CONFLICT (key) DO NOTHING`,
      [SEALED_MARKER, toJsonParam({ sealedAt: new Date().toISOString(), ...stats })],
    );
  });
  const total = stats.cases + stats.participants + stats.notes + stats.events + stats.botState;
  if (total > 0) log?.info({ ...stats }, 'sealed personal values stored before encryption (migration 012)');
  return stats;
}

function sealIfPlain(seal: (scope: KeyScope, field: string, plaintext: string) => string, scope: KeyScope, field: string, value: string | null): string | null {
  if (value === null || value.startsWith('rj1.')) return value;
  return seal(scope, field, value);
}

async function sealNotes(client: Queryable, cipher: FieldCipher): Promise<number> {
  const { rows } = await client.query<{ id: string; case_id: string; text: string; party: KeyScope | null }>(
    // A contact note is about the participant its contact event names; every other note is about the case.
    `SELECT n.id, n.case_id, n.text,
            (SELECT e.data->>'party' FROM case_events e
              WHERE e.case_id = n.case_id AND e.type = 'contact_logged' AND e.data->>'noteId' = n.id::text LIMIT 1) AS party
     FROM case_notes n WHERE n.text NOT LIKE ${SEALED}`,
  );
  if (rows.length === 0) return 0;
  await client.query('ALTER TABLE case_notes DISABLE TRIGGER case_notes_no_update');
  for (const r of rows) {
    const keys = await cipher.caseKeys(client, r.case_id);
    const scope: KeyScope = r.party === 'harmed_person' || r.party === 'offender' ? r.party : 'case';
    await client.query('UPDATE case_notes SET text = $2 WHERE id = $1', [r.id, keys.seal(scope, noteFieldName(r.id), r.text)]);
  }
  await client.query('ALTER TABLE case_notes ENABLE TRIGGER case_notes_no_update');
  return rows.length;
}

async function sealEvents(client: Queryable, cipher: FieldCipher, cond: string): Promise<number> {
  const { rows } = await client.query<{ id: string; case_id: string; type: string; data: JsonObject }>(
    `SELECT id::text AS id, case_id, type, data FROM case_events WHERE ${cond}`,
  );
  if (rows.length === 0) return 0;
  await client.query('ALTER TABLE case_events DISABLE TRIGGER case_events_no_update_delete');
  for (const r of rows) {
    const keys = await cipher.caseKeys(client, r.case_id);
    const data: JsonObject = { ...r.data };
    for (const f of SEALED_EVENT_FIELDS) {
      const v = data[f];
      if (typeof v === 'string' && !v.startsWith('rj1.')) data[f] = keys.seal('case', eventFieldName(r.type, f), v);
    }
    await client.query('UPDATE case_events SET data = $2::jsonb WHERE id = $1::bigint', [r.id, toJsonParam(data)]);
  }
  await client.query('ALTER TABLE case_events ENABLE TRIGGER case_events_no_update_delete');
  return rows.length;
}

async function sealBotState(client: Queryable, cipher: FieldCipher): Promise<number> {
  // The eTag is kept: sealing is not a change, and a dialog mid-turn must not see a conflict.
  const { rows } = await client.query<{ key: string; doc: JsonObject }>(
    `SELECT key, doc FROM bot_state WHERE NOT (doc ? '${SEALED_DOC_PROPERTY}')`,
  );
  for (const r of rows) {
    await client.query('UPDATE bot_state SET doc = $2::jsonb WHERE key = $1', [r.key, toJsonParam({ [SEALED_DOC_PROPERTY]: cipher.sealDocument(r.key, toJsonParam(r.doc)) })]);
  }
  return rows.length;
}
