import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Pool } from 'pg';
import type { CaseStage, OffenceType, SentenceType } from '../domain/vocabulary';
import { isUniqueViolation, withTransaction, type Queryable } from './db';
import { insertScreening, type NewScreening } from './screeningRepository';
import { isUuid } from '../shared/ids';
import { toJsonParam, type IsoDate, type JsonObject } from './types';
import { oweMessages, type OwedMessage } from './outboxRepository';
import { ERASED_TEXT, type CaseKeyRing, type FieldCipher } from './crypto/fieldCipher';
import { isEnvelope } from './crypto/envelope';

export type { IsoDate };

export type CaseEligibility = 'eligible' | 'needs_review';
export type ParticipantRole = 'harmed_person' | 'offender';
export type ActorRole = 'referrer' | 'coordinator' | 'facilitator' | 'system';

export interface NewParticipant {
  name: string;
  dateOfBirth: IsoDate | null;
  borough: string | null;
  phone: string | null;
  email: string | null;
  /** The referrer confirmed this person knows about the referral (not consent, which comes later). */
  aware: boolean;
}

/** What a referral records about the offence and its source, as submitted and as stored. */
export interface ReferralFields {
  referrerAadId: string;
  referrerTenantId: string;
  /** Organisation name or referral source label. */
  source: string;
  eligibility: CaseEligibility;
  /** Rule codes answered "not sure". */
  needsReviewReasons: readonly string[];
  offenceType: OffenceType;
  offenceDescription: string;
  offenceDate: IsoDate | null;
  crimeReference: string | null;
  sentenceDate: IsoDate | null;
  sentenceType: SentenceType | null;
  prison: string | null;
  relationship: string | null;
  riskNotes: string | null;
  accessNeeds: string | null;
  referrerPhone: string | null;
  complex: boolean;
  extraCare: boolean;
}

/** Everything the referral form collects, plus who sent it and how it was screened. */
export interface NewReferral extends ReferralFields {
  /** The referral form's id: a double submit of the same form must create one case. */
  submissionKey: string;
  /** The screening that led here, linked to the new case; null when there was none. */
  screeningId: string | null;
  /**
   * The screening itself, when it has not been recorded yet: it is then recorded in the same
   * transaction as the case, so a referral cancelled before submit leaves nothing behind.
   */
  screening?: NewScreening;
  harmedPerson: NewParticipant;
  offender: NewParticipant;
  /** Messages the new case owes (its card for the coordinators), written in the same transaction. */
  owe?: (caseId: string) => readonly OwedMessage[];
}

export interface CreatedReferral {
  caseId: string;
  reference: string;
  /** False when this submission key already had a case (a double submit or a retry). */
  created: boolean;
}

export interface ParticipantRecord extends NewParticipant {
  id: string;
  role: ParticipantRole;
  createdAt: Date;
}

export interface CaseRecord extends ReferralFields {
  id: string;
  reference: string;
  stage: CaseStage;
  submissionKey: string;
  createdAt: Date;
  updatedAt: Date;
  /** Triage and assignment (migration 002). */
  triagedAt: Date | null;
  triagedBy: string | null;
  declineReason: string | null;
  pairConfirmedAt: Date | null;
  /** Where the coordinators' card for this case was posted. */
  channelCard: { conversationId: string; activityId: string } | null;
  /** Harmed person first, then offender. */
  participants: ParticipantRecord[];
}

export interface ReferralSummary {
  reference: string;
  createdAt: Date;
  stage: CaseStage;
  offenceType: OffenceType;
}

export interface NewCaseEvent {
  caseId: string;
  /** Null for events the system raises itself (a reminder, a reconciliation). */
  actorAadId: string | null;
  actorRole: ActorRole;
  type: string;
  /** Ids and codes only: the event log is an audit trail, not a copy of personal data. */
  data?: JsonObject;
}

