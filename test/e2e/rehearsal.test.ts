/**
 * A production rehearsal on this machine: the built dist/, as two WEB_ONLY processes and one
 * WORKER_ONLY process (the compose stack's shape), NODE_ENV=production, authenticated with Bot
 * Framework tokens signed by the test's key, against one PostgreSQL and one Redis configured as
 * deploy/compose.yaml configures them. A referral is made through one web process, its card
 * answered through the other, a reminder delivered by the worker, /metrics counts all of it, and
 * every process stops cleanly on SIGTERM.
 *
 * The processes run on a clock pinned by libfaketime to a Thursday morning in London (reminders only
 * go out in working time), so the test passes at any hour; PostgreSQL and Redis keep the real clock.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startDedicatedRedis, type RestartableServer } from '../support/services';
import { PARTNER_ORG, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { postActivity, teamsUserId, type TeamsUser } from '../support/activities';
import { button, caseSetup, CHANNEL, type CaseSetup } from '../support/caseSetup';
import { invokeCard } from '../support/chat';
import { startBotFrameworkAuth, TEST_APP_ID, TEST_APP_PASSWORD, type BotFrameworkAuthServers } from '../support/botFrameworkAuth';
import { TEST_DATA_KEY_ENV } from '../support/dataKeys';

const root = path.resolve(__dirname, '../..');
const FAKETIME_LIB = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'].find((p) => existsSync(p));
const METRICS_TOKEN = 'rehearsal-metrics-token-0123456789';
// Thursday 26 November 2026, 10:00 London (GMT): working time.
const PINNED = '@2026-11-26 10:00:00';
const PINNED_MS = Date.parse('2026-11-26T10:00:00Z');
let startedAt = 0;

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-000000e0c01a', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-000000e0f01a', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-000000e0f02a', tenantId: STAFF_TENANT, name: 'Finn Two' };
const officer: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-000000e0a01a', tenantId: PARTNER_TENANT, name: 'Olive Officer' };

interface Proc {
  name: string;
  child: ChildProcess;
  url: string;
  log: string[];
  exited: Promise<number | null>;
}

let db: TestDatabase;
let redis: RestartableServer;
let auth: BotFrameworkAuthServers;
let connector: ConnectorEmulator;
let pool: Pool;
const procs: Proc[] = [];

async function startProcess(name: string, half: Record<string, string>): Promise<Proc> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    MicrosoftAppId: TEST_APP_ID,
    MicrosoftAppPassword: TEST_APP_PASSWORD,
    MicrosoftAppType: 'SingleTenant',
    MicrosoftAppTenantId: STAFF_TENANT,
    STAFF_TENANT_ID: STAFF_TENANT,
    ...TEST_DATA_KEY_ENV,
    PARTNER_TENANTS: `${PARTNER_TENANT}=${PARTNER_ORG}`,
    COORDINATOR_AAD_IDS: coord.aadObjectId,
    METRICS_TOKEN,
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '3000',
    RJ_TEST_BOT_FRAMEWORK_ENDPOINTS: JSON.stringify(auth.endpoints),
    LD_PRELOAD: FAKETIME_LIB,
    FAKETIME: PINNED,
    ...half,
  };
  const child = spawn(process.execPath, [path.join(root, 'test/support/rehearsalEntry.cjs')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${log.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      for (const line of chunk.toString().split('\n')) {
        const port = /"port":(\d+)/.exec(line)?.[1];
        if (port && /listening|worker running/.test(line)) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${port}`);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code} before it was ready:\n${log.join('')}`));
    });
  });
  const p = { name, child, url, log, exited };
  procs.push(p);
  return p;
}

async function scrape(p: Proc): Promise<string> {
  const res = await fetch(`${p.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one series in Prometheus text, 0 when absent. */
