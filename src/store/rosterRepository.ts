import type { Pool } from 'pg';

/** A coordinator and/or facilitator of the service. */
export interface StaffMember {
  /** Lower-case Entra object id. */
  aadObjectId: string;
  tenantId: string;
  displayName: string;
  coordinator: boolean;
  facilitator: boolean;
  /** False while a facilitator is unavailable for new cases; an inactive member keeps their cases. */
  active: boolean;
  /** May facilitate complex cases (homicide, death by driving). */
  experienced: boolean;
  maxCases: number;
  /** Cases not closed or declined on which this person has a live (offered or accepted) offer. */
  openCases: number;
}

export interface StaffUpsert {
  aadObjectId: string;
  tenantId: string;
  displayName: string;
  /** Omitted: left as it is (false for a new row). */
  coordinator?: boolean;
  facilitator?: boolean;
}

export const MAX_CASES_RANGE = { min: 1, max: 20 } as const;

/** Shown until the coordinator first talks to the bot and their real name is seen. */
export const SEEDED_COORDINATOR_NAME = 'Coordinator';

/**
 * Live offers on open cases, per facilitator. Shared with AssignmentRepository.openCaseCounts so the
 * roster card and the pair suggestion can never disagree about someone's caseload. An offer still
 * unanswered counts: it reserves the slot until declined or withdrawn.
 */
export const OPEN_CASE_COUNTS_SQL = `
  SELECT o.facilitator_aad_id, count(DISTINCT o.case_id)::int AS open_cases
  FROM offers o JOIN cases c ON c.id = o.case_id
  WHERE o.status IN ('offered', 'accepted') AND c.stage NOT IN ('closed', 'declined')
  GROUP BY o.facilitator_aad_id`;

interface StaffRow {
  aad_object_id: string;
  tenant_id: string;
  display_name: string;
  coordinator: boolean;
  facilitator: boolean;
  active: boolean;
  experienced: boolean;
  max_cases: number;
  open_cases: number;
}

const SELECT_STAFF = `
  SELECT s.aad_object_id, s.tenant_id, s.display_name, s.coordinator, s.facilitator, s.active, s.experienced,
         s.max_cases, COALESCE(oc.open_cases, 0) AS open_cases
  FROM staff s LEFT JOIN (${OPEN_CASE_COUNTS_SQL}) oc ON oc.facilitator_aad_id = s.aad_object_id`;

/** Entra object ids are GUIDs; case is not significant, so one spelling is stored. */
export function normaliseAadId(id: string): string {
  return id.trim().toLowerCase();
}

export class RosterRepository {
  constructor(private readonly pool: Pool) {}

  /** Everyone, or facilitators only (active or not), by display name. */
  async list(opts: { facilitatorsOnly?: boolean } = {}): Promise<StaffMember[]> {
    const where = opts.facilitatorsOnly ? 'WHERE s.facilitator' : '';
    const { rows } = await this.pool.query<StaffRow>(
      `${SELECT_STAFF} ${where} ORDER BY lower(s.display_name), s.aad_object_id`,
    );
    return rows.map(toStaff);
  }

  async get(aadObjectId: string): Promise<StaffMember | null> {
    const { rows } = await this.pool.query<StaffRow>(`${SELECT_STAFF} WHERE s.aad_object_id = $1`, [
      normaliseAadId(aadObjectId),
    ]);
    const row = rows[0];
    return row ? toStaff(row) : null;
  }

