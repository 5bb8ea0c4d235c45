/**
 * `npm run bench:dashboard`: the dashboard tab's API over 100,000 seeded cases with their event logs
 * and screenings (PostgreSQL started for the run, or TEST_PG_ADMIN_URL). Measures GET
 * /api/tab/pipeline and GET /api/tab/reports over HTTP with a verified SSO token (p50, p95), against a
 * baseline measured in the same run: one aggregate SQL query over the same tables. Then splits each
 * endpoint's time into its parts, to say where it goes. Not part of npm test (seeding takes minutes).
 * The overdue filter reads the due projection (case_due) that the reminder scheduler keeps; the
 * seeded rows are written straight into PostgreSQL, so the benchmark fills it as a start-up would,
 * with the scheduler's reconcile of every open case on a Redis of its own, and times that too.
 *
 * BENCH_CASES (default 100000) and BENCH_RUNS (default 20) change the size.
 */
import { recordViewIn } from '../src/app/accessAudit';
import { AuditRepository } from '../src/store/auditRepository';
import { ErasureRepository } from '../src/store/erasure';
import { StaffRoles } from '../src/app/roles';
import { DEFAULT_REMINDER_POLICY } from '../src/domain/defaultReminderPolicy';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Pool } from 'pg';
import { createLogger } from '../src/log';
import { serviceReport } from '../src/domain/reports';
import { caseProgress } from '../src/domain/caseProgress';
import { dueItemsAt } from '../src/domain/dueDates';
import { createWorkingCalendar } from '../src/domain/workingTime';
import { createServer } from '../src/server';
import { createPool } from '../src/store/db';
import { DashboardRepository } from '../src/store/dashboardRepository';
import { migrate } from '../src/store/migrate';
import { RosterRepository } from '../src/store/rosterRepository';
import { DashboardReadModel, foldCase } from '../src/tab/readModel';
import { createTokenChecker } from '../src/tab/tokenCheck';
import { createTestDatabase, type TestDatabase } from '../test/support/db';
import { seedDashboard } from '../test/support/dashboardSeed';
import { startServices, type RunningServices } from '../test/support/services';
import { Queue } from 'bullmq';
import { producerConnection, reminderQueueOptions, REMINDERS_QUEUE, ReminderKeys } from '../src/reminders/redis';
import { ReminderScheduler, type ReminderJobData } from '../src/reminders/scheduler';
import { ReminderRepository } from '../src/store/reminderRepository';

const STAFF = '11111111-1111-4111-8111-111111111111';
const PARTNER = '22222222-2222-4222-8222-222222222222';
const APP_ID = '0f0f0f0f-0000-4000-8000-000000000abc';
const NOW = new Date('2026-11-02T10:00:00Z');
const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);

function stats(ms: number[]): { p50: number; p95: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: Math.round(at(0.5) * 10) / 10, p95: Math.round(at(0.95) * 10) / 10 };
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return stats(ms);
}

const BASELINE_PIPELINE = 'SELECT stage, count(*)::int AS n FROM cases GROUP BY stage';
const BASELINE_REPORT = `
  SELECT count(*)::int AS referrals,
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type = 'referral_accepted'))::int AS accepted,
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type = 'pair_confirmed'))::int AS pair,
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type IN ('conference_scheduled', 'indirect_chosen')))::int AS plan,
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type IN ('conference_held', 'indirect_completed')))::int AS restorative,
    (SELECT count(*) FROM screenings s WHERE s.at >= $1 AND s.at < $2)::int AS screenings,
    (SELECT count(*) FROM case_events e WHERE e.type = 'case_closed' AND e.at >= $1 AND e.at < $2)::int AS closed
  FROM cases c WHERE c.created_at >= $1 AND c.created_at < $2`;

