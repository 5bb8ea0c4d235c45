import type { Pool, PoolClient } from 'pg';
import { withTransaction } from './db';
import { CLOSED_STAGES_SQL } from './stages';

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

export const ROSTER_EVENT_TYPES = [
  'facilitator_added',
  'coordinator_added',
  'coordinator_seeded',
  'facilitator_removed',
  'coordinator_removed',
  'paused',
  'resumed',
  'marked_experienced',
  'unmarked_experienced',
  'max_cases_set',
] as const;
export type RosterEventType = (typeof ROSTER_EVENT_TYPES)[number];

/** One roster change, ids only in the table; the names are today's, read from the roster to show it. */
export interface RosterEventRecord {
  id: string;
  at: Date;
  /** Null when start-up seeded the first coordinators from configuration. */
  actorAadId: string | null;
  subjectAadId: string;
  type: RosterEventType;
  maxCases: number | null;
  actorName: string | null;
  subjectName: string;
}

export type RosterRole = 'facilitator' | 'coordinator';

/**
 * One roster change in progress: a transaction that holds the row locks of every coordinator (so
 * two coordinators removing each other serialise, and the second sees the first's change) and of
 * the person being changed. Every setter records its event in the same transaction, and only when
 * something actually changed, so a double click writes one event.
 */
export interface RosterTx {
  /** The coordinators at the moment this transaction took its locks. */
  readonly coordinatorIds: readonly string[];
  /** The person, with their row locked for the rest of the transaction. */
  get(aadObjectId: string): Promise<StaffMember | null>;
  /** Grants the role (adding the person if new); a new facilitator starts active. */
  add(by: string, person: { aadObjectId: string; tenantId: string; displayName: string }, role: RosterRole): Promise<boolean>;
  removeRole(by: string, aadObjectId: string, role: RosterRole): Promise<boolean>;
  setActive(by: string, aadObjectId: string, active: boolean): Promise<boolean>;
  setExperienced(by: string, aadObjectId: string, experienced: boolean): Promise<boolean>;
  setMaxCases(by: string, aadObjectId: string, maxCases: number): Promise<boolean>;
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
  WHERE o.status IN ('offered', 'accepted') AND c.stage NOT IN ${CLOSED_STAGES_SQL}
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
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    opts: { now?: () => Date } = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Everyone, or facilitators only (active or not), by display name. */
  async list(opts: { facilitatorsOnly?: boolean } = {}): Promise<StaffMember[]> {
    const where = opts.facilitatorsOnly ? 'WHERE s.facilitator' : '';
    const { rows } = await this.pool.query<StaffRow>(
      `${SELECT_STAFF} ${where} ORDER BY lower(s.display_name), s.aad_object_id`,
    );
    return rows.map(toStaff);
  }

  async get(aadObjectId: string): Promise<StaffMember | null> {
    return getStaff(this.pool, aadObjectId);
  }

