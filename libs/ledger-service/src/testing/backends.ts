import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createEventStore, createPostgresDb, migrateToLatest, type EventStore } from '@kmsgrid/event-store';
import { createLedgerService, type LedgerService, type LedgerServiceOptions } from '../ledger-service.js';
import { migrateLedger } from '../schema/migrate.js';

import type { TestBackend } from '@kmsgrid/event-store/testing';

export { embeddedPglite, realPostgres } from '@kmsgrid/event-store/testing';
export type { TestBackend };

type ServiceOverrides = Partial<Omit<LedgerServiceOptions, 'db' | 'store'>>;

/**
 * Pools, throwaway schemas (`ledger_test_<file tag>_<n>`) and services for a
 * test file; `close()` stops the services, drops the schemas and the pools.
 */
export class LedgerTestEnv {
  readonly tag = randomBytes(4).toString('hex');
  private readonly schemas: string[] = [];
  private readonly services: LedgerService[] = [];
  private readonly pools: { close: () => Promise<void> }[] = [];
  /** A second pool for the writer lock: embedded PGlite has a pool of one. */
  private lockDb: Kysely<unknown> | undefined;

  private constructor(
    readonly backend: TestBackend,
    readonly db: Kysely<unknown>,
  ) {}

  static async open(backend: TestBackend): Promise<LedgerTestEnv> {
    const { db, pool, close } = createPostgresDb<unknown>({ connectionString: backend.connectionString, max: backend.poolMax });
    // pg emits 'error' on a checked-out client whose backend dies (the tests kill sessions on purpose);
    // without a listener that is an uncaught exception. createPostgresDb only guards idle clients.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const env = new LedgerTestEnv(backend, db);
    env.pools.push({ close });
    if (backend.name === 'pglite') {
      const lock = createPostgresDb<unknown>({ connectionString: backend.connectionString, max: 1 });
      env.lockDb = lock.db;
      env.pools.push({ close: lock.close });
    }
    return env;
  }

  /** A fresh schema with the event store and the ledger tables migrated. */
  async freshSchema(): Promise<{ schema: string; store: EventStore<unknown> }> {
    const schema = `ledger_test_${this.tag}_${this.schemas.length}`;
    this.schemas.push(schema);
    // Retried: kysely's migration bookkeeping can trip over schemas other test files drop meanwhile (3F000).
    for (let attempt = 1; ; attempt++) {
      try {
        await migrateToLatest(this.db, { schema });
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    await migrateLedger(this.db, { schema });
    return { schema, store: createEventStore(this.db, { schema }) };
  }

  /** A service on `store` (not started), with a fast standby retry. */
  service(store: EventStore<unknown>, overrides: ServiceOverrides = {}): LedgerService {
    const s = createLedgerService({
      db: this.db,
      store,
      ...overrides,
      leader: { retryMs: 50, heartbeatMs: 500, ...(this.lockDb === undefined ? {} : { lockDb: this.lockDb }), ...overrides.leader },
    });
    this.services.push(s);
    return s;
  }

  /** Stops every service made so far (each leader keeps a pool connection for its lock). */
  async stopServices(): Promise<void> {
    for (const s of this.services.splice(0)) await s.stop().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.stopServices();
    for (const schema of this.schemas) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(this.db);
    for (const p of this.pools) await p.close();
    await this.backend.close();
  }
}

/** Every projection row of a schema in a stable order (rebuild == live comparisons). */
type Rows = Record<string, unknown>[];

export async function dumpProjections(db: Kysely<unknown>, schema: string): Promise<{ clients: Rows; count_groups: Rows; request_stats: Rows }> {
  const dump = async (table: string, order: string) =>
    (await sql<Record<string, unknown>>`select * from ${sql.table(`${schema}.${table}`)} order by ${sql.raw(order)}`.execute(db)).rows;
  return {
    clients: await dump('clients', 'application_id, cmid'),
    count_groups: await dump('count_groups', 'application_id'),
    request_stats: await dump('request_stats', 'application_id'),
  };
}

/** Number of events in a schema's event store, per stream category prefix. */
export async function countEvents(db: Kysely<unknown>, schema: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(`${schema}.events`)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
