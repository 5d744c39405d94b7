import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { AnyKysely } from './any-db.js';

/**
 * Put at the start of a statement's text to run it as a named prepared
 * statement on a {@link createPostgresDb} connection: parsed and planned once
 * per connection instead of at every execution. For hot statements of a fixed
 * shape only (each distinct text stays prepared on every connection).
 * PgliteDialect does the same on its one session; anywhere else it is a comment.
 *
 * @example sql`${sql.raw(PREPARED)}select ...`
 */
export const PREPARED = '/* kmsgrid:prepared */ ';

/** Statement names by text (texts marked PREPARED are few; the bound only guards against misuse). */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 256;

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `kg_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size >= MAX_STATEMENT_NAMES) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

/** Makes a pool client run texts marked {@link PREPARED} as named statements (pg skips Parse once a name is prepared). */
function prepareMarkedStatements(client: pg.PoolClient): void {
  const query = client.query as (...args: unknown[]) => unknown;
  client.query = function (this: pg.PoolClient, config: unknown, values?: unknown, callback?: unknown) {
    if (typeof config === 'string' && config.startsWith(PREPARED) && Array.isArray(values)) {
      return query.call(this, { name: statementName(config), text: config, values }, callback);
    }
    return query.call(this, config, values, callback);
  } as typeof client.query;
}

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
  pool.on('connect', (client) => {
    client.on('error', (err) => opts.onIdleError?.(err));
    prepareMarkedStatements(client);
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool, close: () => db.destroy() };
}

/** A service's readiness check of its database: it answers `select 1`. */
export function postgresReadiness(db: AnyKysely): { name: 'postgres'; check(): Promise<void> } {
  return {
    name: 'postgres',
    async check() {
      await sql`select 1`.execute(db);
    },
  };
}

/** What a database's settings say about a commit surviving a crash of its server. */
export type CommitDurability = Readonly<{
  /** `fsync`: off means a crash can lose or corrupt anything written since the last checkpoint. */
  fsync: string;
  /** `synchronous_commit`: off means a commit is acknowledged before its WAL reaches the disk. */
  synchronousCommit: string;
  /** Both on (any synchronous_commit but off keeps a commit on the server's own disk). */
  durable: boolean;
}>;

/**
 * Reads `fsync` and `synchronous_commit` as the sessions of `db` see them
 * (a connection string's `options` or a role's settings can change them).
 * The ledger answers a request only once its event is committed; these
 * say whether "committed" survives a crash of the database's machine.
 */
export async function commitDurability(db: AnyKysely): Promise<CommitDurability> {
  const { rows } = await sql<{ fsync: string; synchronous_commit: string }>`select current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit`.execute(db);
  const row = rows[0]!;
  return { fsync: row.fsync, synchronousCommit: row.synchronous_commit, durable: row.fsync === 'on' && row.synchronous_commit !== 'off' };
}
