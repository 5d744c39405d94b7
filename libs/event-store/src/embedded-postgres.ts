import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

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
 * protocol by @electric-sql/pglite-socket, so the same `pg` + kysely code runs
 * against it. Use ONE pg Pool with `max: 1` per embedded server.
 *
 * @example
 * const pgl = await startEmbeddedPostgres({ dataDir: './data/pg' });
 * const { db } = createPostgresDb({ connectionString: pgl.connectionString, max: pgl.maxPoolSize });
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const pglite = await PGlite.create(opts.dataDir);
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
