/**
 * The dashboard's due projection (case_due, migration 011) as the reminder scheduler keeps it: after
 * each step of a few cases' lives (pair confirmed, contacts, a follow-up, a conference, its outcome,
 * the review, closure, reopening) and each reconcile, every case's row equals dueProjection of the
 * case view's own fold (dueItems over the whole log); cases written before any reconcile get their
 * rows from the start-up reconcile; a closed case loses its row; another policy recomputes them. And
 * the tab's overdue filter, which reads the projection, lists exactly the cases the fold calls
 * overdue, at instants before, on and after due dates; the list's next-due lines, read from the
 * stored schedule, equal the fold's, and a change not yet reconciled is never hidden by it.
 */
import { recordViewIn } from '../../src/app/accessAudit';
import { AuditRepository } from '../../src/store/auditRepository';
import { ErasureRepository } from '../../src/store/erasure';
import type { Pool } from 'pg';
import { caseProgress } from '../../src/domain/caseProgress';
import { dueItems, dueProjection, type DueRules } from '../../src/domain/dueDates';
import { mergePolicy, type ReminderPolicy } from '../../src/domain/reminderPolicy';
import { StaffRoles } from '../../src/app/roles';
import { createLogger } from '../../src/log';
import { ReminderKeys } from '../../src/reminders/redis';
import { ReminderScheduler } from '../../src/reminders/scheduler';
import { createPool } from '../../src/store/db';
import { DashboardRepository } from '../../src/store/dashboardRepository';
import { migrate } from '../../src/store/migrate';
import { ReminderRepository } from '../../src/store/reminderRepository';
import { RosterRepository } from '../../src/store/rosterRepository';
import { DashboardReadModel, type Viewer } from '../../src/tab/readModel';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { aad, caseFixtures, reminderRig, STAFF_TENANT, testClock, type ReminderRig } from '../support/reminderFixtures';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const t = testClock('2026-03-02T10:00:00Z');
const F1 = aad(1);
const F2 = aad(2);
const COORD = aad(3);

let db: TestDatabase;
let pool: Pool;
let space: TestRedisSpace;
let rig: ReminderRig;
let fx: ReturnType<typeof caseFixtures>;
let dashboard: DashboardRepository;

beforeAll(async () => {
  db = await createTestDatabase('due_projection');
  pool = createPool(db.url);
  await migrate(pool);
  space = testRedisSpace();
  rig = await reminderRig({ pool, redisUrl: space.url, prefix: space.prefix, clock: t.clock, log });
  fx = caseFixtures(pool);
  await fx.staff(F1, { facilitator: true });
  await fx.staff(F2, { facilitator: true });
  await fx.staff(COORD, { coordinator: true });
  dashboard = new DashboardRepository(pool);
});

afterAll(async () => {
  await rig?.close();
  await space?.flushPrefix();
  await pool?.end();
  await db?.drop();
});

interface Row {
  case_id: string;
  overdue_from: Date | null;
  next_due_at: Date | null;
  next_due_kind: string | null;
}

async function projectionRows(): Promise<Map<string, Row>> {
  const { rows } = await pool.query<Row>('SELECT case_id, overdue_from, next_due_at, next_due_kind FROM case_due');
  return new Map(rows.map((r) => [r.case_id, r]));
}

/** What the case view computes for each case, from its whole log (the tab's and the card's fold). */
async function expectedFromFold(caseIds: readonly string[], rules: DueRules): Promise<Map<string, Row>> {
  const events = await dashboard.events(caseIds);
  const out = new Map<string, Row>();
  for (const id of caseIds) {
    const { rows } = await pool.query<{ reference: string }>('SELECT reference FROM cases WHERE id = $1', [id]);
    const c = (await dashboard.caseByReference(rows[0]!.reference))!;
    if (c.stage === 'closed' || c.stage === 'declined') continue;
    const p = dueProjection(c, caseProgress(events.get(id) ?? []), rules);
    out.set(id, { case_id: id, overdue_from: p.overdueFrom, next_due_at: p.next?.due ?? null, next_due_kind: p.next?.kind ?? null });
  }
  return out;
}

async function confirmPair(caseId: string, at: string): Promise<void> {
  await fx.event(caseId, 'referral_accepted', {}, at);
  await fx.event(caseId, 'stage_changed', { from: 'referred', to: 'accepted' }, at);
  for (const f of [F1, F2]) {
    await fx.event(caseId, 'facilitator_offered', { facilitatorAadId: f }, at);
    await fx.answer(await fx.offer(caseId, f, at), 'accepted', at);
    await fx.event(caseId, 'offer_accepted', { facilitatorAadId: f }, at, f);
  }
  await fx.event(caseId, 'pair_confirmed', { facilitatorAadIds: [F1, F2] }, at);
  await fx.event(caseId, 'stage_changed', { from: 'accepted', to: 'preparation' }, at);
  await fx.setCase(caseId, { stage: 'preparation', pairConfirmedAt: at, lastActivityAt: at });
}

const contact = (id: string, party: string, at: string, extra: Record<string, unknown> = {}) => ({ contactId: id, party, at, method: 'phone', outcome: 'reached', ...extra });

