import type { AnyKysely } from '../any-db.js';
import { Migrator, type MigrationProvider, type MigrationResult } from 'kysely';
import { EventStoreError } from '../errors.js';
import * as m20261127CreateEventStore from './migrations/20261127-2300-create-event-store.js';
import * as m20261128AppendEventsFunction from './migrations/20261128-0200-append-events-function.js';
import * as m20261128RelayCheckpoint from './migrations/20261128-0300-relay-checkpoint.js';

/** Default Postgres schema holding the event-store tables. */
export const DEFAULT_SCHEMA = 'kmsgrid';

// In-code provider: migrations are bundled with the library (no directory
// scan at run time, so esbuild bundles work). Keys sort by their timestamp.
// A migration gets the schema name too: SQL that kysely's WithSchema plugin
// cannot reach (a function body) names its tables itself.
type SchemaMigration = Readonly<{
  up(db: AnyKysely, schema: string): Promise<void>;
  down?(db: AnyKysely, schema: string): Promise<void>;
}>;
const MIGRATIONS: Readonly<Record<string, SchemaMigration>> = {
  '20261127_2300_create_event_store': m20261127CreateEventStore,
  '20261128_0200_append_events_function': m20261128AppendEventsFunction,
  '20261128_0300_relay_checkpoint': m20261128RelayCheckpoint,
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name: lower-case SQL identifier, at most 63 characters. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new EventStoreError('ES_INVALID_ARGUMENT', `schema ${JSON.stringify(schema)} must match ${SCHEMA_NAME.source}`);
}

function schemaProvider(schema: string): MigrationProvider {
  return {
    getMigrations: async () =>
      Object.fromEntries(
        Object.entries(MIGRATIONS).map(([name, mig]) => [
          name,
          {
            up: (db: AnyKysely) => mig.up(db.withSchema(schema), schema),
            ...(mig.down ? { down: (db: AnyKysely) => mig.down!(db.withSchema(schema), schema) } : {}),
          },
        ]),
      ),
  };
}

/**
 * Creates `schema` (default `kmsgrid`) if needed and applies every pending
 * migration; the migration bookkeeping tables live in the same schema.
 * Throws an {@link EventStoreError} (`ES_STORAGE`) naming the failed migration.
 *
 * @example await migrateToLatest(db, { schema: 'kmsgrid' });
 */
export async function migrateToLatest(db: AnyKysely, opts: { schema?: string } = {}): Promise<readonly MigrationResult[]> {
  const schema = opts.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const migrator = new Migrator({ db, provider: schemaProvider(schema), migrationTableSchema: schema });
  let { error, results } = await migrator.migrateToLatest();
  // kysely's migrator lists every table of the database to find its own; a schema dropped
  // by someone else during that read (3F000 / 42P01) fails it spuriously, so try again.
  for (let attempt = 1; error !== undefined && isConcurrentDrop(error) && attempt <= 5; attempt++) {
    await new Promise((r) => setTimeout(r, 50 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'migration bookkeeping';
    throw new EventStoreError('ES_STORAGE', `migrating schema ${schema} failed at ${failed}`, { cause: error });
  }
  return results ?? [];
}

const isConcurrentDrop = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '3F000' || code === '42P01';
};
