import type { AnyKysely } from './any-db.js';
import { createEventStore, type EventStore } from './event-store.js';
import { createPostgresDb, postgresReadiness } from './postgres.js';
import { migrateToLatest } from './schema/migrate.js';

/** What a split service opens on Postgres (see {@link openServiceStore}). */
export type ServiceStore = Readonly<{
  /** kysely over the service's pool. */
  db: AnyKysely;
  /** The event store in `schema`, migrated. */
  store: EventStore<unknown>;
  /** For the service's `/readyz`: Postgres answers. */
  readiness: ReturnType<typeof postgresReadiness>;
  /** Ends the pool. */
  close(): Promise<void>;
}>;

/**
 * The start of every split service that keeps events: a pool on
 * `connectionString`, the event store's schema migrated to the latest
 * version, the store, and a readiness check. A failed migration ends the
 * pool before it is thrown.
 *
 * @example
 * const { db, store, readiness, close } = await openServiceStore({ connectionString, schema, onIdleError: (e) => log.warn('postgres idle error', { error: e }) });
 */
export async function openServiceStore(opts: Readonly<{ connectionString: string; schema: string; onIdleError?: (err: Error) => void }>): Promise<ServiceStore> {
  const { db, close } = createPostgresDb<unknown>({ connectionString: opts.connectionString, ...(opts.onIdleError ? { onIdleError: opts.onIdleError } : {}) });
  try {
    await migrateToLatest(db, { schema: opts.schema });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return { db, store: createEventStore(db, { schema: opts.schema }), readiness: postgresReadiness(db), close };
}
