import { createPool } from '../../src/store/db';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('pool');
});
afterAll(async () => {
  await db?.drop();
});

test('a connection lost while checked out (between two queries) is reported, not an unhandled error event', async () => {
  const errors: string[] = [];
  const pool = createPool(db.url, { max: 2, onIdleClientError: (err) => errors.push(err.message) });
  const killer = createPool(db.url, { max: 1 });
  try {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // The server ends this session while the client is held and idle between queries, as a restart does.
    await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(errors.length).toBeGreaterThan(0);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  } finally {
    await pool.end();
    await killer.end();
  }
});