function value(body: string, series: RegExp): number {
  const line = body.split('\n').find((l) => series.test(l));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

beforeAll(async () => {
  if (!FAKETIME_LIB) throw new Error('libfaketime is missing: apt-get install faketime');
  const build = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  db = await createTestDatabase('e2e_rehearsal');
  pool = new Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined);
  // Redis as deploy/compose.yaml runs it.
  redis = await startDedicatedRedis({ persist: true });
  const admin = new Redis(redis.url);
  await admin.config('SET', 'appendfsync', 'everysec');
  await admin.config('SET', 'hash-max-listpack-value', '128');
  expect(await admin.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
  admin.disconnect();
  auth = await startBotFrameworkAuth();
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
}, 180_000);

afterAll(async () => {
  if (process.env.REHEARSAL_LOGS) for (const p of procs) console.log(`--- ${p.name}\n${p.log.join('').split('\n').filter((l) => /"level":(40|50|60)/.test(l)).join('\n')}`);
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await connector?.close();
  await auth?.close();
  await pool?.end();
  await redis?.stop();
  await db?.drop();
});

test('two web processes and a worker from dist/, authenticated: refer on one, triage on the other, a partner-tenant notice and a reminder from the worker, metrics, clean SIGTERM', async () => {
  startedAt = Date.now();
  // The worker first: it migrates, like the first container of a deployment.
  const worker = await startProcess('worker', { WORKER_ONLY: '1' });
  const [web1, web2] = await Promise.all([startProcess('web-1', { WEB_ONLY: '1' }), startProcess('web-2', { WEB_ONLY: '1' })]);
  let target = web1!;
  // Signed as of the processes' clock, which checks it (an hour either side is plenty for this test).
  const token = () => auth.channelToken({ serviceUrl: connector.url, now: new Date(PINNED_MS + (Date.now() - startedAt)) });
  const s: CaseSetup = caseSetup(() => target.url, connector, { token });

  // Without a token nothing gets in, on either web process.
  for (const w of [web1!, web2!]) expect((await postActivity(w.url, s.chat(officer).teams.message('help', officer))).status).toBe(401);

  for (const u of [coord, f1, f2, officer]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
  const first = await s.refer(officer);
  const second = await s.refer(officer);
  const third = await s.refer(officer);

  // The channel card is owed through the outbox; whichever process sends it, it arrives once.
  const posted = await s.waitForCard(CHANNEL, `Referral ${first}`, 15_000);
  target = web2!;
  const accept = button(posted.card, 'Accept into service');
  const accepted = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(accept.verb, accept.data, coord, { replyToId: posted.activityId })));
  expect(accepted.status).toBe(200);
  expect(button(invokeCard(accepted), 'Assign facilitators')).toBeDefined();

  // A decline through the other web process: the officer, in the partner's tenant, is told proactively,
  // with the token the bot got from its own (staff tenant) login authority.
  const thirdCard = await s.waitForCard(CHANNEL, `Referral ${third}`, 15_000);
  const decline = button(thirdCard.card, 'Decline');
  const declined = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(decline.verb, { ...decline.data, declineReason: 'not_suitable' }, coord, { replyToId: thirdCard.activityId })));
  expect(declined.status).toBe(200);
  const officerChat = s.chat(officer).conversationId;
  const notice = await (async () => {
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const req = connector.requests().find((r) => r.conversationId === officerChat && JSON.stringify(r.body).includes(`Referral ${third}: The restorative justice service has reviewed`));
      if (req) return req;
    }
    throw new Error(`the officer was not told of the decline: ${JSON.stringify(connector.requests().slice(-6).map((r) => [r.kind, r.conversationId, r.status, JSON.stringify(r.body).slice(0, 200)]))}`);
  })();
  expect(auth.issuedTokens()).toContain(notice.authorization?.replace(/^Bearer /, ''));
  expect(JSON.stringify(notice.body)).toContain(PARTNER_TENANT);

  // The second referral waits untriaged for a week (by the processes' clock): the worker pings the channel.
  await pool.query("UPDATE cases SET created_at = timestamptz '2026-11-19 10:00:00+00' WHERE reference = $1", [second]);
  await pool.query("INSERT INTO case_events (case_id, actor_aad_id, actor_role, type, data) SELECT id, NULL, 'system', 'test_touch', '{}' FROM cases WHERE reference = $1", [second]);
  await s.waitForCard(CHANNEL, `Triage due: ${second}`, 30_000);
  // The card reaches Teams a moment before the worker records the delivery as sent.
  const sentDeliveries = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM reminder_deliveries WHERE rule = 'triage_due' AND status = 'sent'")).rows[0]!.n;
  for (const deadline = Date.now() + 10_000; (await sentDeliveries()) === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  expect(await sentDeliveries()).toBe(1);
  // Every send to Teams carried the token the bot got from its login authority.
  expect(auth.issuedTokens().length).toBeGreaterThan(0);

  const [m1, m2, mw] = await Promise.all([scrape(web1!), scrape(web2!), scrape(worker)]);
  expect(value(m1, /^rj_turns_total\{kind="message",outcome="ok"/)).toBeGreaterThan(5);
  expect(value(m2, /^rj_card_actions_total\{verb="[^"]+",outcome="ok"/)).toBeGreaterThanOrEqual(1);
  expect(value(mw, /^rj_reminder_lateness_seconds_count/)).toBe(1);
  const sends = [m1, m2, mw].reduce((n, m) => n + value(m, /^rj_proactive_sends_total\{status="2xx"/), 0);
  expect(sends).toBeGreaterThanOrEqual(2);
  expect(m1).not.toMatch(/Olive|Harriet/);

  for (const p of procs) p.child.kill('SIGTERM');
  const codes = await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))])));
  expect(codes).toEqual([0, 0, 0]);
  for (const p of procs) expect(p.log.join('')).toContain('RJ Referrals stopped');
}, 180_000);