export interface CaseEventRecord {
  /** bigserial, kept as a string because it may outgrow a JS number. */
  id: string;
  caseId: string;
  at: Date;
  actorAadId: string | null;
  actorRole: ActorRole;
  type: string;
  data: JsonObject;
}

export interface CaseRepositoryOptions {
  /** The clock that decides a new reference's year; injected so a test can cross New Year. */
  now?: () => Date;
  /** Seals personal fields on the way in and opens them on the way out (src/store/crypto). */
  cipher: FieldCipher;
}

/**
 * The case columns that hold personal or offence free text, all sealed under the case's own key
 * (docs/DATA.md says why). Dates, codes, flags and the source organisation stay plain: lists, reports
 * and reminders select and sort by them.
 */
export const SEALED_CASE_COLUMNS = ['offence_description', 'crime_reference', 'prison', 'relationship', 'risk_notes', 'access_needs', 'referrer_phone'] as const;
/** Participant columns, each sealed under that participant's own key. */
export const SEALED_PARTICIPANT_COLUMNS = ['name', 'date_of_birth', 'borough', 'phone', 'email'] as const;
/** Free-text fields inside event payloads (the rest of a payload is ids and codes), sealed under the case key. */
export const SEALED_EVENT_FIELDS: readonly string[] = ['venue'];

export function caseFieldName(column: string): string {
  return `cases.${column}`;
}

export function participantFieldName(role: ParticipantRole, column: string): string {
  return `participants.${role}.${column}`;
}

export function eventFieldName(type: string, field: string): string {
  return `case_events.${type}.${field}`;
}

const MAX_LIST_LIMIT = 1000;

/** 'RJ-2026-0007'; a sequence past 9999 simply gets wider. */
export function formatCaseReference(year: number, seq: number): string {
  return `RJ-${year}-${String(seq).padStart(4, '0')}`;
}

interface CaseRow {
  id: string;
  reference: string;
  stage: CaseStage;
  eligibility: CaseEligibility;
  needs_review_reasons: string[];
  source: string;
  referrer_aad_id: string;
  referrer_tenant_id: string;
  offence_type: OffenceType;
  offence_description: string;
  offence_date: string | null;
  crime_reference: string | null;
  sentence_date: string | null;
  sentence_type: SentenceType | null;
  prison: string | null;
  relationship: string | null;
  risk_notes: string | null;
  access_needs: string | null;
  referrer_phone: string | null;
  complex: boolean;
  extra_care: boolean;
  submission_key: string;
  created_at: Date;
  updated_at: Date;
  triaged_at: Date | null;
  triaged_by: string | null;
  decline_reason: string | null;
  pair_confirmed_at: Date | null;
  channel_conversation_id: string | null;
  channel_activity_id: string | null;
}

interface ParticipantRow {
  id: string;
  role: ParticipantRole;
  name: string;
  date_of_birth: string | null;
  borough: string | null;
  phone: string | null;
  email: string | null;
  aware: boolean;
  created_at: Date;
}

interface EventRow {
  id: string;
  case_id: string;
  at: Date;
  actor_aad_id: string | null;
  actor_role: ActorRole;
  type: string;
  data: JsonObject;
}

// Dates leave PostgreSQL as text: pg would otherwise build a JS Date at local midnight.
const CASE_COLUMNS = `
  id, reference, stage, eligibility, needs_review_reasons, source, referrer_aad_id, referrer_tenant_id,
  offence_type, offence_description, to_char(offence_date, 'YYYY-MM-DD') AS offence_date, crime_reference,
  to_char(sentence_date, 'YYYY-MM-DD') AS sentence_date, sentence_type, prison, relationship, risk_notes,
  access_needs, referrer_phone, complex, extra_care, submission_key, created_at, updated_at,
  triaged_at, triaged_by, decline_reason, pair_confirmed_at, channel_conversation_id, channel_activity_id`;

const EVENT_COLUMNS = 'id, case_id, at, actor_aad_id, actor_role, type, data';

