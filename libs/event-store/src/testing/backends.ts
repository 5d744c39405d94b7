import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { openEmbeddedDb, startEmbeddedPostgres } from '../embedded-postgres.js';
import { createPostgresDb } from '../postgres.js';
import { migrateToLatest } from '../schema/migrate.js';

/** A database the int suites run against, reached through kysely. */
export type DbBackend = Readonly<{
  name: string;
  /** A kysely instance on the backend; `close` ends it (not the backend). */
  openDb<DB>(): { db: Kysely<DB>; close(): Promise<void> };
  close(): Promise<void>;
}>;

/** A backend with a connection string, for pg clients of its own. */
export type TestBackend = DbBackend &
  Readonly<{
    connectionString: string;
    poolMax: number;
  }>;

/** A backend reached through pg with pools of `poolMax`. */
function pgBackend(name: string, connectionString: string, poolMax: number, close: () => Promise<void>): TestBackend {
  return {
    name,
    connectionString,
    poolMax,
    openDb: <DB>() => createPostgresDb<DB>({ connectionString, max: poolMax }),
    close,
  };
}

/** The machine's Postgres (trust auth), or TEST_DATABASE_URL. */
export async function realPostgres(): Promise<TestBackend> {
  return pgBackend('postgres', process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 10, async () => undefined);
}

/** PGlite in a temporary data directory, served by pglite-socket (for pg clients). */
export async function embeddedPglite(): Promise<TestBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-pglite-'));
  const pgl = await startEmbeddedPostgres({ dataDir: dir });
  return pgBackend('pglite', pgl.connectionString, pgl.maxPoolSize, async () => {
    await pgl.stop();
    await rm(dir, { recursive: true, force: true });
  });
}

/**
 * PGlite in a temporary data directory reached in-process through
 * PgliteDialect, on a worker thread as the all-in-one does. Every `openDb()`
 * is a kysely instance on the same session; closing one does not close the
 * database.
 */
export async function embeddedPgliteDirect(): Promise<DbBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-pglite-'));
  const embedded = await openEmbeddedDb<unknown>({ dataDir: dir, thread: 'worker' });
  return {
    name: 'pglite-direct',
    openDb: <DB>() => ({ db: embedded.db as Kysely<DB>, close: async () => undefined }),
    async close() {
      await embedded.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh migrated schema `es_test_<random>`; `drop()` removes it with everything in it. */
export async function throwawaySchema(db: Kysely<unknown>): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `es_test_${randomBytes(6).toString('hex')}`;
  await migrateToLatest(db, { schema });
  return { schema, drop: () => sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).then(() => undefined) };
}
