import type { Pool } from 'pg';
import type { CaseStage, OffenceType } from '../domain/vocabulary';
import type { CaseTxEvent } from './assignmentRepository';
import { readCaseEvents, readCasesEvents, type CaseEventRecord } from './caseRepository';
import { normaliseAadId } from './rosterRepository';
import { isUuid } from '../shared/ids';
import type { OwedMessage } from './outboxRepository';
import { ACTIVE_STAGES_SQL } from './stages';
import type { Party } from '../domain/caseState';
import { ERASED_TEXT, type FieldCipher } from './crypto/fieldCipher';

/** Where a note's text is bound when sealed: its own id, so notes cannot be swapped within a case. */
export function noteFieldName(noteId: string): string {
  return `case_notes.${noteId}.text`;
}

export const NOTE_KINDS = ['contact', 'risk', 'conference_attendees', 'conference_not_held', 'closing', 'reopening', 'legal_hold', 'erasure_refusal'] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

export interface CaseNote {
  id: string;
  caseId: string;
  kind: NoteKind;
  text: string;
  authorAadId: string;
  at: Date;
}

/** The case row as progress needs it, read under the lock. */
export interface ProgressCase {
  id: string;
  reference: string;
  stage: CaseStage;
  referrerAadId: string;
  referrerTenantId: string;
  createdAt: Date;
}

/** The subset of a locked-case transaction that running lifecycle commands needs (CaseTx has it too). */
export interface CommandTx {
  readonly locked: { readonly stage: CaseStage };
  listEvents(): Promise<CaseEventRecord[]>;
  appendEvent(event: CaseTxEvent): Promise<CaseEventRecord>;
  setStage(stage: CaseStage): Promise<void>;
  /** Messages this change owes, written to the outbox: they are sent if and only if it commits. */
  owe(messages: readonly OwedMessage[]): Promise<void>;
}

/** A form submit already recorded under its nonce (migration 008). */
export interface UsedFormNonce {
  caseId: string;
  form: string;
  actorAadId: string;
  /** sha256 (hex) of the values submitted. */
  valuesHash: string;
  /** The answer the first submit got. */
  result: string;
}

export interface ProgressTx extends CommandTx {
  readonly locked: ProgressCase;
  /**
   * The note commits or rolls back with the event that refers to it. Sealed under `party`'s data key
   * when it is about one participant (a contact note), else under the case's key.
   */
  insertNote(note: { id: string; kind: NoteKind; text: string; authorAadId: string; party?: Party }): Promise<void>;
  /** The submit that used this form nonce, if one committed (read under the case's lock, so a repeat of the same case waits for the first). */
  usedFormNonce(nonce: string): Promise<UsedFormNonce | undefined>;
  /**
   * Records the nonce with the answer given, committing or rolling back with the change. False when
   * another transaction recorded it first (only possible across two cases: one case's submits
   * serialise on its lock); the caller must then roll back.
   */
  recordFormNonce(used: { nonce: string; form: string; actorAadId: string; valuesHash: string; result: string }): Promise<boolean>;
}

export interface OpenCaseRow {
  id: string;
  reference: string;
  stage: CaseStage;
  offenceType: OffenceType;
  createdAt: Date;
  /** When the pair was (last) confirmed: first-contact due dates run from it, as the reminders' do. */
  pairConfirmedAt: Date | null;
  /** Facilitators who accepted and are still on the case. */
  facilitators: string[];
}

/**
 * The reads behind the case card and the lists. Progress writes (contacts, consent, risk, conference,
 * closing) run under the case's row lock (CaseLocks, src/store/caseLock.ts), the same lock as
 * assignment changes, so the two serialise with each other.
 */
export class ProgressRepository {
  constructor(
    private readonly pool: Pool,
    private readonly cipher: FieldCipher,
  ) {}

  /** Notes by id, for the case card. Only the asked-for ids of the one case are read. */
  async notes(caseId: string, ids: readonly string[]): Promise<Map<string, CaseNote>> {
    const wanted = ids.filter(isUuid);
    if (!isUuid(caseId) || wanted.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: string; case_id: string; kind: NoteKind; text: string; author_aad_id: string; at: Date }>(
      'SELECT id, case_id, kind, text, author_aad_id, at FROM case_notes WHERE case_id = $1 AND id = ANY($2::uuid[])',
      [caseId, wanted],
    );
    if (rows.length === 0) return new Map();
    const keys = await this.cipher.caseKeys(this.pool, caseId);
    return new Map(rows.map((r) => [r.id, { id: r.id, caseId: r.case_id, kind: r.kind, text: keys.open(noteFieldName(r.id), r.text) ?? ERASED_TEXT, authorAadId: r.author_aad_id, at: r.at }]));
  }

  /** A case's whole log, oldest first (the case card folds it). */
  async listEvents(caseId: string): Promise<CaseEventRecord[]> {
    if (!isUuid(caseId)) return [];
    return readCaseEvents(this.pool, caseId, this.cipher);
  }

  /** Every event of the given cases, oldest first per case. */
  async eventsOf(caseIds: readonly string[]): Promise<Map<string, CaseEventRecord[]>> {
    return readCasesEvents(this.pool, caseIds.filter(isUuid), this.cipher);
  }

  /** Open cases (accepted into the service, not closed), oldest reference first; optionally one facilitator's. */
  async openCases(filter: { facilitatorAadId?: string; stage?: CaseStage } = {}): Promise<OpenCaseRow[]> {
    const { rows } = await this.pool.query<{ id: string; reference: string; stage: CaseStage; offence_type: OffenceType; created_at: Date; pair_confirmed_at: Date | null; facilitators: string[] | null }>(
      `SELECT c.id, c.reference, c.stage, c.offence_type, c.created_at, c.pair_confirmed_at,
              array_remove(array_agg(o.facilitator_aad_id ORDER BY o.answered_at), NULL) AS facilitators
       FROM cases c LEFT JOIN offers o ON o.case_id = c.id AND o.status = 'accepted'
       WHERE c.stage IN ${ACTIVE_STAGES_SQL}
         AND ($1::text IS NULL OR c.stage = $1)
       GROUP BY c.id
       HAVING $2::text IS NULL OR $2 = ANY(array_agg(o.facilitator_aad_id))
       ORDER BY c.ref_year, c.ref_seq`,
      [filter.stage ?? null, filter.facilitatorAadId ? normaliseAadId(filter.facilitatorAadId) : null],
    );
    return rows.map((r) => ({ id: r.id, reference: r.reference, stage: r.stage, offenceType: r.offence_type, createdAt: r.created_at, pairConfirmedAt: r.pair_confirmed_at, facilitators: r.facilitators ?? [] }));
  }
}