export class CaseRepository {
  private readonly now: () => Date;
  readonly cipher: FieldCipher;

  constructor(
    private readonly pool: Pool,
    opts: CaseRepositoryOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.cipher = opts.cipher;
  }

  /**
   * Creates the case, both participants and its `referred` event in one transaction, and links the
   * screening. Idempotent on `submissionKey`: a repeat, even a concurrent one, returns the existing
   * case with `created: false`.
   */
  async createReferral(input: NewReferral): Promise<CreatedReferral> {
    if (!input.submissionKey.trim()) throw new Error('createReferral: submissionKey is empty');
    if (input.screeningId !== null && !isUuid(input.screeningId)) {
      throw new Error(`createReferral: screeningId "${input.screeningId}" is not a UUID`);
    }
    try {
      return await withTransaction(this.pool, async (client) => {
        const existing = await findIdBySubmissionKey(client, input.submissionKey);
        if (existing) return { ...existing, created: false };

        // The service's year, not the server's local one (the same as UTC at New Year, London being on GMT).
        const year = DateTime.fromJSDate(this.now()).setZone('Europe/London').year;
        // The counter row stays locked until COMMIT, so references are unique and, because a rolled
        // back transaction gives its number back, consecutive.
        const counter = await client.query<{ last_seq: number }>(
          `INSERT INTO case_reference_counters (year, last_seq) VALUES ($1, 1)
           ON CONFLICT (year) DO UPDATE SET last_seq = case_reference_counters.last_seq + 1
           RETURNING last_seq`,
          [year],
        );
        const seq = counter.rows[0]?.last_seq;
        if (seq === undefined) throw new Error(`createReferral: no reference number allocated for ${year}`);
        const reference = formatCaseReference(year, seq);

        // The id is made here because the case's data keys, and so every sealed value, are bound to it.
        const caseId = randomUUID();
        const keys = await this.cipher.createCaseKeys(client, caseId);
        const sealCase = (column: (typeof SEALED_CASE_COLUMNS)[number], value: string | null) => keys.sealNullable('case', caseFieldName(column), value);
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO cases (
             id, reference, ref_year, ref_seq, eligibility, needs_review_reasons, source, referrer_aad_id,
             referrer_tenant_id, offence_type, offence_description, offence_date, crime_reference,
             sentence_date, sentence_type, prison, relationship, risk_notes, access_needs, referrer_phone,
             complex, extra_care, submission_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                   $20, $21, $22, $23)
           RETURNING id`,
          [
            caseId, reference, year, seq, input.eligibility, [...input.needsReviewReasons], input.source,
            input.referrerAadId, input.referrerTenantId, input.offenceType, sealCase('offence_description', input.offenceDescription),
            input.offenceDate, sealCase('crime_reference', input.crimeReference), input.sentenceDate, input.sentenceType,
            sealCase('prison', input.prison), sealCase('relationship', input.relationship), sealCase('risk_notes', input.riskNotes),
            sealCase('access_needs', input.accessNeeds), sealCase('referrer_phone', input.referrerPhone), input.complex,
            input.extraCare, input.submissionKey,
          ],
        );
        if (inserted.rows[0]?.id !== caseId) throw new Error(`createReferral: insert of case ${reference} returned no id`);

        const h = sealParticipant(keys, 'harmed_person', input.harmedPerson);
        const o = sealParticipant(keys, 'offender', input.offender);
        await client.query(
          `INSERT INTO participants (case_id, role, name, date_of_birth, borough, phone, email, aware)
           VALUES ($1, 'harmed_person', $2, $3, $4, $5, $6, $7),
                  ($1, 'offender', $8, $9, $10, $11, $12, $13)`,
          [caseId, h.name, h.date_of_birth, h.borough, h.phone, h.email, input.harmedPerson.aware,
            o.name, o.date_of_birth, o.borough, o.phone, o.email, input.offender.aware],
        );

        await this.appendEvent(client, {
          caseId,
          actorAadId: input.referrerAadId,
          actorRole: 'referrer',
          type: 'referred',
          data: { eligibility: input.eligibility, source: input.source },
        });

        if (input.screeningId !== null) {
          if (input.screening) await insertScreening(client, { ...input.screening, id: input.screeningId });
          const linked = await client.query(
            'UPDATE screenings SET case_id = $1 WHERE id = $2 AND case_id IS NULL',
            [caseId, input.screeningId],
          );
          if (linked.rowCount !== 1) {
            throw new Error(
              `createReferral: screening ${input.screeningId} does not exist or is already linked to a case`,
            );
          }
        }

        if (input.owe) await oweMessages(client, input.owe(caseId));
        return { caseId, reference, created: true };
      });
    } catch (err) {
      // A concurrent submit of the same form got there first; ours rolled back (and so did its number).
      if (isUniqueViolation(err, 'cases_submission_key_unique')) {
        const existing = await findIdBySubmissionKey(this.pool, input.submissionKey);
        if (existing) return { ...existing, created: false };
      }
      throw err;
    }
  }

  async findBySubmissionKey(submissionKey: string): Promise<CaseRecord | null> {
    return this.findOne('submission_key = $1', submissionKey);
  }

  async findByReference(reference: string): Promise<CaseRecord | null> {
    return this.findOne('reference = $1', reference.trim().toUpperCase());
  }

  /** Null when there is no such case, including when `id` is not a UUID (card data can be tampered with). */
  async getCase(id: string): Promise<CaseRecord | null> {
    if (!isUuid(id)) return null;
    return this.findOne('id = $1', id);
  }

  /** A referrer's own referrals, newest first; never anyone else's. */
  async listByReferrer(tenantId: string, aadObjectId: string, limit: number): Promise<ReferralSummary[]> {
    checkLimit(limit);
    const { rows } = await this.pool.query<{ reference: string; created_at: Date; stage: CaseStage; offence_type: OffenceType }>(
      `SELECT reference, created_at, stage, offence_type FROM cases
       WHERE referrer_tenant_id = $1 AND referrer_aad_id = $2
       ORDER BY created_at DESC, ref_year DESC, ref_seq DESC
       LIMIT $3`,
      [tenantId, aadObjectId, limit],
    );
    return rows.map((r) => ({ reference: r.reference, createdAt: r.created_at, stage: r.stage, offenceType: r.offence_type }));
  }

  /** Takes a Queryable so the event commits or rolls back with the change it records. */
  async appendEvent(client: Queryable, event: NewCaseEvent): Promise<CaseEventRecord> {
    const data = event.data ?? {};
    const stored = await sealEventData(client, this.cipher, event.caseId, event.type, data);
    const { rows } = await client.query<EventRow>(
      `INSERT INTO case_events (case_id, actor_aad_id, actor_role, type, data)
       VALUES ($1, $2, $3, $4, $5::jsonb)
       RETURNING ${EVENT_COLUMNS}`,
      [event.caseId, event.actorAadId, event.actorRole, event.type, toJsonParam(stored)],
    );
    const row = rows[0];
    if (!row) throw new Error(`appendEvent: insert of "${event.type}" for case ${event.caseId} returned no row`);
    // The caller gets back what it wrote, not the sealed form.
    return { ...toEvent(row), data };
  }

  /** The latest `limit` events of a case, oldest first (timeline order). */
  async listEvents(caseId: string, limit: number): Promise<CaseEventRecord[]> {
    checkLimit(limit);
    if (!isUuid(caseId)) return [];
    const { rows } = await this.pool.query<EventRow>(
      `SELECT * FROM (
         SELECT ${EVENT_COLUMNS} FROM case_events WHERE case_id = $1 ORDER BY id DESC LIMIT $2
       ) latest ORDER BY id`,
      [caseId, limit],
    );
    return openEvents(this.pool, this.cipher, caseId, rows);
  }

  private async findOne(where: string, value: string): Promise<CaseRecord | null> {
    const { rows } = await this.pool.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases WHERE ${where}`, [value]);
    const row = rows[0];
    if (!row) return null;
    const participants = await this.pool.query<ParticipantRow>(
      `SELECT id, role, name, date_of_birth, borough, phone, email, aware, created_at
       FROM participants WHERE case_id = $1
       ORDER BY CASE role WHEN 'harmed_person' THEN 0 ELSE 1 END, created_at, id`,
      [row.id],
    );
    const keys = await this.cipher.caseKeys(this.pool, row.id);
    return toCase(openCaseRow(keys, row), participants.rows.map((p) => toParticipant(openParticipantRow(keys, p))));
  }
}

async function findIdBySubmissionKey(
  db: Queryable,
  submissionKey: string,
): Promise<{ caseId: string; reference: string } | undefined> {
  const { rows } = await db.query<{ id: string; reference: string }>(
    'SELECT id, reference FROM cases WHERE submission_key = $1',
    [submissionKey],
  );
  const row = rows[0];
  return row ? { caseId: row.id, reference: row.reference } : undefined;
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
  }
}

function toCase(r: CaseRow, participants: ParticipantRecord[]): CaseRecord {
  return {
    id: r.id,
    reference: r.reference,
    stage: r.stage,
    eligibility: r.eligibility,
    needsReviewReasons: r.needs_review_reasons,
    source: r.source,
    referrerAadId: r.referrer_aad_id,
    referrerTenantId: r.referrer_tenant_id,
    offenceType: r.offence_type,
    offenceDescription: r.offence_description,
    offenceDate: r.offence_date,
    crimeReference: r.crime_reference,
    sentenceDate: r.sentence_date,
    sentenceType: r.sentence_type,
    prison: r.prison,
    relationship: r.relationship,
    riskNotes: r.risk_notes,
    accessNeeds: r.access_needs,
    referrerPhone: r.referrer_phone,
    complex: r.complex,
    extraCare: r.extra_care,
    submissionKey: r.submission_key,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    triagedAt: r.triaged_at,
    triagedBy: r.triaged_by,
    declineReason: r.decline_reason,
    pairConfirmedAt: r.pair_confirmed_at,
    channelCard: r.channel_conversation_id && r.channel_activity_id ? { conversationId: r.channel_conversation_id, activityId: r.channel_activity_id } : null,
    participants,
  };
}

function toParticipant(r: ParticipantRow): ParticipantRecord {
  return {
    id: r.id,
    role: r.role,
    name: r.name,
    dateOfBirth: r.date_of_birth,
    borough: r.borough,
    phone: r.phone,
    email: r.email,
    aware: r.aware,
    createdAt: r.created_at,
  };
}

/**
 * A case's whole event log, oldest first, read with `db` (a transaction's client, so that under the
 * case's row lock nobody can append before the transaction ends). The one reader of the log. Without
 * `cipher` the sealed fields of payloads (SEALED_EVENT_FIELDS) stay sealed: enough for readers of
 * types, dates and codes only.
 */
export async function readCaseEvents(db: Queryable, caseId: string, cipher?: FieldCipher): Promise<CaseEventRecord[]> {
  const { rows } = await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM case_events WHERE case_id = $1 ORDER BY id`, [caseId]);
  return cipher ? openEvents(db, cipher, caseId, rows) : rows.map(toEvent);
}

/** The logs of several cases, oldest first per case (sealed fields as readCaseEvents). */
export async function readCasesEvents(db: Queryable, caseIds: readonly string[], cipher?: FieldCipher): Promise<Map<string, CaseEventRecord[]>> {
  const out = new Map<string, CaseEventRecord[]>(caseIds.map((id) => [id, []]));
  if (caseIds.length === 0) return out;
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM case_events WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, id`,
    [[...caseIds]],
  );
  const byCase = new Map<string, EventRow[]>();
  for (const r of rows) {
    const list = byCase.get(r.case_id) ?? [];
    list.push(r);
    byCase.set(r.case_id, list);
  }
  for (const [caseId, list] of byCase) out.set(caseId, cipher ? await openEvents(db, cipher, caseId, list) : list.map(toEvent));
  return out;
}

