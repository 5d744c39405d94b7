import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createEventStore, createPostgresDb, migrateToLatest, type EventStore } from '@kmsgrid/event-store';

/** A throwaway migrated schema on the test Postgres (TEST_DATABASE_URL or 127.0.0.1:5432/test). */
export async function throwawayStore(): Promise<{ store: EventStore; close: () => Promise<void> }> {
  const { db, close } = createPostgresDb<unknown>({ connectionString: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test', max: 4 });
  const schema = `dns_test_${randomBytes(6).toString('hex')}`;
  await migrateToLatest(db, { schema });
  const store = createEventStore(db, { schema });
  return {
    store,
    close: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await close();
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
