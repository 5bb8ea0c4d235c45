/**
 * One fresh PostgreSQL database per test file, created on the server globalSetup started (or the one
 * TEST_PG_ADMIN_URL names), so test files run in parallel without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Connection URL for the new, empty database (superuser, so migrations may do anything). */
  url: string;
  /** The database name, for messages. */
  name: string;
  /** Drops the database, disconnecting any sessions a test left open. Safe to call twice. */
  drop(): Promise<void>;
}

export function testPgAdminUrl(): string {
  const url = process.env.TEST_PG_ADMIN_URL;
  if (!url) {
    throw new Error(
      'TEST_PG_ADMIN_URL is not set: run this test through jest with the integration/e2e project ' +
        '(its globalSetup starts PostgreSQL), or set TEST_PG_ADMIN_URL to a superuser URL.',
    );
  }
  return url;
}

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testPgAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `label` ends up in the database name (sanitised), which helps when reading server logs. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const safe = label.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 20);
  // Identifiers max 63 bytes; pid + random keeps names unique across parallel workers and reruns.
  const name = `rj_${safe}_${process.pid}_${randomBytes(4).toString('hex')}`;
  // template0 avoids "source database is being accessed by other users" when files create at once.
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`));
  const url = new URL(testPgAdminUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
