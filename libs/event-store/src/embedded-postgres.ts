import { mkdir } from 'node:fs/promises';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Kysely, sql } from 'kysely';
import { lockDataDir } from './data-dir-lock.js';
import { PgliteDialect } from './pglite-dialect.js';
import { createPglite, localSession, type PgliteSession } from './pglite-session.js';
import { asError } from './pglite-thread-protocol.js';
import { startPgliteWorker } from './pglite-thread.js';

/** An embedded Postgres reached in-process by kysely. */
export type EmbeddedDb<DB> = Readonly<{
  db: Kysely<DB>;
  /** The PGlite session under `db` (one Postgres session; see {@link PgliteDialect}). */
  session: PgliteSession;
  /** Waits for the statement or transaction in progress, then closes the database (flushes the data directory). */
  close(): Promise<void>;
}>;

/** Options of {@link openEmbeddedDb}. */
export type EmbeddedDbOptions = Readonly<{
  /** Data directory (created if missing); omit for an in-memory database. */
  dataDir?: string;
  /**
   * Where PGlite runs: `'worker'` (a worker thread, see startPgliteWorker:
   * statements no longer stop this thread's event loop) or `'main'` (this
   * thread). Default `'main'`.
   */
  thread?: 'main' | 'worker';
  /**
   * Called once if the database is lost for good while open: the worker
   * thread stopped without being closed (a crash, or a statement that failed
   * with severity PANIC or FATAL: see localSession), or two probes in a row
   * (`select 1`, see `probeIntervalMs`) failed. Only a new process recovers
   * then. Without it, nothing is probed.
   */
  onLost?: (err: Error) => void;
  /** With `onLost`: time between probes while they succeed (default 5000 ms); a failed one is repeated after 1 s. */
  probeIntervalMs?: number;
  /**
   * Time between CHECKPOINTs (default 60000 ms; 0: none). PGlite has no
   * checkpointer process: without them the WAL grows to `max_wal_size`
   * (1 GB) before the session checkpoints by itself, and a crash replays all
   * of it at the next start (the all-in-one writes about 3 KB of WAL per
   * activation; after 251 MB a restart took 5.8 s to serve, against about
   * 3 s with little WAL). A failed checkpoint is left to the next one (and to
   * `onLost`'s probe if the database is gone).
   */
  checkpointIntervalMs?: number;
  /**
   * Tables (`schema.table`) to VACUUM before each checkpoint: those whose
   * rows are updated or deleted. PGlite has no autovacuum either: every
   * update leaves a dead row version and, when an indexed column changes,
   * a new entry in every index, and nothing reclaims them (the all-in-one's
   * `clients` with 1,000 rows renewed 66 times each: 1.9 MB of heap and
   * 6.6 MB per listing index). A failed VACUUM (a table not migrated yet) is
   * left to the next round.
   */
  vacuumTables?: readonly string[];
  /**
   * Transaction age of the database past which a round runs `VACUUM
   * (FREEZE)` over the whole database before its checkpoint (default
   * 100,000,000). PGlite runs Postgres in single-user mode, where nothing
   * freezes old rows (no autovacuum) and nothing stops at the wraparound
   * limit either (only a server refuses new transactions there): after
   * about 2 billion transactions unfrozen rows would silently vanish. The
   * all-in-one spends a transaction or two per batch: centuries at an
   * organisation's steady rate, about five months flat out. The freeze is
   * a pause of the one session as long as a scan of the whole database,
   * once per 100 million transactions.
   */
  freezeAfterXidAge?: number;
}>;

/** The embedded database was lost for good (see EmbeddedDbOptions.onLost). */
export class EmbeddedDbLostError extends Error {
  override readonly name = 'EmbeddedDbLostError';
}

const DEFAULT_PROBE_INTERVAL_MS = 5000;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;
const DEFAULT_FREEZE_AFTER_XID_AGE = 100_000_000;
const RETRY_PROBE_MS = 1000;
/** Probes failing in a row that make the database lost (a failed probe is tried once more first). */
const FAILED_PROBES = 2;

/**
 * Opens PGlite (Postgres compiled to WASM) and a kysely instance that runs
 * statements on it directly through {@link PgliteDialect}: no socket, no pg
 * client, one session shared by every caller (transactions take turns). The
 * all-in-one's storage when DATABASE_URL is unset; see README ("PGlite").
 *
 * @example
 * const { db, close } = await openEmbeddedDb<DB>({ dataDir: './data/pg' });
 */