  /**
   * Adds the person or refreshes their name and tenant. Only the role flags given are changed, so
   * refreshing a coordinator's name never takes their facilitator role away, or the reverse. Role
   * flags given here are not recorded as roster events: the app changes roles through `change`;
   * this is for the display-name refresh and for test fixtures.
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

  /**
   * The name Teams shows for someone already on the roster, kept as it is now (names label cards).
   * Writes only when it differs; nobody is added. True when a name changed.
   */
  async rename(aadObjectId: string, displayName: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE staff SET display_name = $2 WHERE aad_object_id = $1 AND display_name IS DISTINCT FROM $2',
      [normaliseAadId(aadObjectId), displayName],
    );
    return rowCount === 1;
  }

  /** Runs one roster change in a transaction; see RosterTx. */
  async change<T>(fn: (tx: RosterTx) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      // NO KEY UPDATE, not UPDATE: offers reference staff rows, and inserting one takes KEY SHARE,
      // which this lock leaves free. Ordered, so two changes lock in the same order and never deadlock.
      const { rows } = await client.query<{ aad_object_id: string }>(
        'SELECT aad_object_id FROM staff WHERE coordinator ORDER BY aad_object_id FOR NO KEY UPDATE',
      );
      return fn(new Tx(client, rows.map((r) => r.aad_object_id), this.now));
    });
  }

  /**
   * Bootstraps the first coordinators from configuration, only while the roster has none: after
   * that the roster decides, so a coordinator removed there is not restored by a restart. A person
   * already on the roster (say as a facilitator) is given the coordinator role. Returns how many
   * were seeded.
   */
  async seedCoordinators(ids: readonly string[], tenantId: string): Promise<number> {
    const unique = [...new Set(ids.map(normaliseAadId).filter((id) => id !== ''))];
    if (unique.length === 0) return 0;
    return withTransaction(this.pool, async (client) => {
      // The web process and the worker may start together: one seeds, the other then finds coordinators.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('rj.roster.seed'))");
      const { rowCount: existing } = await client.query('SELECT 1 FROM staff WHERE coordinator LIMIT 1');
      if (existing) return 0;
      const { rows } = await client.query<{ aad_object_id: string }>(
        `INSERT INTO staff (aad_object_id, tenant_id, display_name, coordinator)
         SELECT id, $2::text, $3::text, true FROM unnest($1::text[]) AS id
         ON CONFLICT (aad_object_id) DO UPDATE SET coordinator = true
         RETURNING aad_object_id`,
        [unique, tenantId, SEEDED_COORDINATOR_NAME],
      );
      for (const r of rows) await recordEvent(client, this.now(), null, r.aad_object_id, 'coordinator_seeded');
      return rows.length;
    });
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

  /** Roster history, latest first, with today's names of the people involved. */
  async history(opts: { limit: number; offset: number }): Promise<{ events: RosterEventRecord[]; total: number }> {
    const { rows } = await this.pool.query<{
      id: string; at: Date; actor_aad_id: string | null; subject_aad_id: string; type: RosterEventType; max_cases: number | null;
      actor_name: string | null; subject_name: string; total: number;
    }>(
      `SELECT e.id::text AS id, e.at, e.actor_aad_id, e.subject_aad_id, e.type, e.max_cases,
              a.display_name AS actor_name, s.display_name AS subject_name, count(*) OVER ()::int AS total
       FROM roster_events e
       JOIN staff s ON s.aad_object_id = e.subject_aad_id
       LEFT JOIN staff a ON a.aad_object_id = e.actor_aad_id
       ORDER BY e.id DESC
       LIMIT $1 OFFSET $2`,
      [opts.limit, opts.offset],
    );
    let total = rows[0]?.total;
    if (total === undefined) {
      // Past the last page the window count is missing; the caller still needs it to clamp the page.
      const c = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM roster_events');
      total = c.rows[0]?.n ?? 0;
    }
    return {
      total,
      events: rows.map((r) => ({
        id: r.id, at: r.at, actorAadId: r.actor_aad_id, subjectAadId: r.subject_aad_id, type: r.type, maxCases: r.max_cases,
        actorName: r.actor_name, subjectName: r.subject_name,
      })),
    };
  }
}

async function getStaff(db: Pick<PoolClient, 'query'> | Pool, aadObjectId: string): Promise<StaffMember | null> {
  const { rows } = await db.query<StaffRow>(`${SELECT_STAFF} WHERE s.aad_object_id = $1`, [normaliseAadId(aadObjectId)]);
  const row = rows[0];
  return row ? toStaff(row) : null;
}

async function recordEvent(
  client: PoolClient,
  at: Date,
  by: string | null,
  subject: string,
  type: RosterEventType,
  maxCases: number | null = null,
): Promise<void> {
  await client.query(
    'INSERT INTO roster_events (at, actor_aad_id, subject_aad_id, type, max_cases) VALUES ($1, $2, $3, $4, $5)',
    [at, by === null ? null : normaliseAadId(by), normaliseAadId(subject), type, maxCases],
  );
}

