import { spawn } from 'node:child_process';
import path from 'node:path';
import { Pool } from 'pg';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, STAFF_TENANT, PARTNER_TENANT, PARTNER_ORG } from '../support/app';
import { postActivity, teamsChannel } from '../support/activities';
import { cardsIn } from '../support/cards';
import { cardText } from '../support/chat';
import { TEST_DATA_KEY_ENV } from '../support/dataKeys';

let db: TestDatabase;
let connector: ConnectorEmulator;

beforeAll(async () => {
  db = await createTestDatabase('e2e_server');
  connector = await startConnector();
});

afterAll(async () => {
  await connector?.close();
  await db?.drop();
});

const user = { aadObjectId: 'eeeeeeee-0000-4000-8000-00000000e0e0', tenantId: PARTNER_TENANT, name: 'Erin Officer' };

describe('with MicrosoftAppId set', () => {
  let app: App;
  beforeAll(async () => {
    app = await startTestApp({
      databaseUrl: db.url,
      redisUrl: testRedisUrl(),
      env: { MicrosoftAppId: '0f0f0f0f-0000-4000-8000-000000000abc', MicrosoftAppPassword: 'not-a-real-secret', MicrosoftAppTenantId: STAFF_TENANT },
    });
  });
  afterAll(async () => app?.close());

  test('an activity without a bearer token gets 401 and the bot does nothing', async () => {
    const before = connector.requests().length;
    const res = await postActivity(app.url, teamsChannel({ serviceUrl: connector.url }).message('refer', user));
    expect(res.status).toBe(401);
    expect(connector.requests().length).toBe(before);
  });

  test('a forged token gets 401', async () => {
    const res = await postActivity(app.url, teamsChannel({ serviceUrl: connector.url }).message('refer', user), { token: 'eyJhbGciOiJub25lIn0.e30.' });
    expect(res.status).toBe(401);
  });
});

describe('local development without MicrosoftAppId', () => {
  let app: App;
  beforeAll(async () => {
    app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl() });
  });
  afterAll(async () => app?.close());

  test('an Emulator-style activity with no tenant is taken as the staff tenant', async () => {
    const activity = teamsChannel({ serviceUrl: connector.url }).message('refer', user);
    delete activity.channelData;
    activity.channelId = 'emulator';
    activity.conversation = { id: 'emulator-conv-1', isGroup: false, conversationType: 'personal', name: '' };
    activity.from = { id: 'emulator-user-1', name: 'User' };
    const res = await postActivity(app.url, activity);
    expect(res.status).toBe(200);
    const sent = connector.sentTo('emulator-conv-1');
    expect(sent.some((a) => cardText(cardsIn(a)[0]).includes('Eligibility check'))).toBe(true);
  });

  test.each(['webchat', 'directline'])('an activity from channel %s gets 403 and nothing is stored: only Teams (and the Emulator, locally)', async (channelId) => {
    const conversationId = `local-${channelId}-conv`;
    const activity = teamsChannel({ serviceUrl: connector.url }).message('refer', { ...user, conversationId });
    activity.channelId = channelId;
    const res = await postActivity(app.url, activity);
    expect(res.status).toBe(403);
    expect(connector.sentTo(conversationId)).toHaveLength(0);
    const pool = new Pool({ connectionString: db.url, max: 1 });
    try {
      const refs = await pool.query('SELECT 1 FROM conversation_refs WHERE conversation_id = $1', [conversationId]);
      const state = await pool.query("SELECT 1 FROM bot_state WHERE key LIKE '%' || $1 || '%'", [conversationId]);
      expect(refs.rowCount).toBe(0);
      expect(state.rowCount).toBe(0);
    } finally {
      await pool.end();
    }
  });

  test('a tenant that is present and unknown is still refused', async () => {
    const activity = teamsChannel({ serviceUrl: connector.url }).message('refer', { ...user, tenantId: '12345678-0000-4000-8000-000000000000', conversationId: 'unknown-tenant-conv' });
    await postActivity(app.url, activity);
    const sent = connector.sentTo('unknown-tenant-conv');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('only available');
  });
});

