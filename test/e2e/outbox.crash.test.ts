import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Pool } from 'pg';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { PARTNER_TENANT, PARTNER_ORG, STAFF_TENANT } from '../support/app';
import { caseSetup, CHANNEL } from '../support/caseSetup';
import { textOf, cardText } from '../support/chat';
import { cardsIn } from '../support/cards';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { TEST_DATA_KEY_ENV } from '../support/dataKeys';

const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000006a1', tenantId: PARTNER_TENANT, name: 'Ava Officer' };
const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-0000000006c1', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };

let db: TestDatabase;
let pool: Pool;
let space: TestRedisSpace;
let connector: ConnectorEmulator;
let web: ChildProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase('e2e_outbox_crash');
  pool = new Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined);
  space = testRedisSpace();
  connector = await startConnector();
  // The coordinators' team: the coordinator alone (registering the channel checks its members).
  connector.setRoster([{ id: teamsUserId(coord), name: coord.name, aadObjectId: coord.aadObjectId, tenantId: STAFF_TENANT }]);
});

afterAll(async () => {
  web?.kill('SIGKILL');
  await connector?.close();
  await pool?.end();
  await space?.flushPrefix();
  await db?.drop();
});

/**
 * `npm start`'s web process (WEB_ONLY=1), which runs an outbox dispatcher of its own. Its environment
 * is built from scratch, so libfaketime's LD_PRELOAD/FAKETIME never reach it. A short outbox lease,
 * so the restarted process takes over the dead one's claim within seconds.
 */
function startWebProcess(): Promise<{ child: ChildProcess; url: string }> {
  const root = path.resolve(__dirname, '../..');
  // tsx's loader in this very process: its CLI would run the app in a grandchild that SIGKILL misses.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL: space.url, REDIS_KEY_PREFIX: `{${space.prefix}}`, WEB_ONLY: '1',
      PORT: '0', HOST: '127.0.0.1', ALLOW_UNAUTHENTICATED: '1', OUTBOX_LEASE_MS: '2000',
      STAFF_TENANT_ID: STAFF_TENANT, PARTNER_TENANTS: `${PARTNER_TENANT}=${PARTNER_ORG}`, COORDINATOR_AAD_IDS: coord.aadObjectId, LOG_LEVEL: 'info', ...TEST_DATA_KEY_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /"port":(\d+)[^\n]*RJ Referrals listening/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('exit', (code) => reject(new Error(`web process exited early (${code}): ${out}`)));
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the web process SIGKILLed while the connector answers 503 to the channel card, restarted: exactly one channel card', async () => {
  let started = await startWebProcess();
  web = started.child;
  let url = started.url;
  const s = caseSetup(() => url, connector);
  const c = s.chat(coord);
  expect(textOf(await c.post(s.channelMessage(c, 'use this channel for referrals')))).toContain('posted in this channel');

  // Teams is down for the channel: every post there gets 503 (the sender retries within its budget).
  connector.failNext({ match: (r) => r.conversationId === CHANNEL && r.method === 'POST', status: 503, times: 10_000 });
  const reference = await s.refer(alice);
  await connector.waitFor((k) => k.requests().some((r) => r.conversationId === CHANNEL && r.status === 503), 15_000);

  // The process dies mid-send, holding the claim.
  const killed = new Promise<void>((resolve) => web!.once('exit', () => resolve()));
  web.kill('SIGKILL');
  await killed;
  web = undefined;
  const { rows: owed } = await pool.query<{ kind: string; status: string }>(
    `SELECT o.kind, o.status FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1`,
    [reference],
  );
  expect(owed).toEqual([{ kind: 'channel_post', status: 'sending' }]);
  expect(connector.sentTo(CHANNEL).filter((a) => cardsIn(a).some((k) => cardText(k).includes(`Referral ${reference}`)))).toHaveLength(0);

  // Teams recovers; a new process takes the dead claim over once its lease runs out.
  connector.clear();
  started = await startWebProcess();
  web = started.child;
  url = started.url;
  const posted = await s.waitForCard(CHANNEL, `Referral ${reference}`, 20_000);
  const row = await until('the outbox row to be recorded as sent', async () => {
    const { rows } = await pool.query<{ status: string; attempts: number; activity_id: string }>(
      `SELECT o.status, o.attempts, o.activity_id FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.reference = $1`,
      [reference],
    );
    return rows.length === 1 && rows[0]!.status === 'sent' && rows[0];
  });
  // Claimed by the dead process, then by the new one.
  expect(row.attempts).toBe(2);
  expect(row.activity_id).toBe(posted.activityId);
  // A poll round or two more: nothing else goes out for it.
  await new Promise((r) => setTimeout(r, 1500));
  const cards = connector.sentTo(CHANNEL).filter((a) => cardsIn(a).some((k) => cardText(k).includes(`Referral ${reference}`)));
  expect(cards).toHaveLength(1);
  const { rows } = await pool.query<{ channel_conversation_id: string; channel_activity_id: string }>(
    'SELECT channel_conversation_id, channel_activity_id FROM cases WHERE reference = $1',
    [reference],
  );
  expect(rows[0]).toEqual({ channel_conversation_id: `${CHANNEL};messageid=${posted.activityId}`, channel_activity_id: posted.activityId });
}, 90_000);
