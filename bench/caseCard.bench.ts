/**
 * `npm run bench:case-card`: the case card with 10,000 cases in the database, with encryption at rest
 * and without (the bench's own PlaintextCipher, never a setting), measured in the same run:
 *
 * - seeding: referrals stored per second through CaseRepository.createReferral (keys made and wrapped,
 *   every personal field sealed);
 * - the store: CaseRepository.findByReference of a random case (keys unwrapped, fields opened);
 * - the card: a coordinator's `case RJ-…` turn over /api/messages and their Teams' refresh of the base
 *   view it sends (the case card with details), from the first POST to the refresh's answer.
 *   p50, p95, p99.
 *
 * BENCH_CASES (default 10000) and BENCH_RUNS (default 500) change the size. Not part of npm test.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { CaseRepository, type NewReferral } from '../src/store/caseRepository';
import { createPool } from '../src/store/db';
import { migrate } from '../src/store/migrate';
import { PlaintextCipher, type FieldCipher } from '../src/store/crypto/fieldCipher';
import { createTestDatabase, type TestDatabase } from '../test/support/db';
import { startServices, type RunningServices } from '../test/support/services';
import { startConnector, type ConnectorEmulator } from '../test/support/connector';
import { testCipher } from '../test/support/dataKeys';
import { postActivity, teamsChannel, type TeamsUser } from '../test/support/activities';

const CASES = Number(process.env.BENCH_CASES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const SEED_CONCURRENCY = 8;
const STAFF = '11111111-1111-4111-8111-111111111111';
const coordinator: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-0000000bec01', tenantId: STAFF, name: 'Bench Coordinator' };

function referral(i: number): NewReferral {
  return {
    submissionKey: `bench-${i}`, screeningId: null, referrerAadId: 'aaaaaaaa-0000-4000-8000-000000000001', referrerTenantId: '22222222-2222-4222-8222-222222222222',
    source: 'Probation Service (London)', eligibility: 'eligible', needsReviewReasons: [], offenceType: 'burglary',
    offenceDescription: `Entered the flat at number ${i} through the kitchen window and took a laptop and jewellery`, offenceDate: '2025-03-14',
    crimeReference: `CRIS-${i}`, sentenceDate: '2025-09-01', sentenceType: 'custody', prison: 'HMP Pentonville', relationship: 'strangers',
    riskNotes: 'No contact conditions in place until the end of the licence period', accessNeeds: 'Step-free access', referrerPhone: '020 7946 0000',
    complex: i % 7 === 0, extraCare: false,
    harmedPerson: { name: `Harmed Person ${i}`, dateOfBirth: '1980-02-29', borough: 'Hackney', phone: '07700 900001', email: `harmed${i}@example.org`, aware: true },
    offender: { name: `Offender Person ${i}`, dateOfBirth: '1990-06-01', borough: 'Islington', phone: null, email: null, aware: false },
  };
}

function percentiles(ms: number[]): { p50: number; p95: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

async function seed(pool: Pool, cipher: FieldCipher): Promise<{ perSecond: number; references: string[] }> {
  const repo = new CaseRepository(pool, { cipher, now: () => new Date('2026-11-02T10:00:00Z') });
  const references: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      for (let i = next++; i < CASES; i = next++) references.push((await repo.createReferral(referral(i))).reference);
    }),
  );
  return { perSecond: CASES / ((performance.now() - started) / 1000), references };
}

interface ModeResult {
  seedPerSecond: number;
  store: ReturnType<typeof percentiles>;
  card: ReturnType<typeof percentiles>;
}

async function runMode(name: string, cipher: FieldCipher, services: RunningServices, connector: ConnectorEmulator): Promise<ModeResult> {
  const db: TestDatabase = await createTestDatabase(`bench_card_${name}`);
  const pool = createPool(db.url, { max: SEED_CONCURRENCY + 2 });
  try {
    await migrate(pool);
    console.log(`${name}: seeding ${CASES} cases…`);
    const { perSecond, references } = await seed(pool, cipher);
    await pool.query('ANALYZE');
    const pick = () => references[Math.floor(Math.random() * references.length)]!;

    const repo = new CaseRepository(pool, { cipher });
    const storeMs: number[] = [];
    for (let i = 0; i < 50; i += 1) await repo.findByReference(pick());
    for (let i = 0; i < RUNS; i += 1) {
      const t = performance.now();
      const c = await repo.findByReference(pick());
      storeMs.push(performance.now() - t);
      if (!c?.participants[0]?.name.startsWith('Harmed Person')) throw new Error(`${name}: case read back wrong`);
    }

    // The web half only: a reminder worker would be reconciling 10,000 new cases meanwhile.
    process.noDeprecation = true;
    const { startTestApp } = await import('../test/support/app');
    const app = await startTestApp({ databaseUrl: db.url, redisUrl: services.redisUrl, env: { WEB_ONLY: '1', COORDINATOR_AAD_IDS: coordinator.aadObjectId }, fieldCipher: cipher });
    const teams = teamsChannel({ serviceUrl: connector.url });
    const cardMs: number[] = [];
    try {
      await postActivity(app.url, teams.message('help', coordinator));
      // What the coordinator waits for: the typed command (the base view is sent), then their Teams
      // refreshing it into the case card (the details, read and audited then).
      let shown = 0;
      const turn = async () => {
        const reference = pick();
        const t = performance.now();
        const r = await postActivity(app.url, teams.message(`case ${reference}`, coordinator));
        if (r.status !== 200) throw new Error(`${name}: case ${reference} answered ${r.status}`);
        const base = connector.sent().at(-1);
        const refresh = (base?.attachments?.[0]?.content as { refresh?: { action: { verb: string; data: Record<string, unknown> } } } | undefined)?.refresh;
        if (!base || !refresh) throw new Error(`${name}: case ${reference} sent no base view with a refresh`);
        const card = await postActivity(app.url, teams.adaptiveCardAction(refresh.action.verb, refresh.action.data, coordinator, { replyToId: base.id, trigger: 'automatic' }));
        const ms = performance.now() - t;
        if (card.status !== 200) throw new Error(`${name}: the refresh of ${reference} answered ${card.status}`);
        if (JSON.stringify(card.body).includes('Harmed Person')) shown += 1;
        return ms;
      };
      for (let i = 0; i < 50; i += 1) await turn();
      shown = 0;
      for (let i = 0; i < RUNS; i += 1) cardMs.push(await turn());
      if (shown !== RUNS) throw new Error(`${name}: ${RUNS - shown} of ${RUNS} refreshed case cards did not show the participants`);
      connector.clear();
    } finally {
      await app.close();
    }
    return { seedPerSecond: perSecond, store: percentiles(storeMs), card: percentiles(cardMs) };
  } finally {
    await pool.end();
    await db.drop();
  }
}

async function main(): Promise<void> {
  console.log(`RJ Referrals case card bench: ${CASES} cases, ${RUNS} measured reads per mode`);
  let services: RunningServices | undefined;
  let connector: ConnectorEmulator | undefined;
  try {
    services = await startServices({ pgAdminUrl: process.env.TEST_PG_ADMIN_URL, redisUrl: process.env.TEST_REDIS_URL });
    process.env.TEST_PG_ADMIN_URL = services.pgAdminUrl;
    connector = await startConnector();
    const on = await runMode('encrypted', testCipher(), services, connector);
    const off = await runMode('plaintext', new PlaintextCipher(), services, connector);
    const row = (label: string, r: ModeResult) =>
      `| ${label} | ${r.seedPerSecond.toFixed(0)} | ${r.store.p50} / ${r.store.p95} / ${r.store.p99} | ${r.card.p50} / ${r.card.p95} / ${r.card.p99} |`;
    console.log('');
    console.log(`| ${CASES} cases | referrals stored/s | findByReference p50 / p95 / p99 ms | case card turn p50 / p95 / p99 ms |`);
    console.log('| --- | --- | --- | --- |');
    console.log(row('encryption on', on));
    console.log(row('encryption off', off));
  } finally {
    await connector?.close().catch(() => undefined);
    await services?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
