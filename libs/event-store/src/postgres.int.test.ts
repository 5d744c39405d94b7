import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from './event-store.js';
import { randomBytes } from 'node:crypto';
import { createPostgresDb, PREPARED } from './postgres.js';
import { openServiceStore } from './service-store.js';
import { throwawaySchema } from './testing/backends.js';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('createPostgresDb (real Postgres)', () => {
  // One connection: pg_prepared_statements shows the statements of the session that asks.
  const { db, close } = createPostgresDb<unknown>({ connectionString, max: 1 });
  let schema: string;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ schema, drop } = await throwawaySchema(db)));
  afterAll(async () => {
    await drop();
    await close();
  });

  const prepared = async () => (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db)).rows;

  it('runs statements marked PREPARED as one named prepared statement per text, and others unnamed', async () => {
    const store = createEventStore(db, { schema });
    for (let i = 0; i < 3; i++) await store.append(`prep:${i}`, 'no_stream', [{ type: 'Happened', data: { i } }]);
    const appends = (await prepared()).filter((p) => p.statement.includes('append_events'));
    expect(appends).toHaveLength(1);
    expect(appends[0]!.name).toMatch(/^kg_[0-9a-f]{24}$/);
    expect(appends[0]!.statement.startsWith(PREPARED)).toBe(true);
    expect((await store.readStream('prep:2')).events.map((e) => e.data)).toEqual([{ i: 2 }]);

    const marked = await sql<{ n: number }>`${sql.raw(PREPARED)}select ${7}::int as n`.execute(db);
    expect(marked.rows).toEqual([{ n: 7 }]);
    await sql`select 1 as unmarked`.execute(db);
    const statements = (await prepared()).map((p) => p.statement);
    expect(statements.filter((t) => t.includes('::int as n'))).toHaveLength(1);
    expect(statements.some((t) => t.includes('unmarked'))).toBe(false);
  });
});

describe('openServiceStore (real Postgres)', () => {
  it('migrates the schema, gives a working store and a readiness check, and closes', async () => {
    const schema = `es_test_${randomBytes(6).toString('hex')}`;
    const opened = await openServiceStore({ connectionString, schema });
    try {
      await opened.store.append('svc:1', 'no_stream', [{ type: 'Happened', data: { n: 1 } }]);
      expect((await opened.store.readStream('svc:1')).events.map((e) => e.data)).toEqual([{ n: 1 }]);
      expect(opened.readiness.name).toBe('postgres');
      await expect(opened.readiness.check()).resolves.toBeUndefined();
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(opened.db);
      await opened.close();
    }
    await expect(opened.readiness.check()).rejects.toThrow();
  });

  it('fails with the migration’s error for a schema name it refuses', async () => {
    await expect(openServiceStore({ connectionString, schema: 'Not-A-Schema' })).rejects.toThrow(/schema/i);
  });
});
