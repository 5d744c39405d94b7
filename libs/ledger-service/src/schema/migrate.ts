import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import { LedgerServiceError } from '../errors.js';
import * as m20261128CreateLedgerProjections from './migrations/20261128-0100-create-ledger-projections.js';

/** Kysely's bookkeeping tables of the ledger migrations (apart from the event store's own). */
export const LEDGER_MIGRATION_TABLE = 'ledger_migrations';
export const LEDGER_MIGRATION_LOCK_TABLE = 'ledger_migrations_lock';

// Bundled in code (no directory scan at run time); keys sort by timestamp.
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '20261128_0100_create_ledger_projections': m20261128CreateLedgerProjections,
};

function schemaProvider(schema: string): MigrationProvider {
  return {
    getMigrations: async () =>
      Object.fromEntries(
        Object.entries(MIGRATIONS).map(([name, m]) => [
          name,
          {
            // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against Kysely<any>
            up: (db: Kysely<any>) => m.up(db.withSchema(schema)),
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            ...(m.down ? { down: (db: Kysely<any>) => m.down!(db.withSchema(schema)) } : {}),
          },
        ]),
      ),
  };
}

/**
 * Applies the pending ledger migrations in `schema` (the event store's schema,
 * which must exist). Kysely's migration lock makes concurrent callers safe.
 * Throws `KMSG_ERR_LEDGER_MIGRATION_FAILED` naming the failed migration.
 *
 * @example await migrateLedger(db, { schema: store.schema });
 */
export async function migrateLedger(db: Kysely<unknown>, opts: { schema: string }): Promise<readonly MigrationResult[]> {
  const migrator = new Migrator({
    db,
    provider: schemaProvider(opts.schema),
    migrationTableName: LEDGER_MIGRATION_TABLE,
    migrationLockTableName: LEDGER_MIGRATION_LOCK_TABLE,
    migrationTableSchema: opts.schema,
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's bookkeeping introspects every schema of the database; a schema
  // dropped meanwhile by someone else (tests sharing a database) fails it with
  // 3F000 before any migration ran. Nothing was applied, so trying again is safe.
  for (let attempt = 1; attempt < 3 && results === undefined && pgCode(error) === '3F000'; attempt++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'migration bookkeeping';
    throw new LedgerServiceError('KMSG_ERR_LEDGER_MIGRATION_FAILED', `schema ${opts.schema}, migration ${failed}`, { cause: error });
  }
  return results ?? [];
}

const pgCode = (e: unknown): string | undefined =>
  e !== null && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