function sealParticipant(keys: CaseKeyRing, role: ParticipantRole, p: NewParticipant): Record<(typeof SEALED_PARTICIPANT_COLUMNS)[number], string | null> {
  const seal = (column: (typeof SEALED_PARTICIPANT_COLUMNS)[number], v: string | null) => keys.sealNullable(role, participantFieldName(role, column), v);
  return { name: seal('name', p.name), date_of_birth: seal('date_of_birth', p.dateOfBirth), borough: seal('borough', p.borough), phone: seal('phone', p.phone), email: seal('email', p.email) };
}

function openCaseRow(keys: CaseKeyRing, r: CaseRow): CaseRow {
  const open = (column: (typeof SEALED_CASE_COLUMNS)[number], v: string | null) => keys.open(caseFieldName(column), v);
  return {
    ...r,
    offence_description: open('offence_description', r.offence_description) ?? ERASED_TEXT,
    crime_reference: open('crime_reference', r.crime_reference),
    prison: open('prison', r.prison),
    relationship: open('relationship', r.relationship),
    risk_notes: open('risk_notes', r.risk_notes),
    access_needs: open('access_needs', r.access_needs),
    referrer_phone: open('referrer_phone', r.referrer_phone),
  };
}

function openParticipantRow(keys: CaseKeyRing, r: ParticipantRow): ParticipantRow {
  const open = (column: (typeof SEALED_PARTICIPANT_COLUMNS)[number], v: string | null) => keys.open(participantFieldName(r.role, column), v);
  return {
    ...r,
    name: open('name', r.name) ?? ERASED_TEXT,
    date_of_birth: open('date_of_birth', r.date_of_birth),
    borough: open('borough', r.borough),
    phone: open('phone', r.phone),
    email: open('email', r.email),
  };
}

