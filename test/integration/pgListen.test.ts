/**
 * The one LISTEN-with-reconnect connection behind the outbox dispatcher and the reminders' change
 * listener: it hears notifications, comes back after its connection is cut or the server restarts
 * (trying again while the server is down), tells its owner each time it is back, and stays down once
 * stopped. The restart uses a PostgreSQL of this file's own; other files share the global one.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { createLogger } from '../../src/log';
import { PgListener } from '../../src/store/pgListen';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { eventually } from '../support/reminderFixtures';
import { startDedicatedPostgres, type RestartableServer } from '../support/services';

const CHANNEL = 'rj_test_listen';

interface Rig {
  listener: PgListener;
  heard: Array<string | undefined>;
  reconnections: () => number;
  logged: string[];
  appName: string;
}

function rig(databaseUrl: string): Rig {
  const heard: Array<string | undefined> = [];
  const logged: string[] = [];
  let reconnections = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  const appName = `rj-test-listen-${randomBytes(4).toString('hex')}`;
  const listener = new PgListener({
    databaseUrl,
    channels: [CHANNEL],
    applicationName: appName,
    label: 'test listener',
    log: createLogger('info', sink),
    reconnectMs: 100,
    onNotification: (channel, payload) => {
      if (channel === CHANNEL) heard.push(payload);
    },
    onReconnected: () => {
      reconnections++;
    },
  });
  return { listener, heard, reconnections: () => reconnections, logged, appName };
}

async function notify(url: string, payload: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
  } finally {
    await c.end();
  }
}

/** Notifies until one arrives: right after reconnecting, LISTEN may not have run yet. */
async function heardAfter(url: string, r: Rig, payload: string): Promise<void> {
  await eventually(async () => {
    if (r.heard.includes(payload)) return true;
    await notify(url, payload).catch(() => undefined);
    return false;
  }, 15_000, 100);
}

describe('on the shared server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('pglisten');
  });
  afterAll(async () => {
    await db.drop();
  });

  test('hears notifications with their payload', async () => {
    const r = rig(db.url);
    await r.listener.start();
    try {
      await notify(db.url, 'one');
      await eventually(async () => r.heard.includes('one'));
      expect(r.reconnections()).toBe(0);
    } finally {
      await r.listener.stop();
    }
  });

  test('comes back after its connection is cut, says so once, and hears again', async () => {
    const r = rig(db.url);
    await r.listener.start();
    try {
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      const killed = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [r.appName]);
      await admin.end();
      expect(killed.rowCount).toBe(1);
      await eventually(async () => r.reconnections() === 1, 10_000);
      await heardAfter(db.url, r, 'after-cut');
      expect(r.listener.listening).toBe(true);
      expect(r.reconnections()).toBe(1);
      expect(r.logged).toContain('test listener lost its connection');
    } finally {
      await r.listener.stop();
    }
  });

  test('a first connection that fails is the caller\'s to handle, and nothing retries it', async () => {
    const url = new URL(db.url);
    url.pathname = '/rj_no_such_database';
    const r = rig(url.toString());
    await expect(r.listener.start()).rejects.toThrow(/rj_no_such_database/);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.listener.listening).toBe(false);
    expect(r.logged).toEqual([]);
  });
});

describe('across a restart of PostgreSQL', () => {
  let pg: RestartableServer;
  beforeAll(async () => {
    pg = await startDedicatedPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg.stop();
  });

  test('keeps trying while the server is down and listens again once it is back', async () => {
    const r = rig(pg.url);
    await r.listener.start();
    try {
      await notify(pg.url, 'before');
      await eventually(async () => r.heard.includes('before'));

      await pg.kill('SIGINT');
      // Several attempts fail while it is down; none of them counts as being back.
      await eventually(async () => r.logged.filter((m) => m === 'test listener could not reconnect; retrying').length >= 2, 10_000);
      expect(r.listener.listening).toBe(false);
      expect(r.reconnections()).toBe(0);

      await pg.start();
      await eventually(async () => r.reconnections() === 1, 15_000);
      await heardAfter(pg.url, r, 'after-restart');
      expect(r.reconnections()).toBe(1);
    } finally {
      await r.listener.stop();
    }
  }, 60_000);

  test('once stopped it does not reconnect, even when the server comes back', async () => {
    const r = rig(pg.url);
    await r.listener.start();
    await pg.kill('SIGINT');
    await eventually(async () => !r.listener.listening, 10_000);
    await r.listener.stop();
    await pg.start();
    await new Promise((res) => setTimeout(res, 500));
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    const open = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [r.appName]);
    await admin.end();
    expect(open.rows[0]).toEqual({ n: 0 });
    expect(r.reconnections()).toBe(0);
  }, 60_000);
});
