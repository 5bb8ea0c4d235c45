import type { Pool } from 'pg';
import { CASE_STAGES } from '../../src/domain/vocabulary';
import { createPool } from '../../src/store/db';
import { migrate, type MigrationLog } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('migrate', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeEach(async () => {
    db = await createTestDatabase('store_migrate');
    pool = createPool(db.url, { applicationName: 'store-migrate-test' });
  });

  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  async function versions(): Promise<string[]> {
    const { rows } = await pool.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    return rows.map((r) => r.version);
  }

  it('applies every migration once and is a no-op the second time', async () => {
    const logged: unknown[] = [];
    const log: MigrationLog = { info: (obj) => logged.push(obj) };
    expect(await migrate(pool, log)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(logged).toHaveLength(MIGRATIONS.length);
    expect(await migrate(pool, log)).toEqual([]);
    expect(await versions()).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('serialises concurrent migrators on a fresh database', async () => {
    // Separate pools stand in for separate processes starting at the same moment.
    const others = [createPool(db.url), createPool(db.url), createPool(db.url)];
    try {
      const results = await Promise.all([migrate(pool), ...others.map((p) => migrate(p))]);
      expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
      expect(await versions()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(others.map((p) => p.end()));
    }
  });

  it('applies later migrations in version order and rolls back a failing one', async () => {
    await migrate(pool);
    const extra = [
      { version: '900_b', sql: 'ALTER TABLE probe ADD COLUMN b int' },
      { version: '900_a', sql: 'CREATE TABLE probe (a int)' },
    ];
    expect(await migrate(pool, undefined, [...MIGRATIONS, ...extra])).toEqual(['900_a', '900_b']);

    const broken = { version: '901_broken', sql: 'CREATE TABLE probe2 (a int); SELECT no_such_function()' };
    await expect(migrate(pool, undefined, [...MIGRATIONS, broken])).rejects.toThrow(/Migration 901_broken failed/);
    const { rows } = await pool.query("SELECT to_regclass('probe2') AS t");
    expect(rows[0]).toEqual({ t: null });
    expect(await versions()).not.toContain('901_broken');
  });

  it('refuses a migration list with a repeated version', async () => {
    const twice = [...MIGRATIONS, { version: '001_initial', sql: 'SELECT 1' }];
    await expect(migrate(pool, undefined, twice)).rejects.toThrow('Migration version "001_initial" is listed twice');
  });

  it('allows exactly the CaseStage codes of the vocabulary', async () => {
    await migrate(pool);
    const { rows } = await pool.query<{ def: string }>(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'cases_stage_check'",
    );
    const allowed = [...(rows[0]?.def ?? '').matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]).sort();
    expect(allowed).toEqual(Object.keys(CASE_STAGES).sort());
  });
});
