import { mkdir } from 'node:fs/promises';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Kysely } from 'kysely';
import { PgliteDialect } from './pglite-dialect.js';
import { createPglite, localSession, type PgliteSession } from './pglite-session.js';
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
  /** With `thread: 'worker'`: called if the worker thread stops without being closed. */
  onWorkerExit?: (err: Error) => void;
}>;

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
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const session =
    opts.thread === 'worker'
      ? await startPgliteWorker({ ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }), ...(opts.onWorkerExit ? { onExit: opts.onWorkerExit } : {}) })
      : localSession(await createPglite(opts.dataDir));
  const db = new Kysely<DB>({ dialect: new PgliteDialect({ session, closeOnDestroy: true }) });
  let closing: Promise<void> | undefined;
  // kysely skips the driver's destroy when no statement ever ran: close PGlite then ourselves.
  const close = async (): Promise<void> => {
    await db.destroy();
    if (!session.closed) await session.close();
  };
  return { db, session, close: () => (closing ??= close()) };
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
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const pglite = await createPglite(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({ db: pglite, host, port: opts.port ?? 0, maxConnections: opts.maxConnections ?? 4 });
  try {
    await server.start();
  } catch (e) {
    await pglite.close();
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
    },
  };
}