export async function openEmbeddedDb<DB>(opts: EmbeddedDbOptions = {}): Promise<EmbeddedDb<DB>> {
  let lost: ((err: Error) => void) | undefined;
  const { value: session, release } = await lockedOpen(opts.dataDir, async () =>
    opts.thread === 'worker'
      ? await startPgliteWorker({ ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }), onExit: (err) => lost?.(err) })
      : localSession(await createPglite(opts.dataDir)),
  );
  const db = new Kysely<DB>({ dialect: new PgliteDialect({ session, closeOnDestroy: true }) });
  const onLost = opts.onLost;
  const probe = onLost === undefined ? undefined : probeDb(db, opts.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS, (err) => lost?.(err));
  const vacuumTables = opts.vacuumTables ?? [];
  const freezeAfter = opts.freezeAfterXidAge ?? DEFAULT_FREEZE_AFTER_XID_AGE;
  const checkpoints = every(opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS, async () => {
    // One statement per table (VACUUM runs outside a transaction, and one missing table must not stop the others).
    for (const table of vacuumTables) await sql`vacuum ${sql.table(table)}`.execute(db).catch(() => undefined);
    const { rows } = await sql<{ age: number }>`select age(datfrozenxid) as age from pg_database where datname = current_database()`.execute(db);
    if ((rows[0]?.age ?? 0) > freezeAfter) await sql`vacuum (freeze)`.execute(db);
    await sql`checkpoint`.execute(db);
  });
  if (onLost !== undefined) {
    lost = (err) => {
      lost = undefined;
      probe?.stop();
      checkpoints.stop();
      onLost(err);
    };
  }
  let closing: Promise<void> | undefined;
  // kysely skips the driver's destroy when no statement ever ran: close PGlite then ourselves.
  const close = async (): Promise<void> => {
    lost = undefined;
    probe?.stop();
    checkpoints.stop();
    await db.destroy();
    if (!session.closed) await session.close();
    await release();
  };
  return { db, session, close: () => (closing ??= close()) };
}

/**
 * Runs `open` on `dataDir` (created if missing) holding its lock
 * ({@link lockDataDir}: one process per data directory); the lock is
 * released if `open` fails. An in-memory database (no directory) has none.
 */
async function lockedOpen<T>(dataDir: string | undefined, open: () => Promise<T>): Promise<{ value: T; release: () => Promise<void> }> {
  if (!dataDir) return { value: await open(), release: async () => undefined };
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir);
  try {
    return { value: await open(), release: () => lock.release() };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * Runs `select 1` through `db` (so it takes its turn on the session) every
 * `intervalMs`, again after 1 s when it failed; calls `onFailed` when
 * {@link FAILED_PROBES} failed in a row. A slow probe (behind a long
 * transaction) is no failure: only errors count.
 */
function probeDb<DB>(db: Kysely<DB>, intervalMs: number, onFailed: (err: Error) => void): { stop(): void } {
  let failures = 0;
  return repeat(intervalMs, async (stopped) => {
    try {
      await sql`select 1`.execute(db);
      failures = 0;
      return intervalMs;
    } catch (err) {
      if (stopped()) return undefined; // closed under the probe
      if (++failures < FAILED_PROBES) return RETRY_PROBE_MS;
      const cause = asError(err);
      onFailed(new EmbeddedDbLostError(`the embedded database failed ${failures} probes in a row (select 1): ${cause.message}`, { cause }));
      return undefined;
    }
  });
}

/** Runs `task` every `intervalMs` (0: never), timed from the end of the last run; a failure is left to the next. */
function every(intervalMs: number, task: () => Promise<unknown>): { stop(): void } {
  const next = (): number => intervalMs;
  return intervalMs <= 0 ? { stop: () => undefined } : repeat(intervalMs, () => task().then(next, next));
}

/**
 * Runs `step` after `firstMs`, then again after the delay it returns, until it
 * returns undefined or `stop()` is called (a step in progress then finishes,
 * can ask `stopped()`, and nothing it returns is scheduled). Timers do not
 * keep the process alive.
 */
function repeat(firstMs: number, step: (stopped: () => boolean) => Promise<number | undefined>): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number | undefined): void => {
    if (!stopped && ms !== undefined) timer = setTimeout(run, ms).unref();
  };
  const run = (): void => {
    void step(() => stopped).then((ms) => schedule(ms));
  };
  schedule(firstMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** A running embedded Postgres. */
export type EmbeddedPostgres = Readonly<{
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  connectionString: string;
  port: number;
  /**
   * Size the pg Pool to this (1). pglite-socket multiplexes all connections
   * onto one PGlite session message by message; see README ("PGlite").
   */
  maxPoolSize: 1;
  /** Closes the socket server and the database (flushes the data directory). */
  stop(): Promise<void>;
}>;

/** Options of {@link startEmbeddedPostgres}. */
export type EmbeddedPostgresOptions = Readonly<{
  /** Data directory (created if missing); omit for an in-memory database. */
  dataDir?: string;
  /** TCP port (default 0: any free port). */
  port?: number;
  host?: string;
  /** Sockets the server accepts at once (default 4: one pool connection plus room for reconnects). */
  maxConnections?: number;
}>;

/**
 * Starts PGlite (Postgres compiled to WASM) served over the Postgres wire
 * protocol by @electric-sql/pglite-socket, for what needs a connection string
 * (pg clients, test backends shared with Postgres). In-process code should
 * use {@link openEmbeddedDb}: every statement through the socket is encoded,
 * copied and parsed twice more. Use ONE pg Pool with `max: 1` per server.
 *
 * @example
 * const pgl = await startEmbeddedPostgres({ dataDir: './data/pg' });
 * const { db } = createPostgresDb({ connectionString: pgl.connectionString, max: pgl.maxPoolSize });
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const { value: pglite, release } = await lockedOpen(opts.dataDir, () => createPglite(opts.dataDir));
  const host = opts.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({ db: pglite, host, port: opts.port ?? 0, maxConnections: opts.maxConnections ?? 4 });
  try {
    await server.start();
  } catch (e) {
    await pglite.close();
    await release();
    throw e;
  }
  const port = Number(server.getServerConn().split(':').pop());
  let stopped = false;
  return {
    connectionString: `postgres://postgres@${host}:${port}/postgres`,
    port,
    maxPoolSize: 1,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await pglite.close();
      await release();
    },
  };
}
