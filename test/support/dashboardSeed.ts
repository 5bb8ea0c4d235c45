/**
 * A caseload for the dashboard's tests and benchmark, written straight into PostgreSQL: cases at
 * every stage with the event logs the bot would have written (stage changes, offers, contacts,
 * conferences, closures), the matching offers, the roster, and anonymous screenings. Deterministic
 * for a given seed, so a test's expected counts are read back from the database, never guessed.
 */
import type { Pool } from 'pg';
import { REASON_CODES } from '../../src/domain/eligibility';

export interface SeedOptions {
  cases: number;
  /** Referrals are spread over [from, to); steps after `to` are not written (the case is still there). */
  from: Date;
  to: Date;
  seed?: number;
  facilitators?: number;
  staffTenant: string;
  partnerTenant: string;
  /** Rows per INSERT batch. */
  batch?: number;
  /** Called after each batch (the benchmark's progress). */
  onBatch?: (done: number) => void;
}

export interface SeededService {
  coordinator: string;
  facilitators: string[];
  /** Referrers: [0] in the staff tenant, [1] and [2] in the partner tenant. */
  referrers: { aadObjectId: string; tenantId: string }[];
}

const DAY = 86_400_000;

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32: fast, deterministic, good enough to spread test data.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const id = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export const SOURCES = ['Metropolitan Police', 'Probation Service (London)', 'Victim Support', 'Self-referral by a harmed person'];

interface EventRow {
  caseIdx: number;
  at: Date;
  actor: string | null;
  role: string;
  type: string;
  data: Record<string, unknown>;
}

