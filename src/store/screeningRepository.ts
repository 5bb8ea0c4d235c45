import type { Pool } from 'pg';
import type { Queryable } from './db';
import { isUuid } from '../shared/ids';
import { toJsonParam, type IsoDate, type JsonObject } from './types';

export type ScreeningOutcome = 'eligible' | 'ineligible' | 'needs_review';

/**
 * One completed eligibility screening. Deliberately holds no participant data: screenings are kept
 * for every outcome, including the ones that never become a case.
 */
export interface NewScreening {
  /** Chosen by the caller (the dialog) so that recording the same screening twice is a no-op. */
  id?: string;
  tenantId: string;
  /** Organisation name or referral source label; null when the tenant maps to none. */
  source: string | null;
  /** Rule code → 'yes' | 'no' | 'not_sure', plus the stalking / child-abuse / under-18 sub-answers. */
  answers: JsonObject;
  outcome: ScreeningOutcome;
  /** The failing ("no") or uncertain ("not sure") rule codes behind the outcome. */
  reasonCodes: readonly string[];
  sentencingDate: IsoDate | null;
  /** The referrer to remind on `sentencingDate`; must be null unless that date is given. */
  reReferAadId: string | null;
}

export interface ScreeningRecord extends NewScreening {
  id: string;
  at: Date;
  caseId: string | null;
}

interface ScreeningRow {
  id: string;
  at: Date;
  tenant_id: string;
  source: string | null;
  answers: JsonObject;
  outcome: ScreeningOutcome;
  reason_codes: string[];
  sentencing_date: string | null;
  re_refer_aad_id: string | null;
  case_id: string | null;
}

export class ScreeningRepository {
  constructor(private readonly pool: Pool) {}

  /** Returns the new screening's id, to hand to `CaseRepository.createReferral` if a referral follows. */
  async record(input: NewScreening): Promise<string> {
    if (input.reReferAadId !== null && input.sentencingDate === null) {
      throw new Error('ScreeningRepository.record: reReferAadId given without a sentencingDate; no identity is kept without one');
    }
    return insertScreening(this.pool, input);
  }

  /**
   * The referrer asked to be reminded to refer again on the sentencing date. Only an ineligible
   * screening that never became a case takes one; returns false otherwise.
   */
  async setReRefer(id: string, sentencingDate: IsoDate, aadObjectId: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.pool.query(
      `UPDATE screenings SET sentencing_date = $2, re_refer_aad_id = $3
       WHERE id = $1 AND outcome = 'ineligible' AND case_id IS NULL`,
      [id, sentencingDate, aadObjectId],
    );
    return result.rowCount === 1;
  }

  async get(id: string): Promise<ScreeningRecord | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<ScreeningRow>(
      `SELECT id, at, tenant_id, source, answers, outcome, reason_codes,
              to_char(sentencing_date, 'YYYY-MM-DD') AS sentencing_date, re_refer_aad_id, case_id
       FROM screenings WHERE id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      at: r.at,
      tenantId: r.tenant_id,
      source: r.source,
      answers: r.answers,
      outcome: r.outcome,
      reasonCodes: r.reason_codes,
      sentencingDate: r.sentencing_date,
      reReferAadId: r.re_refer_aad_id,
      caseId: r.case_id,
    };
  }
}

/** Shared with CaseRepository, which records a referral's screening in the same transaction as the case. */
export async function insertScreening(db: Queryable, input: NewScreening): Promise<string> {
  if (input.reReferAadId !== null && input.sentencingDate === null) {
    throw new Error('ScreeningRepository.record: reReferAadId given without a sentencingDate; no identity is kept without one');
  }
  if (input.id !== undefined && !isUuid(input.id)) {
    throw new Error(`ScreeningRepository.record: id "${input.id}" is not a UUID`);
  }
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO screenings (id, tenant_id, source, answers, outcome, reason_codes, sentencing_date, re_refer_aad_id)
     VALUES (COALESCE($1::uuid, gen_random_uuid()), $2, $3, $4::jsonb, $5, $6, $7, $8)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [input.id ?? null, input.tenantId, input.source, toJsonParam(input.answers), input.outcome, [...input.reasonCodes],
      input.sentencingDate, input.reReferAadId],
  );
  const id = rows[0]?.id ?? input.id;
  if (id === undefined) throw new Error('ScreeningRepository.record: insert returned no id');
  return id;
}
