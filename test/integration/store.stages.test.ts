import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { ACTIVE_STAGES, CLOSED_STAGES, OPEN_STAGES, STAGE_ORDER } from '../../src/domain/vocabulary';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { ACTIVE_STAGES_SQL, CLOSED_STAGES_SQL, sqlStageList } from '../../src/store/stages';
import { createTestDatabase, type TestDatabase } from '../support/db';

/*
 * The stage sets in SQL come from the one list in src/domain/vocabulary.ts. These checks fail when a
 * repository spells a stage list by hand again, or when the schema's stage sets drift from the list.
 */

const STORE = join(__dirname, '../../src/store');

describe('stage lists in SQL', () => {
  test('are generated from the domain list', () => {
    expect(CLOSED_STAGES_SQL).toBe(`(${CLOSED_STAGES.map((s) => `'${s}'`).join(', ')})`);
    expect(ACTIVE_STAGES_SQL).toBe(`(${ACTIVE_STAGES.map((s) => `'${s}'`).join(', ')})`);
    expect([...CLOSED_STAGES, ...OPEN_STAGES].sort()).toEqual([...STAGE_ORDER].sort());
    expect(() => sqlStageList([])).toThrow(/empty stage list/);
    // Only a stage code can ever be inlined.
    expect(() => sqlStageList(["closed') OR ('1" as never])).toThrow(/not a stage code/);
  });

  test('no repository writes a stage list by hand', () => {
    const handWritten = readdirSync(STORE)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => {
        const text = readFileSync(join(STORE, f), 'utf8');
        return [...text.matchAll(/stage\s+(?:NOT\s+)?IN\s*\(\s*'/gi)].map((m) => `${f}: ${m[0]}`);
      });
    expect(handWritten).toEqual([]);
  });

  describe('the schema', () => {
    let db: TestDatabase;
    let pool: Pool;

    beforeAll(async () => {
      db = await createTestDatabase('store_stages');
      pool = createPool(db.url);
      await migrate(pool);
    });

    afterAll(async () => {
      await pool?.end();
      await db?.drop();
    });

    test("the open-cases partial index leaves out exactly the domain's closed stages", async () => {
      const { rows } = await pool.query<{ def: string }>("SELECT pg_get_indexdef('cases_open_last_activity_idx'::regclass) AS def");
      const where = rows[0]!.def.split(/\bWHERE\b/)[1] ?? '';
      expect(where).toMatch(/NOT|<>/);
      const excluded = [...where.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]).sort();
      expect(excluded).toEqual([...CLOSED_STAGES].sort());
    });
  });
});