/** The payload to store: its free-text fields sealed under the case key (the log stays append-only; erasure is destroying the key). */
async function sealEventData(db: Queryable, cipher: FieldCipher, caseId: string, type: string, data: JsonObject): Promise<JsonObject> {
  const fields = SEALED_EVENT_FIELDS.filter((f) => typeof data[f] === 'string');
  if (fields.length === 0 || !cipher.encrypting) return data;
  const keys = await cipher.caseKeys(db, caseId);
  const out: JsonObject = { ...data };
  for (const f of fields) out[f] = keys.seal('case', eventFieldName(type, f), String(data[f]));
  return out;
}

async function openEvents(db: Queryable, cipher: FieldCipher, caseId: string, rows: readonly EventRow[]): Promise<CaseEventRecord[]> {
  // Most logs hold nothing sealed: their keys are not even read.
  const sealed = rows.some((r) => SEALED_EVENT_FIELDS.some((f) => isEnvelope(r.data[f])));
  if (!sealed) return rows.map(toEvent);
  const keys = await cipher.caseKeys(db, caseId);
  return rows.map((r) => {
    const e = toEvent(r);
    if (!SEALED_EVENT_FIELDS.some((f) => isEnvelope(r.data[f]))) return e;
    const data: JsonObject = { ...e.data };
    for (const f of SEALED_EVENT_FIELDS) {
      const v = data[f];
      if (isEnvelope(v)) data[f] = keys.open(eventFieldName(r.type, f), v) ?? ERASED_TEXT;
    }
    return { ...e, data };
  });
}


function toEvent(r: EventRow): CaseEventRecord {
  return {
    id: r.id,
    caseId: r.case_id,
    at: r.at,
    actorAadId: r.actor_aad_id,
    actorRole: r.actor_role,
    type: r.type,
    data: r.data,
  };
}
