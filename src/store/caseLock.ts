import type { Pool } from 'pg';
import type { CaseStage } from '../domain/vocabulary';
import {
  CaseNotFoundError,
  loadLockedCase,
  OFFER_COLUMNS,
  toOffer,
  translateOfferError,
  type CaseTx,
  type CaseTxEvent,
  type LockedCase,
  type Offer,
  type OfferRow,
  type OfferStatus,
} from './assignmentRepository';
import { readCaseEvents, type CaseEventRecord, type CaseRepository } from './caseRepository';
import { noteFieldName, type NoteKind, type ProgressTx, type UsedFormNonce } from './progressRepository';
import type { Party } from '../domain/caseState';
import { withTransaction, type Queryable } from './db';
import { oweMessages, type OwedMessage } from './outboxRepository';
import { normaliseAadId } from './rosterRepository';
import { isUuid } from '../shared/ids';
import { anonymiseCase, closedAtOf, setLegalHold, type RetentionTx } from './retention';
import { decideErasureRequest, eraseParticipant, erasureRequest, insertErasureRequest, openErasureRequest, type ErasureRequest, type ErasureTx } from './erasure';
import type { ErasureDecision } from '../domain/erasure';

/** A transaction holding one case's row lock: assignment, progress and retention writes alike. */
export type LockedTx = CaseTx & ProgressTx & RetentionTx & ErasureTx;

/**
 * The one place a case's row lock is taken (`SELECT … FOR UPDATE` on the case). Every change to one
 * case runs under it, so two facilitators accepting at the same instant, a double click, a Teams
 * retry, or an assignment and a progress change to the same case are applied one after the other,
 * each seeing the one before.
 */
export class CaseLocks {
  constructor(
    private readonly pool: Pool,
    /** Appends events (and their trace context); passed in, so every writer shares one. */
    private readonly events: CaseRepository,
  ) {}

  /**
   * BEGIN; lock the case row (FOR UPDATE); load the snapshot; run `fn`; COMMIT, or ROLLBACK if
   * anything throws. Throws CaseNotFoundError for an unknown or malformed id. Keep `fn` to database
   * work: sending to Teams while holding the lock would stall every other action on the case.
   */
  async withCaseLocked<T>(caseId: string, fn: (tx: LockedTx) => Promise<T>): Promise<T> {
    if (!isUuid(caseId)) throw new CaseNotFoundError(caseId);
    return this.locked('id = $1', caseId, caseId, fn);
  }

  /** As withCaseLocked, for a reference such as 'RJ-2026-0007' (case and spaces ignored). */
  async withCaseLockedByReference<T>(reference: string, fn: (tx: LockedTx) => Promise<T>): Promise<T> {
    const normalised = reference.trim().toUpperCase();
    return this.locked('reference = $1', normalised, reference, fn);
  }


  private async locked<T>(where: string, value: string, label: string, fn: (tx: LockedTx) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      const snapshot = await loadLockedCase(client, where, value);
      if (!snapshot) throw new CaseNotFoundError(label);
      return fn(new LockedCaseTx(client, this.events, snapshot));
    });
  }
}

class LockedCaseTx implements CaseTx, ProgressTx, RetentionTx, ErasureTx {
  private current: LockedCase;

  constructor(
    private readonly client: Queryable,
    private readonly events: CaseRepository,
    snapshot: LockedCase,
  ) {
    this.current = snapshot;
  }

  get case(): LockedCase {
    return this.current;
  }

  get locked(): LockedCase {
    return this.current;
  }

  private get caseId(): string {
    return this.current.id;
  }

  async reload(): Promise<LockedCase> {
    const snapshot = await loadLockedCase(this.client, 'id = $1', this.caseId);
    if (!snapshot) throw new CaseNotFoundError(this.caseId);
    this.current = snapshot;
    return snapshot;
  }

  async listEvents(): Promise<CaseEventRecord[]> {
    return readCaseEvents(this.client, this.caseId, this.events.cipher);
  }

  async setStage(stage: CaseStage): Promise<void> {
    await this.client.query('UPDATE cases SET stage = $2 WHERE id = $1', [this.caseId, stage]);
  }

  async setTriage(triage: { by: string; at: Date; declineReason?: string | null }): Promise<void> {
    await this.client.query(
      'UPDATE cases SET triaged_at = $2, triaged_by = $3, decline_reason = $4 WHERE id = $1',
      [this.caseId, triage.at, triage.by, triage.declineReason ?? null],
    );
  }

  async setPairConfirmed(at: Date | null): Promise<void> {
    await this.client.query('UPDATE cases SET pair_confirmed_at = $2 WHERE id = $1', [this.caseId, at]);
  }

  async insertOffer(offer: { facilitatorAadId: string; offeredBy: string; at?: Date }): Promise<Offer> {
    const facilitator = normaliseAadId(offer.facilitatorAadId);
    try {
      const { rows } = await this.client.query<OfferRow>(
        `INSERT INTO offers (case_id, facilitator_aad_id, offered_by, offered_at)
         VALUES ($1, $2, $3, COALESCE($4::timestamptz, now()))
         RETURNING ${OFFER_COLUMNS}`,
        [this.caseId, facilitator, offer.offeredBy, offer.at ?? null],
      );
      const row = rows[0];
      if (!row) throw new Error(`insertOffer: insert for case ${this.caseId} returned no row`);
      return toOffer(row);
    } catch (err) {
      throw translateOfferError(err, this.caseId, facilitator);
    }
  }

