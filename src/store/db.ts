import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';

/**
 * Anything that can run a query: the pool, or a client holding a transaction. Declared structurally
 * (not `Pool | PoolClient`) because a union of pg's overloaded `query` signatures is not callable.
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface PoolOptions {
  /** Connections per process; PostgreSQL's default max_connections is 100 and web + worker share it. */
  max?: number;
  /** Kills a runaway statement so one bad query cannot hold a connection (and a Teams turn) forever. */
  statementTimeoutMs?: number;
  /** Ends a session left idle inside a transaction, so a leaked client cannot keep row locks. */
  idleInTransactionTimeoutMs?: number;
  connectionTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Shown in pg_stat_activity, so an operator can tell the web process from the worker. */
  applicationName?: string;
  /**
   * Called when a pooled connection fails (idle or checked out) (server restart, network drop). pg emits this as an
   * 'error' event, which would crash the process if nobody listened.
   */
  onIdleClientError?: (err: Error) => void;
}

export function createPool(databaseUrl: string, opts: PoolOptions = {}): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 30_000,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
    application_name: opts.applicationName ?? 'rj-referrals',
  });
  const onError = opts.onIdleClientError ?? (() => undefined);
  pool.on('error', onError);
  // pg-pool listens for errors only on idle clients. A client checked out between two queries (a
  // transaction awaiting other work, a claimed outbox row) emits its connection loss as an 'error'
  // event with nobody listening, which would end the process on a PostgreSQL restart; the caller's
  // next query fails with the same error and is handled where it is awaited.
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
  return pool;
}

/**
 * Runs `fn` inside BEGIN/COMMIT on one client, rolling back if it throws. A client whose ROLLBACK
 * failed is destroyed rather than returned to the pool, where it would poison the next borrower.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The SQLSTATE of a PostgreSQL error, read structurally so a second copy of pg-protocol cannot hide it. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** True for a unique violation (SQLSTATE 23505), optionally on one named constraint only. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (sqlState(err) !== '23505') return false;
  if (constraint === undefined) return true;
  return typeof err === 'object' && err !== null && 'constraint' in err && err.constraint === constraint;
}
