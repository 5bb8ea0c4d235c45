import type { Pool } from 'pg';
import { MIGRATIONS, type Migration } from './migrations';

export type { Migration };

/**
 * Session advisory lock key for migrations ('RJMI' in ASCII). Any process that starts while another
 * is migrating waits here instead of racing it to create the same tables.
 */
export const MIGRATION_LOCK_KEY = 0x524a4d49;

/** The part of a pino logger migrate needs; optional so tests and scripts can run it silently. */
export interface MigrationLog {
  info(obj: object, msg: string): void;
}

/**
 * Applies every migration not yet recorded in schema_migrations, each in its own transaction, while
 * holding the advisory lock. Safe to call twice and from several processes at once. Returns the
 * versions it applied (empty when the schema was already current).
 */
export async function migrate(
  pool: Pool,
  log?: MigrationLog,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  const ordered = sortMigrations(migrations);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    // Waiting for another migrator, or a long migration, must not trip the pool's statement timeout.
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version    text PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      for (const m of ordered) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          const reason = err instanceof Error ? err.message : String(err);
          throw new Error(`Migration ${m.version} failed and was rolled back: ${reason}`, { cause: err });
        }
        applied.push(m.version);
        log?.info({ version: m.version }, 'applied database migration');
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    // Destroyed rather than pooled: it carries statement_timeout = 0, and if unlocking failed, closing
    // the session is what frees the lock.
    client.release(true);
  }
  return applied;
}

function sortMigrations(migrations: readonly Migration[]): Migration[] {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.version)) throw new Error(`Migration version "${m.version}" is listed twice`);
    seen.add(m.version);
  }
  return [...migrations].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}
