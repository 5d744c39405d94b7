import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, formatHostPort, silentLogger, type Env, type Logger } from '@kmsgrid/config';
import { startKmsgrid, type Kmsgrid, type KmsgridOverrides } from '../../kmsgrid.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from './postgres.js';

/** E2E_LOG=1 shows the hosts' JSON logs (debugging a failing test). */
export const testLogger = (): Logger => (process.env['E2E_LOG'] === '1' ? createLogger({ service: 'kmsgrid-e2e' }, 'debug') : silentLogger);

/** Loopback listeners on free ports, no NATS, no DNS registrar. */
const BASE_ENV: Env = {
  KMSGRID_LISTEN: '127.0.0.1:0',
  KMSGRID_HTTP_LISTEN: '127.0.0.1:0',
  KMSGRID_INSTANCE_ID: 'kmsgrid-e2e',
};

/** An all-in-one started in this process, with where to reach it. */
export interface TestHost {
  readonly host: Kmsgrid;
  /** `127.0.0.1:<port>` of the KMS listener. */
  readonly target: string;
  readonly port: number;
  /** Stops the host (idempotent); the storage (schema or data dir) stays. */
  stop(): Promise<void>;
}

/**
 * Kysely's migrator checks for its bookkeeping tables by introspecting every
 * table of the database; a schema dropped meanwhile by another test file
 * (Postgres 3F000 from pg_get_serial_sequence) fails the migration. Reported
 * as a product issue; until fixed, start-up is retried for that error only.
 */
function isConcurrentDropRace(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return err instanceof Error && /migration bookkeeping/.test(err.message) && cause?.code === '3F000';
}

async function startWithRetry(env: Env, overrides: KmsgridOverrides): Promise<Kmsgrid> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKmsgrid(env, testLogger(), overrides);
    } catch (err) {
      if (attempt >= 3 || !isConcurrentDropRace(err)) throw err;
    }
  }
}

async function start(env: Env, overrides: KmsgridOverrides): Promise<TestHost> {
  const host = await startWithRetry(env, overrides);
  const address = host.kmsAddresses[0];
  if (address === undefined) throw new Error('the all-in-one bound no KMS listener');
  let stopped: Promise<void> | undefined;
  return { host, target: formatHostPort(address), port: address.port, stop: () => (stopped ??= host.stop()) };
}

/**
 * Storage for all-in-one hosts that may be started several times on it (restarts):
 * a Postgres schema of its own, or an embedded-PGlite data directory.
 * `dispose()` stops every host started on it and drops the schema / removes the directory.
 */
export interface HostStorage {
  readonly kind: 'postgres' | 'embedded';
  /** The schema (postgres) or data directory (embedded). */
  readonly where: string;
  start(env?: Env, overrides?: KmsgridOverrides): Promise<TestHost>;
  dispose(): Promise<void>;
}

function storage(kind: HostStorage['kind'], where: string, storageEnv: Env, cleanup: () => Promise<void>): HostStorage {
  const started: TestHost[] = [];
  return {
    kind,
    where,
    async start(env = {}, overrides = {}) {
      const h = await start({ ...BASE_ENV, ...storageEnv, ...env }, overrides);
      started.push(h);
      return h;
    },
    async dispose() {
      for (const h of started.splice(0)) await h.stop().catch(() => undefined);
      await cleanup();
    },
  };
}

/** A fresh schema on the test Postgres (DATABASE_URL mode: the fast one). */
export function postgresStorage(tag: string): HostStorage {
  const schema = uniqueSchema(tag);
  return storage('postgres', schema, { DATABASE_URL: TEST_DATABASE_URL, KMSGRID_DB_SCHEMA: schema }, () => dropSchema(schema));
}

/** A fresh temporary KMSGRID_DATA_DIR with no DATABASE_URL: embedded PGlite, the default mode. */
export async function embeddedStorage(tag: string): Promise<HostStorage> {
  const dir = await mkdtemp(join(tmpdir(), `kmsgrid-e2e-${tag}-`));
  return storage('embedded', dir, { KMSGRID_DATA_DIR: dir }, () => rm(dir, { recursive: true, force: true }));
}
