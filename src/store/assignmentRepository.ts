import type { Pool } from 'pg';
import type { CaseStage, OffenceType } from '../domain/vocabulary';
import type { ActorRole, CaseEventRecord } from './caseRepository';
import { isUniqueViolation, sqlState, type Queryable } from './db';
import { normaliseAadId, OPEN_CASE_COUNTS_SQL } from './rosterRepository';
import { isUuid } from '../shared/ids';
import type { JsonObject } from './types';
import type { OwedMessage } from './outboxRepository';
import { CLOSED_STAGES_SQL } from './stages';

export type OfferStatus = 'offered' | 'accepted' | 'declined' | 'withdrawn';
/** Statuses that hold a facilitator's place on a case (and count towards their caseload). */
export const LIVE_OFFER_STATUSES: readonly OfferStatus[] = ['offered', 'accepted'];

export interface Offer {
  id: string;
  caseId: string;
  /** Lower-case, as on the roster. */
  facilitatorAadId: string;
  status: OfferStatus;
  offeredAt: Date;
  offeredBy: string;
  /** When the facilitator accepted or declined; a withdrawal leaves it as it was. */
  answeredAt: Date | null;
  declineReason: string | null;
  withdrawnReason: string | null;
  /** Where the offer card was posted, so it can be updated in place once answered. */
  cardConversationId: string | null;
  cardActivityId: string | null;
  sendError: string | null;
}

/** The case as it stood when its row lock was taken; every field the assignment rules read. */
export interface LockedCase {
  id: string;
  reference: string;
  stage: CaseStage;
  complex: boolean;
  extraCare: boolean;
  offenceType: OffenceType;
  referrerAadId: string;
  referrerTenantId: string;
  source: string;
  createdAt: Date;
  triagedAt: Date | null;
  triagedBy: string | null;
  pairConfirmedAt: Date | null;
  declineReason: string | null;
  channelConversationId: string | null;
  channelActivityId: string | null;
  lastActivityAt: Date;
  /** Every offer ever made on the case, live or not, oldest first. */
  offers: Offer[];
}

export interface CaseTxEvent {
  /** Null for events the system raises itself. */
  actorAadId: string | null;
  actorRole: ActorRole;
  type: string;
  /** Ids and codes only, as for every case event. */
  data?: JsonObject;
}

/** Writes to the locked case, all on the transaction's client: they commit or roll back together. */
export interface CaseTx {
  /** The snapshot taken under the lock (or by the latest `reload`). */
  readonly case: LockedCase;
  /** The same snapshot as `case`, under the name callers written against an earlier draft use. */
  readonly locked: LockedCase;
  /** Re-reads the case and its offers after this transaction's own writes. */
  reload(): Promise<LockedCase>;
  /**
   * The case's whole event log, oldest first, read under the lock: a fold over it is the current
   * state, and no one can append to it before this transaction ends.
   */
  listEvents(): Promise<CaseEventRecord[]>;
  setStage(stage: CaseStage): Promise<void>;
  /** A null or absent `declineReason` clears it, so re-triage after a reopen leaves no stale reason. */
  setTriage(triage: { by: string; at: Date; declineReason?: string | null }): Promise<void>;
  setPairConfirmed(at: Date | null): Promise<void>;
  /** Throws LiveOfferExistsError if the facilitator already holds a live offer on this case. */
  insertOffer(offer: { facilitatorAadId: string; offeredBy: string; at?: Date }): Promise<Offer>;
  /**
   * `reason` goes to decline_reason for 'declined' and withdrawn_reason for 'withdrawn'. Which moves
   * are legal is the domain's decision, not checked here.
   */
  setOfferStatus(
    offerId: string,
    status: Exclude<OfferStatus, 'offered'>,
    opts: { at: Date; reason?: string | null },
  ): Promise<Offer>;
  /** Appends to case_events; a non-system event also counts as activity for the stale-case reminder. */
  appendEvent(event: CaseTxEvent): Promise<CaseEventRecord>;
  setChannelCard(conversationId: string, activityId: string): Promise<void>;
  /** Messages this change owes, written to the outbox: they are sent if and only if it commits. */
  owe(messages: readonly OwedMessage[]): Promise<void>;
}

/** The caseload view of a case: one a facilitator has accepted and that is still open. */
export interface FacilitatorCase {
  caseId: string;
  reference: string;
  stage: CaseStage;
  complex: boolean;
  extraCare: boolean;
  offenceType: OffenceType;
  offerId: string;
  acceptedAt: Date | null;
  lastActivityAt: Date;
}