  /**
   * Adds the person or refreshes their name and tenant. Only the role flags given are changed, so
   * refreshing a coordinator's name never takes their facilitator role away, or the reverse.
   */
  async upsert(input: StaffUpsert): Promise<StaffMember> {
    const id = normaliseAadId(input.aadObjectId);
    if (!id) throw new Error('RosterRepository.upsert: aadObjectId is empty');
    await this.pool.query(
      `INSERT INTO staff (aad_object_id, tenant_id, display_name, coordinator, facilitator)
       VALUES ($1, $2, $3, COALESCE($4::boolean, false), COALESCE($5::boolean, false))
       ON CONFLICT (aad_object_id) DO UPDATE SET
         tenant_id = EXCLUDED.tenant_id,
         display_name = EXCLUDED.display_name,
         coordinator = COALESCE($4::boolean, staff.coordinator),
         facilitator = COALESCE($5::boolean, staff.facilitator)`,
      [id, input.tenantId, input.displayName, input.coordinator ?? null, input.facilitator ?? null],
    );
    const member = await this.get(id);
    if (!member) throw new Error(`RosterRepository.upsert: ${id} vanished after upsert`);
    return member;
  }

  /** Each setter returns false when there is no such person. */
  async setActive(aadObjectId: string, active: boolean): Promise<boolean> {
    return this.setColumn(aadObjectId, 'active', active);
  }

  async setExperienced(aadObjectId: string, experienced: boolean): Promise<boolean> {
    return this.setColumn(aadObjectId, 'experienced', experienced);
  }

  async setMaxCases(aadObjectId: string, maxCases: number): Promise<boolean> {
    if (!Number.isInteger(maxCases) || maxCases < MAX_CASES_RANGE.min || maxCases > MAX_CASES_RANGE.max) {
      throw new RangeError(
        `maxCases must be an integer from ${MAX_CASES_RANGE.min} to ${MAX_CASES_RANGE.max}, got ${maxCases}`,
      );
    }
    return this.setColumn(aadObjectId, 'max_cases', maxCases);
  }

  async setCoordinator(aadObjectId: string, coordinator: boolean): Promise<boolean> {
    return this.setColumn(aadObjectId, 'coordinator', coordinator);
  }

  /** Takes the person off the facilitator roster; the row stays because offers and events name them. */
  async removeFacilitator(aadObjectId: string): Promise<boolean> {
    return this.setColumn(aadObjectId, 'facilitator', false);
  }

  /**
   * Bootstraps the coordinators named in configuration. Insert-if-missing only: once a person is on
   * the roster, the roster decides, so a coordinator removed there is not restored by a restart.
   * Returns how many were added.
   */
  async seedCoordinators(ids: readonly string[], tenantId: string): Promise<number> {
    const unique = [...new Set(ids.map(normaliseAadId).filter((id) => id !== ''))];
    if (unique.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `INSERT INTO staff (aad_object_id, tenant_id, display_name, coordinator)
       SELECT id, $2::text, $3::text, true FROM unnest($1::text[]) AS id
       ON CONFLICT (aad_object_id) DO NOTHING`,
      [unique, tenantId, SEEDED_COORDINATOR_NAME],
    );
    return rowCount ?? 0;
  }

  /**
   * Everyone holding the coordinator role, whether or not `active`: that flag is about taking cases,
   * and a coordinator who pauses their facilitating must still hear about triage.
   */
  async coordinatorIds(): Promise<string[]> {
    const { rows } = await this.pool.query<{ aad_object_id: string }>(
      'SELECT aad_object_id FROM staff WHERE coordinator ORDER BY aad_object_id',
    );
    return rows.map((r) => r.aad_object_id);
  }

  private async setColumn(
    aadObjectId: string,
    column: 'active' | 'experienced' | 'max_cases' | 'coordinator' | 'facilitator',
    value: boolean | number,
  ): Promise<boolean> {
    // `column` is one of a fixed set of literals, never caller text, so interpolating it is safe.
    const { rowCount } = await this.pool.query(`UPDATE staff SET ${column} = $2 WHERE aad_object_id = $1`, [
      normaliseAadId(aadObjectId),
      value,
    ]);
    return rowCount === 1;
  }
}

function toStaff(r: StaffRow): StaffMember {
  return {
    aadObjectId: r.aad_object_id,
    tenantId: r.tenant_id,
    displayName: r.display_name,
    coordinator: r.coordinator,
    facilitator: r.facilitator,
    active: r.active,
    experienced: r.experienced,
    maxCases: r.max_cases,
    openCases: r.open_cases,
  };
}
