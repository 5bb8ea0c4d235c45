import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseJobId } from '../../src/reminders/ids';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, PARTNER_TENANT, PARTNER_ORG, STAFF_TENANT } from '../support/app';
import { caseSetup } from '../support/caseSetup';
import type { TeamsUser } from '../support/activities';
import { TEST_DATA_KEY_ENV } from '../support/dataKeys';

const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000005a1', tenantId: PARTNER_TENANT, name: 'Ava Officer' };

let db: TestDatabase;
let space: TestRedisSpace;
let connector: ConnectorEmulator;
let web: App | undefined;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase('e2e_split');
  space = testRedisSpace();
  connector = await startConnector();
});

afterAll(async () => {
  await web?.close();
  worker?.kill('SIGKILL');
  await connector?.close();
  await space?.flushPrefix();
  await db?.drop();
});

/** `npm start`'s process with WORKER_ONLY=1: the reminder worker, with health and metrics but no /api/messages. */
function startWorkerProcess(prefix: string): Promise<ChildProcess> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ALLOW_UNAUTHENTICATED: '1', DATABASE_URL: db.url, REDIS_URL: space.url, REDIS_KEY_PREFIX: prefix, WORKER_ONLY: '1',
      STAFF_TENANT_ID: STAFF_TENANT, PARTNER_TENANTS: `${PARTNER_TENANT}=${PARTNER_ORG}`, LOG_LEVEL: 'info', ...TEST_DATA_KEY_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('reminder worker running (WORKER_ONLY)')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited early (${code}): ${out}`)));
  });
}

test('a WEB_ONLY process and a WORKER_ONLY process share the work: a referral made on the web is scheduled by the worker', async () => {
  const prefix = `{${space.prefix}}`;
  worker = await startWorkerProcess(prefix);
  web = await startTestApp({ databaseUrl: db.url, redisUrl: space.url, env: { WEB_ONLY: '1', REDIS_KEY_PREFIX: prefix } });
  const s = caseSetup(() => web!.url, connector);
  await s.chat(alice).say('help');
  const reference = await s.refer(alice);

  // The web process runs no worker; the worker process heard of the new case through PostgreSQL.
  const connection = new Redis(space.url, { maxRetriesPerRequest: null });
  const queue = new Queue('reminders', { connection, prefix });
  try {
    const deadline = Date.now() + 10_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = (await queue.getJobs(['delayed', 'wait', 'prioritized'])).map((j) => parseJobId(j.id ?? '')?.rule ?? '');
      if (ids.includes('triage_due')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids.filter((rule) => rule === 'triage_due')).toHaveLength(1);
  } finally {
    await queue.close();
    connection.disconnect();
  }
  expect(reference).toMatch(/^RJ-\d{4}-\d{4}$/);

  // SIGTERM: the worker finishes what it holds and exits cleanly.
  const exited = new Promise<number | null>((resolve) => worker!.on('exit', (code) => resolve(code)));
  worker.kill('SIGTERM');
  expect(await exited).toBe(0);
  worker = undefined;
}, 30_000);