export class CaseNotFoundError extends Error {
  constructor(readonly caseKey: string) {
    super(`Case ${caseKey} does not exist`);
    this.name = 'CaseNotFoundError';
  }
}

export class LiveOfferExistsError extends Error {
  constructor(
    readonly caseId: string,
    /** Null when the violating write named only the offer (a status change). */
    readonly facilitatorAadId: string | null,
    options?: ErrorOptions,
  ) {
    const who = facilitatorAadId === null ? 'That facilitator' : `Facilitator ${facilitatorAadId}`;
    super(`${who} already has a live offer on case ${caseId}`, options);
    this.name = 'LiveOfferExistsError';
  }
}

const LIVE_OFFER_INDEX = 'offers_one_live_per_facilitator';

export interface OfferRow {
  id: string;
  case_id: string;
  facilitator_aad_id: string;
  status: OfferStatus;
  offered_at: Date;
  offered_by: string;
  answered_at: Date | null;
  decline_reason: string | null;
  withdrawn_reason: string | null;
  card_conversation_id: string | null;
  card_activity_id: string | null;
  send_error: string | null;
}

interface LockedCaseRow {
  id: string;
  reference: string;
  stage: CaseStage;
  complex: boolean;
  extra_care: boolean;
  offence_type: OffenceType;
  referrer_aad_id: string;
  referrer_tenant_id: string;
  source: string;
  created_at: Date;
  triaged_at: Date | null;
  triaged_by: string | null;
  pair_confirmed_at: Date | null;
  decline_reason: string | null;
  channel_conversation_id: string | null;
  channel_activity_id: string | null;
  last_activity_at: Date;
}

interface FacilitatorCaseRow {
  id: string;
  reference: string;
  stage: CaseStage;
  complex: boolean;
  extra_care: boolean;
  offence_type: OffenceType;
  offer_id: string;
  answered_at: Date | null;
  last_activity_at: Date;
}

export const OFFER_COLUMNS = `id, case_id, facilitator_aad_id, status, offered_at, offered_by, answered_at, decline_reason,
  withdrawn_reason, card_conversation_id, card_activity_id, send_error`;

const LOCKED_CASE_COLUMNS = `id, reference, stage, complex, extra_care, offence_type, referrer_aad_id,
  referrer_tenant_id, source, created_at, triaged_at, triaged_by, pair_confirmed_at, decline_reason,
  channel_conversation_id, channel_activity_id, last_activity_at`;

/**
 * Assignment primitives. Legality is decided by the pure domain in the application layer; this
 * repository makes it safe to act on that decision: every change to one case runs under that case's
 * row lock, so two facilitators accepting at the same instant, a double click or a Teams retry are
 * applied one after the other, each seeing the one before.
 */
