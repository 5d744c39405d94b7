import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { startEmbeddedPostgres } from '../embedded-postgres.js';
import { migrateToLatest } from '../schema/migrate.js';

/** A Postgres the int suite runs against. */
export type TestBackend = Readonly<{
  name: string;
  connectionString: string;
  poolMax: number;
  close(): Promise<void>;
}>;

/** The machine's Postgres (trust auth), or TEST_DATABASE_URL. */
export async function realPostgres(): Promise<TestBackend> {
  return {
    name: 'postgres',
    connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    poolMax: 10,
    close: async () => undefined,
  };
}

/** PGlite in a temporary data directory, served by pglite-socket. */
export async function embeddedPglite(): Promise<TestBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-pglite-'));
  const pgl = await startEmbeddedPostgres({ dataDir: dir });
  return {
    name: 'pglite',
    connectionString: pgl.connectionString,
    poolMax: pgl.maxPoolSize,
    async close() {
      await pgl.stop();
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