function readModel(policy: ReminderPolicy): DashboardReadModel {
  const roster = new RosterRepository(pool);
  const roles = new StaffRoles(roster);
  return new DashboardReadModel({ dashboard, roster, roles: (a) => roles.of(a), recordView: recordViewIn(new AuditRepository(pool), t.clock), openErasureRequests: () => new ErasureRepository(pool).openCount(), calendar: rig.calendar, reminderPolicy: policy, clock: t.clock, staffTenantId: STAFF_TENANT, botAppId: '' });
}

/** The references the tab lists as overdue, and those the fold calls overdue, at the clock's instant. */
async function overdueBoth(policy: ReminderPolicy): Promise<{ tab: string[]; fold: string[] }> {
  const model = readModel(policy);
  const viewer: Viewer = (await model.viewer(COORD, STAFF_TENANT))!;
  const tab = (await model.pipeline(viewer, { stage: 'all', overdue: true, limit: 500, offset: 0 })).cases.map((r) => r.reference);
  const { rows } = await pool.query<{ id: string; reference: string }>('SELECT id, reference FROM cases ORDER BY ref_year, ref_seq');
  const events = await dashboard.events(rows.map((r) => r.id));
  const fold: string[] = [];
  for (const r of rows) {
    const c = (await dashboard.caseByReference(r.reference))!;
    if (dueItems(c, caseProgress(events.get(r.id) ?? []), { policy, calendar: rig.calendar, now: t.now() }).some((x) => x.overdue)) fold.push(r.reference);
  }
  return { tab, fold };
}

/** The pipeline's next-due and overdue per reference, and the same from the fold's dueItems. */
async function listBoth(policy: ReminderPolicy): Promise<{ tab: unknown[]; fold: unknown[] }> {
  const model = readModel(policy);
  const viewer: Viewer = (await model.viewer(COORD, STAFF_TENANT))!;
  const tab = (await model.pipeline(viewer, { stage: 'open', limit: 500, offset: 0 })).cases.flatMap((r) => (r.kind === 'full' ? [[r.reference, r.nextDue, r.overdue]] : []));
  const { rows } = await pool.query<{ id: string; reference: string }>("SELECT id, reference FROM cases WHERE stage NOT IN ('closed', 'declined') ORDER BY ref_year, ref_seq");
  const events = await dashboard.events(rows.map((r) => r.id));
  const fold = [];
  for (const r of rows) {
    const c = (await dashboard.caseByReference(r.reference))!;
    const due = dueItems(c, caseProgress(events.get(r.id) ?? []), { policy, calendar: rig.calendar, now: t.now() });
    const first = due[0];
    fold.push([r.reference, first ? { label: first.label, due: first.due.toISOString(), overdue: first.overdue } : null, due.some((x) => x.overdue)]);
  }
  return { tab, fold };
}