export class AssignmentRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Where the coordinators' card of the case was posted. Outside the lock because it only records a
   * send that already happened; CaseTx.setChannelCard does the same inside a transaction.
   */
  async setChannelCard(caseId: string, conversationId: string, activityId: string): Promise<boolean> {
    if (!isUuid(caseId)) return false;
    const { rowCount } = await this.pool.query(
      'UPDATE cases SET channel_conversation_id = $2, channel_activity_id = $3 WHERE id = $1',
      [caseId, conversationId, activityId],
    );
    return rowCount === 1;
  }

  /** Null when the case has no posted card (or does not exist). */
  async getChannelCard(caseId: string): Promise<{ conversationId: string; activityId: string } | null> {
    if (!isUuid(caseId)) return null;
    const { rows } = await this.pool.query<{ channel_conversation_id: string | null; channel_activity_id: string | null }>(
      'SELECT channel_conversation_id, channel_activity_id FROM cases WHERE id = $1',
      [caseId],
    );
    const r = rows[0];
    if (!r || r.channel_conversation_id === null || r.channel_activity_id === null) return null;
    return { conversationId: r.channel_conversation_id, activityId: r.channel_activity_id };
  }

  /** Records where the offer card was delivered and clears an earlier send error. */
  async setOfferCard(offerId: string, conversationId: string, activityId: string): Promise<boolean> {
    if (!isUuid(offerId)) return false;
    const { rowCount } = await this.pool.query(
      `UPDATE offers SET card_conversation_id = $2, card_activity_id = $3, send_error = NULL WHERE id = $1`,
      [offerId, conversationId, activityId],
    );
    return rowCount === 1;
  }

  /** Null clears it (a retry got through). */
  async setOfferSendError(offerId: string, error: string | null): Promise<boolean> {
    if (!isUuid(offerId)) return false;
    const { rowCount } = await this.pool.query('UPDATE offers SET send_error = $2 WHERE id = $1', [offerId, error]);
    return rowCount === 1;
  }

  /** Null for an unknown or malformed id (offer ids arrive in card data). */
  async getOffer(offerId: string): Promise<Offer | null> {
    if (!isUuid(offerId)) return null;
    const { rows } = await this.pool.query<OfferRow>(`SELECT ${OFFER_COLUMNS} FROM offers WHERE id = $1`, [offerId]);
    const row = rows[0];
    return row ? toOffer(row) : null;
  }

  /** Every offer of the case, oldest first. */
  async listOffers(caseId: string): Promise<Offer[]> {
    if (!isUuid(caseId)) return [];
    return loadOffers(this.pool, caseId);
  }

  /** Open cases the facilitator has accepted and not been withdrawn from, oldest acceptance first. */
  async casesForFacilitator(aadObjectId: string): Promise<FacilitatorCase[]> {
    const { rows } = await this.pool.query<FacilitatorCaseRow>(
      `SELECT c.id, c.reference, c.stage, c.complex, c.extra_care, c.offence_type, o.id AS offer_id,
              o.answered_at, c.last_activity_at
       FROM offers o JOIN cases c ON c.id = o.case_id
       WHERE o.facilitator_aad_id = $1 AND o.status = 'accepted' AND c.stage NOT IN ${CLOSED_STAGES_SQL}
       ORDER BY o.answered_at NULLS LAST, c.reference`,
      [normaliseAadId(aadObjectId)],
    );
    return rows.map((r) => ({
      caseId: r.id,
      reference: r.reference,
      stage: r.stage,
      complex: r.complex,
      extraCare: r.extra_care,
      offenceType: r.offence_type,
      offerId: r.offer_id,
      acceptedAt: r.answered_at,
      lastActivityAt: r.last_activity_at,
    }));
  }

  /** Facilitator id → open cases, counted exactly as RosterRepository's `openCases`; absent means 0. */
  async openCaseCounts(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ facilitator_aad_id: string; open_cases: number }>(OPEN_CASE_COUNTS_SQL);
    return new Map(rows.map((r) => [r.facilitator_aad_id, r.open_cases]));
  }
}

export async function loadLockedCase(db: Queryable, where: string, value: string): Promise<LockedCase | null> {
  const { rows } = await db.query<LockedCaseRow>(
    `SELECT ${LOCKED_CASE_COLUMNS} FROM cases WHERE ${where} FOR UPDATE`,
    [value],
  );
  const r = rows[0];
  if (!r) return null;
  // Read after the lock is granted, so (READ COMMITTED taking a fresh snapshot per statement) this
  // sees every offer committed by whoever held the lock before.
  const offers = await loadOffers(db, r.id);
  return {
    id: r.id,
    reference: r.reference,
    stage: r.stage,
    complex: r.complex,
    extraCare: r.extra_care,
    offenceType: r.offence_type,
    referrerAadId: r.referrer_aad_id,
    referrerTenantId: r.referrer_tenant_id,
    source: r.source,
    createdAt: r.created_at,
    triagedAt: r.triaged_at,
    triagedBy: r.triaged_by,
    pairConfirmedAt: r.pair_confirmed_at,
    declineReason: r.decline_reason,
    channelConversationId: r.channel_conversation_id,
    channelActivityId: r.channel_activity_id,
    lastActivityAt: r.last_activity_at,
    offers,
  };
}

async function loadOffers(db: Queryable, caseId: string): Promise<Offer[]> {
  const { rows } = await db.query<OfferRow>(
    `SELECT ${OFFER_COLUMNS} FROM offers WHERE case_id = $1 ORDER BY offered_at, id`,
    [caseId],
  );
  return rows.map(toOffer);
}

export function translateOfferError(err: unknown, caseId: string, facilitator: string | null): unknown {
  if (isUniqueViolation(err, LIVE_OFFER_INDEX)) return new LiveOfferExistsError(caseId, facilitator, { cause: err });
  if (sqlState(err) === '23503' && facilitator !== null) {
    return new Error(`Facilitator ${facilitator} is not on the staff roster`, { cause: err });
  }
  return err;
}

export function toOffer(r: OfferRow): Offer {
  return {
    id: r.id,
    caseId: r.case_id,
    facilitatorAadId: r.facilitator_aad_id,
    status: r.status,
    offeredAt: r.offered_at,
    offeredBy: r.offered_by,
    answeredAt: r.answered_at,
    declineReason: r.decline_reason,
    withdrawnReason: r.withdrawn_reason,
    cardConversationId: r.card_conversation_id,
    cardActivityId: r.card_activity_id,
    sendError: r.send_error,
  };
}