export async function seedDashboard(pool: Pool, o: SeedOptions): Promise<SeededService> {
  const rand = prng(o.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const coordinator = id('c0000000', 1);
  const facilitators = Array.from({ length: o.facilitators ?? 12 }, (_, i) => id('f0000000', i + 1));
  const referrers = [
    { aadObjectId: id('a0000000', 1), tenantId: o.staffTenant },
    { aadObjectId: id('b0000000', 1), tenantId: o.partnerTenant },
    { aadObjectId: id('b0000000', 2), tenantId: o.partnerTenant },
  ];
  await pool.query(
    `INSERT INTO staff (aad_object_id, tenant_id, display_name, coordinator, facilitator, active, experienced, max_cases)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::bool[], $6::bool[], $7::bool[], $8::int[]) ON CONFLICT DO NOTHING`,
    [
      [coordinator, ...facilitators],
      [coordinator, ...facilitators].map(() => o.staffTenant),
      ['Cora Coordinator', ...facilitators.map((_, i) => `Facilitator ${String(i + 1).padStart(2, '0')}`)],
      [true, ...facilitators.map(() => false)],
      [false, ...facilitators.map(() => true)],
      [true, ...facilitators.map((_, i) => i % 5 !== 4)],
      [false, ...facilitators.map((_, i) => i % 3 === 0)],
      [3, ...facilitators.map((_, i) => 3 + (i % 4))],
    ],
  );

  const span = o.to.getTime() - o.from.getTime();
  const batch = o.batch ?? 2000;
  const { rows: yearRows } = await pool.query<{ n: number | null }>('SELECT max(ref_seq) AS n FROM cases');
  let seq = yearRows[0]?.n ?? 0;
  for (let start = 0; start < o.cases; start += batch) {
    const n = Math.min(batch, o.cases - start);
    const cases: { ref: string; year: number; seq: number; stage: string; source: string; referrer: { aadObjectId: string; tenantId: string }; at: Date }[] = [];
    const events: EventRow[] = [];
    const offers: { caseIdx: number; facilitator: string; at: Date }[] = [];
    const screenings: { at: Date; outcome: string; reasons: string[]; tenant: string; caseIdx: number | null }[] = [];
    for (let k = 0; k < n; k += 1) {
      seq += 1;
      // Referral times fall in working hours so durations are not all weekend artefacts.
      const day = new Date(o.from.getTime() + Math.floor(rand() * (span / DAY)) * DAY);
      const at = new Date(day.getTime() + (9 + rand() * 8) * 3_600_000);
      const referrer = pick(referrers);
      const source = referrer.tenantId === o.partnerTenant ? 'Metropolitan Police' : pick(SOURCES);
      let t = at.getTime();
      let stage = 'referred';
      const ev = (type: string, data: Record<string, unknown> = {}, actor: string | null = coordinator, role = 'coordinator') => {
        events.push({ caseIdx: k, at: new Date(t), actor, role, type, data });
      };
      const move = (to: string) => {
        ev('stage_changed', { from: stage, to }, null, 'system');
        stage = to;
      };
      const step = (minDays: number, maxDays: number): boolean => {
        t += (minDays + rand() * (maxDays - minDays)) * DAY;
        return t < o.to.getTime();
      };
      ev('referred', {}, referrer.aadObjectId, 'referrer');
      screenings.push({ at: new Date(at.getTime() - 600_000), outcome: rand() < 0.85 ? 'eligible' : 'needs_review', reasons: [], tenant: referrer.tenantId, caseIdx: k });
      // Screenings that never became a referral: some screened out.
      if (rand() < 0.35) screenings.push({ at: new Date(at.getTime() - 3_600_000), outcome: 'ineligible', reasons: [pick(REASON_CODES), ...(rand() < 0.2 ? [pick(REASON_CODES)] : [])], tenant: referrer.tenantId, caseIdx: null });
      const r = rand();
      (() => {
        if (!step(0.2, 6)) return;
        if (r < 0.12) {
          ev('referral_declined', { reason: 'not_suitable' });
          move('declined');
          return;
        }
        ev('referral_accepted');
        move('accepted');
        if (!step(0.1, 3)) return;
        const a = facilitators[(seq * 2) % facilitators.length]!;
        const b = facilitators[(seq * 2 + 1) % facilitators.length]!;
        ev('facilitator_offered', { facilitatorAadId: a });
        ev('facilitator_offered', { facilitatorAadId: b });
        move('assigning');
        if (!step(0.5, 5)) return;
        ev('offer_accepted', { facilitatorAadId: a }, a, 'facilitator');
        ev('offer_accepted', { facilitatorAadId: b }, b, 'facilitator');
        offers.push({ caseIdx: k, facilitator: a, at: new Date(t) }, { caseIdx: k, facilitator: b, at: new Date(t) });
        ev('pair_confirmed', { facilitatorAadIds: [a, b] }, null, 'system');
        move('preparation');
        for (const party of ['harmed_person', 'offender'] as const) {
          if (!step(1, 12)) return;
          const contactId = `k${seq}${party}`;
          ev('contact_logged', { contactId, party, at: new Date(t).toISOString(), method: 'phone', outcome: rand() < 0.8 ? 'reached' : 'no_answer' }, a, 'facilitator');
        }
        if (rand() < 0.15) {
          if (!step(5, 30)) return;
          ev('case_closed', { outcome: pick(['harmed_person_withdrew', 'offender_withdrew', 'no_contact_possible'] as const) });
          move('closed');
          return;
        }
        if (!step(10, 40)) return;
        if (rand() < 0.6) {
          const startsAt = new Date(t + 14 * DAY).toISOString();
          ev('conference_scheduled', { conferenceId: `conf-${seq}`, startsAt, venue: 'Community centre' }, a, 'facilitator');
          move('conference_scheduled');
          if (!step(14, 16)) return;
          ev('conference_held', { conferenceId: `conf-${seq}`, agreement: rand() < 0.7 }, a, 'facilitator');
        } else {
          ev('indirect_chosen', { method: 'letters' }, a, 'facilitator');
          move('indirect_communication');
          if (!step(10, 40)) return;
          ev('indirect_completed', { agreement: rand() < 0.5 }, a, 'facilitator');
        }
        move('follow_up');
        if (!step(5, 30)) return;
        ev('case_closed', { outcome: events.some((e) => e.caseIdx === k && e.type === 'conference_held') ? 'conference_held' : 'indirect_communication_completed' });
        move('closed');
      })();
      cases.push({ ref: `RJ-${at.getUTCFullYear()}-${String(seq).padStart(5, '0')}`, year: at.getUTCFullYear(), seq, stage, source, referrer, at });
    }

    const { rows: ids } = await pool.query<{ id: string }>(
      `INSERT INTO cases (reference, ref_year, ref_seq, stage, eligibility, source, referrer_aad_id, referrer_tenant_id, offence_type,
                          offence_description, submission_key, created_at, last_activity_at)
       SELECT x.ref, x.year, x.seq, x.stage, 'eligible', x.source, x.raad, x.rtenant, 'burglary', 'seeded', gen_random_uuid()::text, x.at, x.at
       FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) WITH ORDINALITY
            AS x(ref, year, seq, stage, source, raad, rtenant, at, ord)
       ORDER BY x.ord
       RETURNING id`,
      [cases.map((c) => c.ref), cases.map((c) => c.year), cases.map((c) => c.seq), cases.map((c) => c.stage), cases.map((c) => c.source),
        cases.map((c) => c.referrer.aadObjectId), cases.map((c) => c.referrer.tenantId), cases.map((c) => c.at)],
    );
    // RETURNING follows the insert order of INSERT … SELECT … ORDER BY.
    const caseIds = ids.map((x) => x.id);
    await pool.query(
      `INSERT INTO case_events (case_id, at, actor_aad_id, actor_role, type, data)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[])`,
      [events.map((e) => caseIds[e.caseIdx]), events.map((e) => e.at), events.map((e) => e.actor), events.map((e) => e.role), events.map((e) => e.type), events.map((e) => JSON.stringify(e.data))],
    );
    await pool.query(
      `INSERT INTO offers (case_id, facilitator_aad_id, status, offered_at, offered_by, answered_at)
       SELECT c, f, 'accepted', a, $4, a FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS x(c, f, a)`,
      [offers.map((x) => caseIds[x.caseIdx]), offers.map((x) => x.facilitator), offers.map((x) => x.at), coordinator],
    );
    await pool.query(
      `INSERT INTO screenings (at, tenant_id, answers, outcome, reason_codes, case_id)
       SELECT a, t, '{}'::jsonb, o, ARRAY(SELECT jsonb_array_elements_text(r)), c FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::jsonb[], $5::uuid[]) AS x(a, t, o, r, c)`,
      [screenings.map((s) => s.at), screenings.map((s) => s.tenant), screenings.map((s) => s.outcome), screenings.map((s) => JSON.stringify(s.reasons)), screenings.map((s) => (s.caseIdx === null ? null : caseIds[s.caseIdx]))],
    );
    o.onBatch?.(start + n);
  }
  return { coordinator, facilitators, referrers };
}