/** src/main.ts in a process of its own, as npm start runs it (through tsx, with no .env in the way). */
function spawnMain(env: Record<string, string>, stdout: 'pipe' | 'ignore' = 'ignore') {
  const root = path.resolve(__dirname, '../..');
  return spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
}

function refusedStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnMain(env);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Resolves with the port once the process listens, and everything it printed so far. */
function listening(child: ReturnType<typeof spawnMain>): Promise<{ port: number; out: () => string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), out: () => out });
    });
    child.on('exit', () => reject(new Error(`exited early: ${out}`)));
  });
}

describe('the process', () => {
  const valid = () => ({ DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), STAFF_TENANT_ID: STAFF_TENANT, PORT: '0', ...TEST_DATA_KEY_ENV });

  test('without MicrosoftAppId it refuses to start: exit 1, naming MicrosoftAppId and how to run locally', async () => {
    const result = await refusedStart({ ...valid(), HOST: '127.0.0.1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MicrosoftAppId: is required');
    expect(result.stderr).toContain('ALLOW_UNAUTHENTICATED=1');
  });

  test('ALLOW_UNAUTHENTICATED=1 on a HOST other machines can reach is refused: exit 1, naming both', async () => {
    const result = await refusedStart({ ...valid(), HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: '1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ALLOW_UNAUTHENTICATED: is only allowed with HOST on a loopback address');
    expect(result.stderr).toContain('"0.0.0.0"');
  });

  test('ALLOW_UNAUTHENTICATED=1 on 127.0.0.1 starts, with one warning that authentication is off', async () => {
    const child = spawnMain({ ...valid(), HOST: '127.0.0.1', ALLOW_UNAUTHENTICATED: '1', LOG_LEVEL: 'info' }, 'pipe');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const { port, out } = await listening(child);
      const ready = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(ready.status).toBe(200);
      const warnings = out()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((l) => l.level === 40);
      expect(warnings.filter((w) => w.msg.includes('authentication is OFF'))).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 30000);

  test('a bad configuration stops the process with a message naming the variable', async () => {
    const result = await refusedStart({ HOST: '127.0.0.1', ALLOW_UNAUTHENTICATED: '1', DATABASE_URL: 'mysql://nope', REDIS_URL: testRedisUrl(), STAFF_TENANT_ID: STAFF_TENANT, PARTNER_TENANTS: 'garbage' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL: must be a postgres:// URL');
    expect(result.stderr).toContain('PARTNER_TENANTS: "garbage" is not a tenantId=Organisation name pair');
  });

  test('SIGTERM lets a request in flight finish, then the process exits 0', async () => {
    const child = spawnMain({ ...valid(), HOST: '127.0.0.1', ALLOW_UNAUTHENTICATED: '1', PARTNER_TENANTS: `${PARTNER_TENANT}=${PARTNER_ORG}`, LOG_LEVEL: 'info' }, 'pipe');
    const { port } = await listening(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Slow the connector so the turn is still running when SIGTERM arrives.
    connector.failNext({ match: () => true, status: 502, times: 1 });
    const inFlight = postActivity(`http://127.0.0.1:${port}`, teamsChannel({ serviceUrl: connector.url }).message('help', { ...user, conversationId: 'sigterm-conv' }));
    // SIGTERM only once the turn has reached the connector: a fixed pause let a loaded machine send it
    // before the request was even accepted, and a request never accepted is not "in flight".
    const deadline = Date.now() + 10_000;
    while (!connector.requests().some((r) => r.injected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(connector.requests().some((r) => r.injected)).toBe(true);
    child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await exited).toBe(0);
    expect(connector.sentTo('sigterm-conv').length).toBeGreaterThan(0);
  }, 30000);
});