async function main(): Promise<void> {
  let services: RunningServices | undefined;
  let db: TestDatabase | undefined;
  let pool: Pool | undefined;
  const keys = createHttpServer();
  try {
    services = await startServices({ pgAdminUrl: process.env.TEST_PG_ADMIN_URL, redisUrl: process.env.TEST_REDIS_URL });
    process.env.TEST_PG_ADMIN_URL = services.pgAdminUrl;
    db = await createTestDatabase('dashboard_bench');
    pool = createPool(db.url, { max: 10, statementTimeoutMs: 600_000 });
    await migrate(pool);
    console.log(`Dashboard benchmark: node ${process.version}, PostgreSQL on loopback; seeding ${CASES} cases…`);
    const seedStart = performance.now();
    const seeded = await seedDashboard(pool, {
      cases: CASES,
      from: new Date('2024-01-01T00:00:00Z'),
      to: NOW,
      staffTenant: STAFF,
      partnerTenant: PARTNER,
      batch: 5000,
      onBatch: (n) => n % 20_000 === 0 && process.stdout.write(`  ${n}\n`),
    });
    await pool.query('VACUUM ANALYZE');
    const counts = await pool.query<{ cases: number; events: number; screenings: number }>(
      'SELECT (SELECT count(*) FROM cases)::int AS cases, (SELECT count(*) FROM case_events)::int AS events, (SELECT count(*) FROM screenings)::int AS screenings',
    );
    console.log(`seeded ${JSON.stringify(counts.rows[0])} in ${Math.round((performance.now() - seedStart) / 1000)} s`);

    // The start-up reconcile: reminders into Redis and the due projection into case_due, per open case.
    const producer = producerConnection(services.redisUrl);
    const prefix = `bench-dashboard-${process.pid}`;
    const queue = new Queue<ReminderJobData>(REMINDERS_QUEUE, reminderQueueOptions(producer, prefix));
    try {
      await queue.waitUntilReady();
      const scheduler = new ReminderScheduler({
        queue, redis: producer, keys: new ReminderKeys(prefix), repo: new ReminderRepository(pool, { now: () => NOW }),
        policy: DEFAULT_REMINDER_POLICY, calendar: createWorkingCalendar(), clock: () => NOW, log: createLogger('silent'),
      });
      const reconciled = await scheduler.reconcileAll();
      const projected = await pool.query<{ rows: number; overdue: number }>('SELECT count(*)::int AS rows, count(*) FILTER (WHERE overdue_from <= $1)::int AS overdue FROM case_due', [NOW]);
      console.log(`start-up reconcile: ${reconciled.owners} cases and screenings, ${reconciled.wanted} reminders, in ${reconciled.ms} ms; case_due ${JSON.stringify(projected.rows[0])}`);
    } finally {
      await queue.close();
      producer.disconnect();
    }
    await pool.query('VACUUM ANALYZE case_due');

    // The tab's server alone (no bot, no reminders), with the real token check against a local JWKS.
    const pair = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bench', use: 'sig', alg: 'RS256' };
    keys.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => keys.listen(0, '127.0.0.1', () => r()));
    const calendar = createWorkingCalendar();
    const db1 = pool;
    const dashboard = new DashboardRepository(pool);
    const roster = new RosterRepository(pool);
    const roles = new StaffRoles(roster);
    const readModel = new DashboardReadModel({ dashboard, roster, roles: (a) => roles.of(a), recordView: recordViewIn(new AuditRepository(db1), () => NOW), openErasureRequests: () => new ErasureRepository(db1).openCount(), calendar, reminderPolicy: DEFAULT_REMINDER_POLICY, clock: () => NOW, staffTenantId: STAFF, botAppId: APP_ID });
    const log = createLogger('silent');
    const checker = createTokenChecker({
      allowedTenants: [STAFF, PARTNER],
      audiences: [`api://bench.example.org/${APP_ID}`],
      jwksUrl: `http://127.0.0.1:${(keys.address() as AddressInfo).port}/keys`,
      clockSkewSeconds: 60,
      now: () => NOW,
    });
    const http = createServer({
      log,
      bodyLimitBytes: 65536,
      readiness: {},
      tab: {
        log,
        readModel,
        auth: { mode: 'token', checker },
      },
    });
    const port = await http.listen(0, '127.0.0.1');
    const token = await new SignJWT({ scp: 'access_as_user', tid: STAFF, oid: seeded.coordinator })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
      .setIssuer(`https://login.microsoftonline.com/${STAFF}/v2.0`)
      .setAudience(`api://bench.example.org/${APP_ID}`)
      .setIssuedAt(Math.floor(NOW.getTime() / 1000))
      .setExpirationTime(Math.floor(NOW.getTime() / 1000) + 3600)
      .sign(pair.privateKey);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };

    const quarter = { from: new Date('2026-03-31T23:00:00Z'), to: new Date('2026-06-30T23:00:00Z'), q: 'from=2026-04-01&to=2026-07-01' };
    const year = { from: new Date('2025-11-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), q: 'from=2025-11-01&to=2026-11-01' };

    const rows: [string, { p50: number; p95: number }, { p50: number; p95: number }][] = [];
    const basePipeline = await time(RUNS, () => pool!.query(BASELINE_PIPELINE));
    rows.push(['pipeline (open cases, page of 50)', await time(RUNS, () => get('/api/tab/pipeline?limit=50')), basePipeline]);
    rows.push(['pipeline, overdue only', await time(RUNS, () => get('/api/tab/pipeline?limit=50&overdue=true')), basePipeline]);
    for (const [name, p] of [['reports, one quarter', quarter], ['reports, twelve months', year]] as const) {
      const base = await time(RUNS, () => pool!.query(BASELINE_REPORT, [p.from, p.to]));
      rows.push([name, await time(RUNS, () => get(`/api/tab/reports?${p.q}`)), base]);
    }
    console.log('\nendpoint                              p50 ms   p95 ms   baseline p50/p95 ms   ratio p50 (p95)');
    for (const [name, r, b] of rows) {
      console.log(`${name.padEnd(36)} ${String(r.p50).padStart(7)}  ${String(r.p95).padStart(7)}   ${`${b.p50} / ${b.p95}`.padStart(17)}   ${(r.p50 / b.p50).toFixed(1)}x (${(r.p95 / b.p95).toFixed(1)}x)`);
    }

    // Where the time goes: the same work in process, step by step.
    console.log('\nwhere the time goes (p50 ms, in process):');
    const v = (await readModel.viewer(seeded.coordinator, STAFF))!;
    const page = await dashboard.cases({ kind: 'all' }, { stage: 'open' }, { limit: 51, offset: 0 });
    const events = await dashboard.events(page.map((c) => c.id));
    const ctx = { now: NOW, calendar, policy: DEFAULT_REMINDER_POLICY };
    const parts: [string, { p50: number; p95: number }][] = [
      ['token check (jose, keys cached)', await time(RUNS, () => checker.check(`Bearer ${token}`))],
      ['role from the roster', await time(RUNS, () => readModel.viewer(seeded.coordinator, STAFF))],
      ['pipeline: stage counts SQL', await time(RUNS, () => dashboard.stageCounts({ kind: 'all' }, {}))],
      ['pipeline: page of cases SQL', await time(RUNS, () => dashboard.cases({ kind: 'all' }, { stage: 'open' }, { limit: 51, offset: 0 }))],
      ['pipeline: events of the page SQL', await time(RUNS, () => dashboard.events(page.map((c) => c.id)))],
      ['pipeline: fold + due items (50 cases)', await time(RUNS, async () => page.forEach((c) => foldCase(c, events.get(c.id) ?? [], ctx)))],
      [`pipeline: fold + stored schedules (${page.filter((c) => c.due).length} stored)`, await time(RUNS, async () => page.forEach((c) => {
        caseProgress(events.get(c.id) ?? []);
        if (c.due) dueItemsAt(c.due.schedule, NOW);
      }))],
      ['pipeline: whole read model', await time(RUNS, () => readModel.pipeline(v, { stage: 'open', limit: 50, offset: 0 }))],
      ['overdue: page of cases SQL (case_due)', await time(RUNS, () => dashboard.cases({ kind: 'all' }, { stage: 'open' }, { limit: 51, offset: 0, overdueAt: NOW }))],
      ['overdue: whole read model', await time(RUNS, () => readModel.pipeline(v, { stage: 'open', overdue: true, limit: 50, offset: 0 }))],
    ];
    for (const [name, p] of [['quarter', quarter], ['twelve months', year]] as const) {
      const input = await dashboard.reportInput(p.from, p.to);
      parts.push([`reports ${name}: read SQL (${input.cases.length} cases)`, await time(Math.min(RUNS, 5), () => dashboard.reportInput(p.from, p.to))]);
      parts.push([`reports ${name}: serviceReport`, await time(Math.min(RUNS, 5), async () => serviceReport(input, p, calendar))]);
    }
    for (const [name, r] of parts) console.log(`  ${name.padEnd(48)} ${String(r.p50).padStart(7)}  (p95 ${r.p95})`);
    await http.close(1000);
  } finally {
    keys.close();
    await pool?.end();
    await db?.drop();
    await services?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  },
);