  async setOfferStatus(
    offerId: string,
    status: Exclude<OfferStatus, 'offered'>,
    opts: { at: Date; reason?: string | null },
  ): Promise<Offer> {
    const reason = opts.reason ?? null;
    let rows: OfferRow[];
    try {
      // Scoped to the locked case: an offer of another case would be changed without its lock.
      ({ rows } = await this.client.query<OfferRow>(
        `UPDATE offers SET
           status = $3,
           answered_at = CASE WHEN $3 IN ('accepted', 'declined') THEN $4::timestamptz ELSE answered_at END,
           decline_reason = CASE WHEN $3 = 'declined' THEN $5 ELSE decline_reason END,
           withdrawn_reason = CASE WHEN $3 = 'withdrawn' THEN $5 ELSE withdrawn_reason END
         WHERE id = $1 AND case_id = $2
         RETURNING ${OFFER_COLUMNS}`,
        [isUuid(offerId) ? offerId : null, this.caseId, status, opts.at, reason],
      ));
    } catch (err) {
      throw translateOfferError(err, this.caseId, null);
    }
    const row = rows[0];
    if (!row) throw new Error(`setOfferStatus: offer ${offerId} is not an offer of case ${this.caseId}`);
    return toOffer(row);
  }

  async appendEvent(event: CaseTxEvent): Promise<CaseEventRecord> {
    const record = await this.events.appendEvent(this.client, { ...event, caseId: this.caseId });
    // System events (a reminder sent, a reconciliation) are not activity: counting them would let the
    // stale-case reminder keep resetting its own clock.
    if (event.actorRole !== 'system') {
      await this.client.query(
        'UPDATE cases SET last_activity_at = GREATEST(last_activity_at, $2) WHERE id = $1',
        [this.caseId, record.at],
      );
    }
    return record;
  }

  async setChannelCard(conversationId: string, activityId: string): Promise<void> {
    await this.client.query(
      'UPDATE cases SET channel_conversation_id = $2, channel_activity_id = $3 WHERE id = $1',
      [this.caseId, conversationId, activityId],
    );
  }

  async owe(messages: readonly OwedMessage[]): Promise<void> {
    await oweMessages(this.client, messages);
  }

  async erasureRequest(id: string): Promise<ErasureRequest | undefined> {
    return isUuid(id) ? erasureRequest(this.client, this.caseId, id) : undefined;
  }

  async openErasureRequest(party: Party): Promise<ErasureRequest | undefined> {
    return openErasureRequest(this.client, this.caseId, party);
  }

  async insertErasureRequest(r: Omit<ErasureRequest, 'caseId' | 'remindedAt' | 'decidedAt' | 'decision'>): Promise<void> {
    await insertErasureRequest(this.client, this.caseId, r);
  }

  async decideErasureRequest(id: string, d: { decision: ErasureDecision; by: string; at: Date; refusalNoteId?: string }): Promise<void> {
    await decideErasureRequest(this.client, this.caseId, id, d);
  }

  async eraseParticipant(party: Party, at: Date): Promise<void> {
    await eraseParticipant(this.client, this.caseId, party, at);
  }

  async closedAt(): Promise<Date | null> {
    return closedAtOf(this.client, this.caseId);
  }

  async setLegalHold(since: Date | null): Promise<void> {
    await setLegalHold(this.client, this.caseId, since);
  }

  async anonymise(at: Date): Promise<void> {
    await anonymiseCase(this.client, this.caseId, at);
  }

  async insertNote(note: { id: string; kind: NoteKind; text: string; authorAadId: string; party?: Party }): Promise<void> {
    if (!isUuid(note.id)) throw new Error(`insertNote: note id "${note.id}" is not a UUID`);
    const keys = await this.events.cipher.caseKeys(this.client, this.caseId);
    await this.client.query(
      'INSERT INTO case_notes (id, case_id, kind, text, author_aad_id) VALUES ($1, $2, $3, $4, $5)',
      [note.id, this.caseId, note.kind, keys.seal(note.party ?? 'case', noteFieldName(note.id), note.text), note.authorAadId],
    );
  }

  async usedFormNonce(nonce: string): Promise<UsedFormNonce | undefined> {
    if (!isUuid(nonce)) return undefined;
    const { rows } = await this.client.query<{ case_id: string; form: string; actor_aad_id: string; values_hash: string; result: string }>(
      'SELECT case_id, form, actor_aad_id, values_hash, result FROM form_nonces WHERE nonce = $1',
      [nonce],
    );
    const r = rows[0];
    return r ? { caseId: r.case_id, form: r.form, actorAadId: r.actor_aad_id, valuesHash: r.values_hash, result: r.result } : undefined;
  }

  async recordFormNonce(used: { nonce: string; form: string; actorAadId: string; valuesHash: string; result: string }): Promise<boolean> {
    // ON CONFLICT waits for a concurrent insert of the same nonce to commit or roll back.
    const { rowCount } = await this.client.query(
      'INSERT INTO form_nonces (nonce, case_id, form, actor_aad_id, values_hash, result) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (nonce) DO NOTHING',
      [used.nonce, this.caseId, used.form, used.actorAadId, used.valuesHash, used.result],
    );
    return rowCount === 1;
  }
}
