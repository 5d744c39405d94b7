import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

/** Options of {@link createPostgresDb}. */
export type PostgresDbOptions = Readonly<{
  connectionString: string;
  /** Pool size (default 10; use 1 against embedded PGlite). */
  max?: number;
  /** Called with errors of idle pool clients (default: ignored; the next query reconnects). */
  onIdleError?: (err: Error) => void;
}>;

/**
 * A kysely instance over a pg Pool. Idle-client errors (server restart,
 * network drop) are routed to `onIdleError` instead of crashing the process.
 *
 * @example const { db, close } = createPostgresDb({ connectionString: process.env.DATABASE_URL! });
 */
export function createPostgresDb<DB>(opts: PostgresDbOptions): { db: Kysely<DB>; pool: pg.Pool; close: () => Promise<void> } {
  const max = opts.max ?? 10;
  // With one connection, keep it: idle reconnects would race pglite-socket's connection limit.
  const pool = new pg.Pool({ connectionString: opts.connectionString, max, idleTimeoutMillis: max === 1 ? 0 : 10_000 });
  pool.on('error', (err) => opts.onIdleError?.(err));
  // A connection killed while checked out emits 'error' on its client; without a listener that
  // would crash the process. The query in flight fails on its own and the pool drops the client.
  pool.on('connect', (client) => client.on('error', (err) => opts.onIdleError?.(err)));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool, close: () => db.destroy() };
}
