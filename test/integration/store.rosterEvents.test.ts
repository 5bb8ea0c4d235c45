import type { Pool } from 'pg';
import { RosterService } from '../../src/app/rosterService';
import type { Actor } from '../../src/app/actor';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { RosterRepository, SEEDED_COORDINATOR_NAME } from '../../src/store/rosterRepository';
import { createLogger } from '../../src/log';
import { LAST_COORDINATOR } from '../../src/domain/permissions';
import { createTestDatabase, type TestDatabase } from '../support/db';

const TENANT = '11111111-1111-4111-8111-111111111111';
const A = 'c1000000-0000-4000-8000-0000000000a1';
const B = 'c1000000-0000-4000-8000-0000000000b2';
const F = 'f1000000-0000-4000-8000-0000000000f1';
const T0 = new Date('2026-03-02T10:00:00Z');

const actor = (aadObjectId: string): Actor => ({ aadObjectId, tenantId: TENANT, staffTenant: true });

async function events(pool: Pool): Promise<{ actor: string | null; subject: string; type: string; max: number | null }[]> {
  const { rows } = await pool.query<{ actor_aad_id: string | null; subject_aad_id: string; type: string; max_cases: number | null }>(
    'SELECT actor_aad_id, subject_aad_id, type, max_cases FROM roster_events ORDER BY id',
  );
  return rows.map((r) => ({ actor: r.actor_aad_id, subject: r.subject_aad_id, type: r.type, max: r.max_cases }));
}