class Tx implements RosterTx {
  constructor(
    private readonly client: PoolClient,
    readonly coordinatorIds: readonly string[],
    private readonly now: () => Date,
  ) {}

  async get(aadObjectId: string): Promise<StaffMember | null> {
    const id = normaliseAadId(aadObjectId);
    await this.client.query('SELECT 1 FROM staff WHERE aad_object_id = $1 FOR NO KEY UPDATE', [id]);
    return getStaff(this.client, id);
  }

  async add(by: string, person: { aadObjectId: string; tenantId: string; displayName: string }, role: RosterRole): Promise<boolean> {
    const id = normaliseAadId(person.aadObjectId);
    if (!id) throw new Error('RosterTx.add: aadObjectId is empty');
    const before = await this.get(id);
    // A new facilitator starts active; one who already holds the role keeps their pause as it is.
    await this.client.query(
      `INSERT INTO staff (aad_object_id, tenant_id, display_name, coordinator, facilitator)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (aad_object_id) DO UPDATE SET
         tenant_id = EXCLUDED.tenant_id,
         display_name = EXCLUDED.display_name,
         coordinator = staff.coordinator OR EXCLUDED.coordinator,
         facilitator = staff.facilitator OR EXCLUDED.facilitator,
         active = CASE WHEN EXCLUDED.facilitator AND NOT staff.facilitator THEN true ELSE staff.active END`,
      [id, person.tenantId, person.displayName, role === 'coordinator', role === 'facilitator'],
    );
    const granted = !before || !before[role];
    if (granted) await recordEvent(this.client, this.now(), by, id, role === 'coordinator' ? 'coordinator_added' : 'facilitator_added');
    return granted;
  }

  async removeRole(by: string, aadObjectId: string, role: RosterRole): Promise<boolean> {
    const changed = await this.set(aadObjectId, role, false);
    if (changed) await recordEvent(this.client, this.now(), by, aadObjectId, role === 'coordinator' ? 'coordinator_removed' : 'facilitator_removed');
    return changed;
  }

  async setActive(by: string, aadObjectId: string, active: boolean): Promise<boolean> {
    const changed = await this.set(aadObjectId, 'active', active);
    if (changed) await recordEvent(this.client, this.now(), by, aadObjectId, active ? 'resumed' : 'paused');
    return changed;
  }

  async setExperienced(by: string, aadObjectId: string, experienced: boolean): Promise<boolean> {
    const changed = await this.set(aadObjectId, 'experienced', experienced);
    if (changed) await recordEvent(this.client, this.now(), by, aadObjectId, experienced ? 'marked_experienced' : 'unmarked_experienced');
    return changed;
  }

  async setMaxCases(by: string, aadObjectId: string, maxCases: number): Promise<boolean> {
    if (!Number.isInteger(maxCases) || maxCases < MAX_CASES_RANGE.min || maxCases > MAX_CASES_RANGE.max) {
      throw new RangeError(
        `maxCases must be an integer from ${MAX_CASES_RANGE.min} to ${MAX_CASES_RANGE.max}, got ${maxCases}`,
      );
    }
    const changed = await this.set(aadObjectId, 'max_cases', maxCases);
    if (changed) await recordEvent(this.client, this.now(), by, aadObjectId, 'max_cases_set', maxCases);
    return changed;
  }

  /** True when the row existed and the value was different. */
  private async set(
    aadObjectId: string,
    column: 'active' | 'experienced' | 'max_cases' | 'coordinator' | 'facilitator',
    value: boolean | number,
  ): Promise<boolean> {
    // `column` is one of a fixed set of literals, never caller text, so interpolating it is safe.
    const { rowCount } = await this.client.query(
      `UPDATE staff SET ${column} = $2 WHERE aad_object_id = $1 AND ${column} IS DISTINCT FROM $2`,
      [normaliseAadId(aadObjectId), value],
    );
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
