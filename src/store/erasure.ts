import type { Pool } from 'pg';
import type { Party } from '../domain/caseState';
import { ERASED_TEXT, type ErasureDecision } from '../domain/erasure';
import type { Queryable } from './db';
import { destroyDataKeys } from './retention';

export interface ErasureRequest {
  id: string;
  caseId: string;
  party: Party;
  receivedOn: string;
  dueOn: string;
  remindOn: string;
  recordedAt: Date;
  recordedBy: string;
  remindedAt: Date | null;
  decidedAt: Date | null;
  decision: ErasureDecision | null;
}

const COLUMNS = `id, case_id, party, to_char(received_on, 'YYYY-MM-DD') AS received_on, to_char(due_on, 'YYYY-MM-DD') AS due_on,
  to_char(remind_on, 'YYYY-MM-DD') AS remind_on, recorded_at, recorded_by, reminded_at, decided_at, decision`;
interface Row {
  id: string; case_id: string; party: Party; received_on: string; due_on: string; remind_on: string;
  recorded_at: Date; recorded_by: string; reminded_at: Date | null; decided_at: Date | null; decision: ErasureDecision | null;
}
const toRequest = (r: Row): ErasureRequest => ({
  id: r.id, caseId: r.case_id, party: r.party, receivedOn: r.received_on, dueOn: r.due_on, remindOn: r.remind_on,
  recordedAt: r.recorded_at, recordedBy: r.recorded_by, remindedAt: r.reminded_at, decidedAt: r.decided_at, decision: r.decision,
});

/** The erasure writes of one case, under its row lock (CaseLocks). */
export interface ErasureTx {
  erasureRequest(id: string): Promise<ErasureRequest | undefined>;
  openErasureRequest(party: Party): Promise<ErasureRequest | undefined>;
  insertErasureRequest(r: Omit<ErasureRequest, 'caseId' | 'remindedAt' | 'decidedAt' | 'decision'>): Promise<void>;
  decideErasureRequest(id: string, d: { decision: ErasureDecision; by: string; at: Date; refusalNoteId?: string }): Promise<void>;
  /** Removes every personal value of one participant, and the notes of contacts with them. */
  eraseParticipant(party: Party, at: Date): Promise<void>;
}

export async function erasureRequest(client: Queryable, caseId: string, id: string): Promise<ErasureRequest | undefined> {
  const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM erasure_requests WHERE id = $1 AND case_id = $2`, [id, caseId]);
  return rows[0] ? toRequest(rows[0]) : undefined;
}

export async function openErasureRequest(client: Queryable, caseId: string, party: Party): Promise<ErasureRequest | undefined> {
  const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM erasure_requests WHERE case_id = $1 AND party = $2 AND decided_at IS NULL`, [caseId, party]);
  return rows[0] ? toRequest(rows[0]) : undefined;
}

export async function insertErasureRequest(client: Queryable, caseId: string, r: Omit<ErasureRequest, 'caseId' | 'remindedAt' | 'decidedAt' | 'decision'>): Promise<void> {
  await client.query(
    `INSERT INTO erasure_requests (id, case_id, party, received_on, due_on, remind_on, recorded_at, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [r.id, caseId, r.party, r.receivedOn, r.dueOn, r.remindOn, r.recordedAt, r.recordedBy],
  );
}

export async function decideErasureRequest(client: Queryable, caseId: string, id: string, d: { decision: ErasureDecision; by: string; at: Date; refusalNoteId?: string }): Promise<void> {
  await client.query(
    `UPDATE erasure_requests SET decision = $3, decided_by = $4, decided_at = $5, refusal_note_id = $6
     WHERE id = $1 AND case_id = $2 AND decided_at IS NULL`,
    [id, caseId, d.decision, d.by, d.at, d.refusalNoteId ?? null],
  );
}

export async function eraseParticipant(client: Queryable, caseId: string, party: Party, at: Date): Promise<void> {
  // Their own data key: anything sealed under it (in a backup too) cannot be opened again.
  await destroyDataKeys(client, caseId, [party], at);
  await client.query(
    `UPDATE participants SET name = $3, date_of_birth = NULL, borough = NULL, phone = NULL, email = NULL, erased_at = $4
     WHERE case_id = $1 AND role = $2`,
    [caseId, party, ERASED_TEXT, at],
  );
  // Notes of contacts with this person; the contact's date, method and outcome (codes) stay.
  await client.query(
    `DELETE FROM case_notes WHERE case_id = $1 AND id IN (
       SELECT (e.data->>'noteId')::uuid FROM case_events e
       WHERE e.case_id = $1 AND e.type = 'contact_logged' AND e.data->>'party' = $2 AND e.data ? 'noteId')`,
    [caseId, party],
  );
}

export interface ErasureReminder {
  requestId: string;
  caseId: string;
  reference: string;
  party: Party;
  receivedOn: string;
  dueOn: string;
}

/** Erasure requests across cases: the daily reminder and the dashboard's count. */
export class ErasureRepository {
  constructor(private readonly pool: Pool) {}

  /** Open requests whose reminder day has come and that were not reminded yet. */
  async remindersDue(today: string): Promise<ErasureReminder[]> {
    const { rows } = await this.pool.query<{ id: string; case_id: string; reference: string; party: Party; received_on: string; due_on: string }>(
      `SELECT r.id, r.case_id, c.reference, r.party, to_char(r.received_on, 'YYYY-MM-DD') AS received_on, to_char(r.due_on, 'YYYY-MM-DD') AS due_on
       FROM erasure_requests r JOIN cases c ON c.id = r.case_id
       WHERE r.decided_at IS NULL AND r.reminded_at IS NULL AND r.remind_on <= $1::date
       ORDER BY r.due_on, r.id`,
      [today],
    );
    return rows.map((r) => ({ requestId: r.id, caseId: r.case_id, reference: r.reference, party: r.party, receivedOn: r.received_on, dueOn: r.due_on }));
  }

  async markReminded(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query('UPDATE erasure_requests SET reminded_at = $2 WHERE id = ANY($1::uuid[]) AND reminded_at IS NULL', [[...ids], at]);
  }

  async openCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM erasure_requests WHERE decided_at IS NULL');
    return rows[0]?.n ?? 0;
  }
}
