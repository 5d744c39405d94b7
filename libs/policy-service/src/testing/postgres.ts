// A throwaway, migrated schema on the machine's Postgres (trust auth, db `test`) per test file.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createEventStore, createPostgresDb, migrateToLatest, type EventStore } from '@kmsgrid/event-store';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  readonly schema: string;
  /** A new pool and event store on the schema, as a restarted process or another replica would have. */
  openStore(): EventStore;
  /** Closes every pool opened and drops the schema. */
  drop(): Promise<void>;
}

export async function throwawaySchema(tag: string): Promise<TestSchema> {
  const schema = `policy_${tag}_${randomBytes(5).toString('hex')}`;
  const admin = createPostgresDb<unknown>({ connectionString: TEST_DATABASE_URL, max: 2 });
  await migrateToLatest(admin.db, { schema });
  const closers: (() => Promise<void>)[] = [];
  return {
    schema,
    openStore() {
      const { db, close } = createPostgresDb<unknown>({ connectionString: TEST_DATABASE_URL, max: 4 });
      closers.push(close);
      return createEventStore(db, { schema });
    },
    async drop() {
      await Promise.all(closers.map((close) => close()));
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}