test('after each step and reconcile, the projection equals the fold\'s; closure removes the row; the overdue filter agrees with the fold', async () => {
  const rules = (): DueRules => ({ policy: rig.policy, calendar: rig.calendar, now: t.now() });
  // Written before any reconcile, as cases that predate migration 011 are.
  const a = await fx.createCase({ createdAt: '2026-03-02T09:00:00Z' });
  const b = await fx.createCase({ createdAt: '2026-03-02T09:30:00Z' });
  const c = await fx.createCase({ createdAt: '2026-03-02T09:45:00Z' });
  await confirmPair(a.caseId, '2026-03-02T10:00:00Z');
  await confirmPair(b.caseId, '2026-03-02T10:00:00Z');
  const ids = [a.caseId, b.caseId, c.caseId];
  expect((await projectionRows()).size).toBe(0);

  // The start-up reconcile fills the projection for every open case.
  await rig.scheduler.reconcileAll();
  const check = async () => expect(await projectionRows()).toEqual(await expectedFromFold(ids, rules()));
  await check();
  expect((await projectionRows()).get(c.caseId)).toMatchObject({ overdue_from: null, next_due_at: null });
  expect((await projectionRows()).get(a.caseId)?.next_due_kind).toBe('first_contact');

  const steps: [string, () => Promise<void>][] = [
    ['a: both contacted, a follow-up on the 20th', async () => {
      await fx.event(a.caseId, 'contact_logged', contact('a1', 'harmed_person', '2026-03-04T10:00:00Z', { nextFollowUpOn: '2026-03-20' }), '2026-03-04T10:00:00Z', F1);
      await fx.event(a.caseId, 'contact_logged', contact('a2', 'offender', '2026-03-05T10:00:00Z'), '2026-03-05T10:00:00Z', F1);
    }],
    ['a: a conference on 28 April', async () => {
      await fx.event(a.caseId, 'conference_scheduled', { conferenceId: 'ka', startsAt: '2026-04-28T13:00:00Z', venue: 'Hall' }, '2026-03-10T10:00:00Z', F1);
      await fx.event(a.caseId, 'stage_changed', { from: 'preparation', to: 'conference_scheduled' }, '2026-03-10T10:00:00Z');
      await fx.setCase(a.caseId, { stage: 'conference_scheduled' });
    }],
    ['a: held, with an agreement', async () => {
      await fx.event(a.caseId, 'conference_held', { conferenceId: 'ka', agreement: true }, '2026-04-28T15:00:00Z', F1);
      await fx.event(a.caseId, 'stage_changed', { from: 'conference_scheduled', to: 'follow_up' }, '2026-04-28T15:00:00Z');
      await fx.setCase(a.caseId, { stage: 'follow_up' });
    }],
    ['b: closed', async () => {
      await fx.event(b.caseId, 'case_closed', { outcome: 'no_contact_possible' }, '2026-03-20T10:00:00Z');
      await fx.event(b.caseId, 'stage_changed', { from: 'preparation', to: 'closed' }, '2026-03-20T10:00:00Z');
      await fx.setCase(b.caseId, { stage: 'closed' });
    }],
    ['b: reopened', async () => {
      await fx.event(b.caseId, 'case_reopened', { reason: 'offender asked again' }, '2026-03-23T10:00:00Z');
      await fx.event(b.caseId, 'stage_changed', { from: 'closed', to: 'preparation' }, '2026-03-23T10:00:00Z');
      await fx.setCase(b.caseId, { stage: 'preparation' });
    }],
    ['c: accepted and paired', () => confirmPair(c.caseId, '2026-03-24T10:00:00Z')],
  ];
  for (const [label, step] of steps) {
    await step();
    // Not yet reconciled: the list must not show the stored schedule of before the change.
    const unreconciled = await listBoth(rig.policy);
    expect([label, unreconciled.tab]).toEqual([label, unreconciled.fold]);
    // The change listener reconciles the changed case; here the test does it.
    await rig.scheduler.reconcileCases(ids);
    const listed = await listBoth(rig.policy);
    expect([label, listed.tab]).toEqual([label, listed.fold]);
    const rows = await projectionRows();
    expect([label, rows]).toEqual([label, await expectedFromFold(ids, rules())]);
    if (label === 'b: closed') expect(rows.has(b.caseId)).toBe(false);
    if (label === 'b: reopened') expect(rows.has(b.caseId)).toBe(true);
  }

  // The filter against the fold at instants around the due dates, the projection unchanged (time alone does not change it).
  const instants = ['2026-03-03T10:00:00Z', '2026-03-12T12:59:00Z', '2026-03-12T13:00:00Z', '2026-03-20T08:59:00Z', '2026-03-20T09:00:00Z', '2026-04-28T12:59:00Z', '2026-04-29T10:00:00Z', '2026-11-02T10:00:00Z'];
  const seen = new Set<number>();
  for (const at of instants) {
    t.set(at);
    const { tab, fold } = await overdueBoth(rig.policy);
    expect([at, tab]).toEqual([at, fold]);
    seen.add(fold.length);
    // The list's due lines from the stored schedules, as time passes (a conference starting, say).
    const listed = await listBoth(rig.policy);
    expect([at, listed.tab]).toEqual([at, listed.fold]);
  }
  // Some instants with none, some with a few: the comparison is not between two empty lists only.
  expect(Math.max(...seen)).toBeGreaterThanOrEqual(2);
  expect(seen.has(0)).toBe(true);

  // Another policy (a changed REMINDER_POLICY_FILE, loaded at start-up): its reconcile recomputes every row.
  const quicker = mergePolicy({ firstContact: { remindAfterWorkingDays: 2, escalateAfterWorkingDays: 4 } });
  t.set('2026-03-25T10:00:00Z');
  const before = (await projectionRows()).get(c.caseId)?.overdue_from;
  const other = new ReminderScheduler({ queue: rig.queue, redis: rig.producer, keys: new ReminderKeys(space.prefix), repo: new ReminderRepository(pool, { now: t.clock }), policy: quicker, calendar: rig.calendar, clock: t.clock, log });
  await other.reconcileAll();
  const after = await projectionRows();
  expect(after).toEqual(await expectedFromFold(ids, { policy: quicker, calendar: rig.calendar, now: t.now() }));
  expect(after.get(c.caseId)?.overdue_from?.getTime()).toBeLessThan(before!.getTime());
  t.set('2026-03-27T10:00:00Z');
  const { tab, fold } = await overdueBoth(quicker);
  expect(tab).toEqual(fold);
  expect(tab).toContain(c.reference);
}, 60_000);

test('a case closed while nobody reconciled it loses its row at the next reconcile of everything', async () => {
  t.set('2026-03-02T10:00:00Z');
  const d = await fx.createCase({ createdAt: '2026-03-02T09:00:00Z' });
  await confirmPair(d.caseId, '2026-03-02T10:00:00Z');
  await rig.scheduler.reconcileCase(d.caseId);
  expect((await projectionRows()).has(d.caseId)).toBe(true);
  // Closed with no notification heard (the listener was away): reconcileAll walks only open cases.
  await fx.event(d.caseId, 'case_closed', { outcome: 'no_contact_possible' }, '2026-03-03T10:00:00Z');
  await fx.setCase(d.caseId, { stage: 'closed' });
  await rig.scheduler.reconcileAll();
  expect((await projectionRows()).has(d.caseId)).toBe(false);
});