describe('roster events, seeding and removing coordinators', () => {
  let db: TestDatabase;
  let pool: Pool;
  let roster: RosterRepository;
  let service: RosterService;

  beforeAll(async () => {
    db = await createTestDatabase('store_roster_events');
    pool = createPool(db.url);
    await migrate(pool);
    roster = new RosterRepository(pool, { now: () => T0 });
    // Roles exactly as StaffRoles.of reads them: from the roster, when asked.
    service = new RosterService(roster, TENANT, createLogger('silent'), async (a) => {
      const s = await roster.get(a.aadObjectId);
      return { ...a, coordinator: s?.coordinator === true, facilitator: s?.facilitator === true };
    });
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('seeds COORDINATOR_AAD_IDS only into a roster without a coordinator, and records it', async () => {
    expect(await roster.seedCoordinators([A.toUpperCase(), A, ' '], TENANT)).toBe(1);
    expect(await roster.get(A)).toMatchObject({ displayName: SEEDED_COORDINATOR_NAME, coordinator: true, facilitator: false });
    expect(await events(pool)).toEqual([{ actor: null, subject: A, type: 'coordinator_seeded', max: null }]);
    // A coordinator exists now: configuration adds nobody, however it changes.
    expect(await roster.seedCoordinators([A, B], TENANT)).toBe(0);
    expect(await roster.get(B)).toBeNull();
    expect(await roster.seedCoordinators([], TENANT)).toBe(0);
    expect(await events(pool)).toHaveLength(1);
  });

  it('records every role change with who, whom and what, once, in the same transaction', async () => {
    expect(await service.add(actor(A), { aadObjectId: B, name: 'Bea Coordinator', tenantId: TENANT }, 'coordinator')).toBe('Bea Coordinator added as a coordinator.');
    expect(await service.add(actor(A), { aadObjectId: F, name: 'Fay Facilitator' }, 'facilitator')).toBe('Fay Facilitator added as a facilitator.');
    // A repeat (double click) changes nothing and records nothing.
    expect(await service.add(actor(A), { aadObjectId: F, name: 'Fay Facilitator' }, 'facilitator')).toBe('Fay Facilitator is already a facilitator.');
    await service.update(actor(B), F, 'pause');
    await service.update(actor(B), F, 'pause');
    await service.update(actor(B), F, 'resume');
    await service.update(actor(B), F, 'experienced');
    await service.update(actor(B), F, 'inexperienced');
    await service.update(actor(B), F, 'maxCases', 5);
    expect(await service.update(actor(B), F, 'maxCases', 50)).toEqual({ error: 'Choose a maximum caseload between 1 and 20.' });
    await service.update(actor(B), F, 'remove');
    expect((await events(pool)).slice(1)).toEqual([
      { actor: A, subject: B, type: 'coordinator_added', max: null },
      { actor: A, subject: F, type: 'facilitator_added', max: null },
      { actor: B, subject: F, type: 'paused', max: null },
      { actor: B, subject: F, type: 'resumed', max: null },
      { actor: B, subject: F, type: 'marked_experienced', max: null },
      { actor: B, subject: F, type: 'unmarked_experienced', max: null },
      { actor: B, subject: F, type: 'max_cases_set', max: 5 },
      { actor: B, subject: F, type: 'facilitator_removed', max: null },
    ]);
    // A change that fails after writing leaves neither the change nor its event.
    const before = (await events(pool)).length;
    await expect(roster.change(async (tx) => {
      await tx.add(A, { aadObjectId: F, tenantId: TENANT, displayName: 'Fay Facilitator' }, 'facilitator');
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await roster.get(F)).toMatchObject({ facilitator: false });
    expect(await events(pool)).toHaveLength(before);
  });

  it('keeps the history append-only and free of names', async () => {
    await expect(pool.query("UPDATE roster_events SET type = 'paused'")).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM roster_events')).rejects.toThrow(/append-only/);
    const { rows } = await pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'roster_events' ORDER BY ordinal_position",
    );
    expect(rows.map((r) => r.column_name)).toEqual(['id', 'at', 'actor_aad_id', 'subject_aad_id', 'type', 'max_cases']);
  });

  it('refuses a non-coordinator and a removed coordinator, at the moment of the change', async () => {
    expect(await service.update(actor(F), A, 'pause')).toEqual({ error: 'Only coordinators can manage the facilitator roster.' });
    expect(await service.history(actor(F))).toEqual({ ok: false, message: 'Only coordinators can see the roster history.' });
  });

  it('two coordinators removing each other at once leave one coordinator', async () => {
    expect((await roster.coordinatorIds()).sort()).toEqual([A, B].sort());
    const before = (await events(pool)).length;
    // Hold the coordinators' row locks so both removals pass their first check and then queue on
    // the locks: the second to run must see the first's change.
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM staff WHERE coordinator FOR NO KEY UPDATE');
      const racing = Promise.all([
        service.update(actor(A), B, 'removeCoordinator'),
        service.update(actor(B), A, 'removeCoordinator'),
      ]);
      let waiting = 0;
      for (let i = 0; i < 200 && waiting < 2; i += 1) {
        const { rows } = await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        waiting = rows[0]!.n;
        if (waiting < 2) await new Promise((r) => setTimeout(r, 25));
      }
      expect(waiting).toBe(2);
      await holder.query('COMMIT');
      const results = await racing;
      expect(results.filter((r) => typeof r === 'string')).toHaveLength(1);
      expect(results.filter((r) => typeof r !== 'string')).toEqual([{ error: 'Only coordinators can manage the facilitator roster.' }]);
    } finally {
      holder.release();
    }
    expect(await roster.coordinatorIds()).toHaveLength(1);
    expect((await events(pool)).slice(before).map((e) => e.type)).toEqual(['coordinator_removed']);
  });

  it('the last coordinator cannot be removed, by the card or by roster remove', async () => {
    const [last] = await roster.coordinatorIds();
    const before = (await events(pool)).length;
    const byCard = await service.update(actor(last!), last!, 'removeCoordinator');
    expect(byCard).toEqual({ error: expect.stringContaining(LAST_COORDINATOR) });
    expect(await service.remove(actor(last!), last!)).toEqual({ error: expect.stringContaining(LAST_COORDINATOR) });
    expect(await roster.coordinatorIds()).toEqual([last]);
    expect(await events(pool)).toHaveLength(before);
  });

  it('shows the history latest first, paged, with names from the roster', async () => {
    const [coordinator] = await roster.coordinatorIds();
    // Off the roster since the removal above: changes to them are refused until they are added again.
    expect(await service.update(actor(coordinator!), F, 'pause')).toEqual({ error: 'That person is not on the roster.' });
    await service.add(actor(coordinator!), { aadObjectId: F, name: 'Fay Facilitator' }, 'facilitator');
    for (let i = 0; i < 10; i += 1) await service.update(actor(coordinator!), F, i % 2 === 0 ? 'experienced' : 'inexperienced');
    const total = (await events(pool)).length;
    expect(total).toBeGreaterThan(15);
    const first = await service.history(actor(coordinator!));
    if (!first.ok) throw new Error(first.message);
    const text = JSON.stringify(first.card);
    expect(text).toContain(`Page 1 of ${Math.ceil(total / 15)}`);
    expect(text).toContain('Next page');
    expect(text).not.toContain('Previous page');
    // Latest first: the last change made is the first row.
    expect(text.indexOf('marked Fay Facilitator not experienced')).toBeLessThan(text.indexOf('marked Fay Facilitator experienced'));
    const last = await service.history(actor(coordinator!), 99);
    if (!last.ok) throw new Error(last.message);
    const lastText = JSON.stringify(last.card);
    expect(lastText).toContain('Previous page');
    expect(lastText).toContain('became a coordinator at start-up');
    // A name change shows everywhere at once: names are read from the roster, not the event.
    await roster.upsert({ aadObjectId: F, tenantId: TENANT, displayName: 'Fay Renamed' });
    const renamed = await service.history(actor(coordinator!));
    expect(JSON.stringify(renamed)).toContain('Fay Renamed');
    expect(JSON.stringify(renamed)).not.toContain('Fay Facilitator');
  });
});
