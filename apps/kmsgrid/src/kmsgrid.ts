import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { type NatsConnection, type PubAck } from 'nats';
import { context, type Tracer } from '@opentelemetry/api';
import { ConfigError, type Env, type ListenAddress, type Logger } from '@kmsgrid/config';
import { ACTIVATION_RPCS } from '@kmsgrid/contracts';
import {
  EVENT_STORE_UPDATED_TABLES,
  createEventStore,
  createOutboxRelay,
  createPostgresDb,
  ensureEventsStream,
  migrateToLatest,
  openEmbeddedDb,
  type EmbeddedDbOptions,
  outboxRelayMetrics,
  postgresReadiness,
  type OutboxRelay,
  type OutboxRelayOptions,
} from '@kmsgrid/event-store';
import { readDnsRegistrarConfig, startDnsRegistrar, type DnsRegistrar, type DnsRegistrarConfig } from '@kmsgrid/dns-registrar';
import { createIngressServer, type IngressServer } from '@kmsgrid/ingress-server';
import { LEDGER_UPDATED_TABLES, createLedgerService, ledgerMetrics, serveLedger, type LedgerService } from '@kmsgrid/ledger-service';
import { parsePolicyConfig } from '@kmsgrid/policy-domain';
import { startPolicyRuntime, type PolicyRuntime } from '@kmsgrid/policy-service';
import { extractTraceContext, getTracer } from '@kmsgrid/telemetry';
import { connectNats, createInProcessTransport, createJetStreamPublisher, createNatsTransport, createRpcClient, type JetStreamPublisher, type Transport } from '@kmsgrid/transport';
import { startAdminApi } from './admin.js';
import { readConfig, type KmsgridConfig } from './config.js';

export interface KmsgridOverrides {
  /** Ledger clock (tests of the 30-day window). */
  readonly clock?: () => Date;
  /** Time between probes of the embedded database (default 5000 ms; tests of a lost database). */
  readonly storageProbeIntervalMs?: number;
  readonly tracer?: Tracer;
  /**
   * Called when the embedded database is lost for good (its thread stopped
   * on its own or after a PANIC, or it failed two probes in a row; see
   * openEmbeddedDb's `onLost`):
   * nothing can be recorded any more. Default: exit with status 1, so the
   * supervisor starts kmsgrid again (no answer is given without its record).
   */
  readonly onStorageLost?: (err: Error) => void;
}

/** A running all-in-one host. */
export interface Kmsgrid {
  readonly config: KmsgridConfig;
  /** Where the KMS listeners are bound (port 0 resolved). */
  readonly kmsAddresses: readonly ListenAddress[];
  readonly transport: Transport;
  readonly ingress: IngressServer;
  readonly ledger: LedgerService;
  readonly policy: PolicyRuntime;
  /** Present when KMSGRID_DNS_DOMAINS is set. */
  readonly dns: DnsRegistrar | undefined;
  /** Where the admin API (status, clients, metrics, dashboard) is bound. */
  readonly httpAddress: ListenAddress;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each service binds its own tables
  readonly db: Kysely<any>;
  /** SIGTERM path: no new connections, answers in flight finish, then everything closes in reverse order. */
  stop(): Promise<void>;
}

/**
 * Every kmsgrid service in one process (the default `npm start`): the same
 * service libraries as the split apps, an in-process transport unless
 * NATS_URL is set, embedded Postgres (PGlite) in KMSGRID_DATA_DIR unless
 * DATABASE_URL is set. Throws ConfigError for bad configuration.
 */
export async function startKmsgrid(env: Env, log: Logger, overrides: KmsgridOverrides = {}): Promise<Kmsgrid> {
  const { config, dnsConfig } = validateConfig(env);
  const tracer = overrides.tracer ?? getTracer('kmsgrid');
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.warn('error while stopping', { error: err as Error });
      }
    }
  };
  try {
    // Storage: kysely over a pg Pool on DATABASE_URL, else over embedded PGlite in a worker thread
    // of this process (PgliteDialect: statements go straight to PGlite, one session that
    // transactions take in turn).
    const onStorageLost =
      overrides.onStorageLost ??
      ((err: Error) => {
        log.error('the embedded Postgres is lost; exiting so that a restart opens it again', { error: err });
        process.exit(1);
      });
    const { db, close: closeDb, embedded } = await openStorage(config, log, { onLost: onStorageLost, ...(overrides.storageProbeIntervalMs === undefined ? {} : { probeIntervalMs: overrides.storageProbeIntervalMs }) });
    stops.push(closeDb);
    await migrateToLatest(db, { schema: config.schema });
    const store = createEventStore(db, { schema: config.schema });

    // Transport: real NATS when configured, else in-process with the same contracts.
    let transport: Transport;
    let relayTo: Pick<OutboxRelayOptions, 'js' | 'wanted'>;
    if (config.natsUrl !== undefined) {
      const nc = await connectNats(config.natsUrl, `kmsgrid ${config.instanceId}`);
      transport = createNatsTransport(nc);
      relayTo = { js: await jetStreamFor(nc) };
      log.info('NATS connected', { url: config.natsUrl });
    } else {
      const inProcess = createInProcessTransport();
      transport = inProcess;
      relayTo = { js: inProcessPublisher(inProcess), wanted: (subject) => inProcess.hasSubscribers(subject) };
    }
    stops.push(() => transport.drain());

    // Events leave through the outbox: to JetStream with NATS, else onto the in-process bus
    // (only those someone subscribes to: the bus, unlike JetStream, keeps nothing).
    const relay: OutboxRelay = createOutboxRelay({ store, ...relayTo, onStateChange: (s) => log.info('outbox relay', { state: s }) });
    relay.start();
    stops.push(() => relay.stop());

    // Ledger: the single writer. Its advisory lock is session-level; on PGlite every handle shares
    // the one session, so the lock is simply held by this process (there is no other to compete).
    const ledger = createLedgerService({
      db,
      store,
      ...(embedded && { batch: { maxDelayMs: EMBEDDED_BATCH_DELAY_MS } }),
      log: log.child({ component: 'cmid-ledger' }),
      tracer,
      ...(overrides.clock && { clock: overrides.clock }),
    });
    await ledger.start();
    stops.push(() => ledger.stop());
    const ledgerServing = serveLedger(transport, ledger, { log });
    stops.push(() => ledgerServing.stop());

    const policy = await startPolicyRuntime({ env, transport, store, log: log.child({ component: 'activation-policy' }), tracer });
    stops.push(() => policy.stop());

    const policyClient = createRpcClient(transport);
    const ingress = createIngressServer({
      ...config.ingress,
      ingressId: config.instanceId,
      decide: (req) => policyClient.call(ACTIVATION_RPCS.policyDecide, req),
      tracer,
      log: log.child({ component: 'kms-ingress' }),
    });
    const kmsAddresses = await ingress.listen();
    stops.push(() => ingress.close(20_000));

    // Published only once the listener answers; withdrawn first on shutdown (stops run in reverse).
    const dns = dnsConfig && startDnsRegistrar({ config: dnsConfig, store, logger: log, tracer });
    if (dns) stops.push(() => dns.stop());

    const partial = { db, ledger };
    const admin = await startAdminApi(
      {
        transport,
        kmsAddresses,
        ingress,
        ...(dns && { dns }),
        extraMetrics: () => ledgerMetrics(ledger) + outboxRelayMetrics(relay.status()),
        readiness: readinessChecks(partial),
        mode: 'all-in-one',
        log: log.child({ component: 'admin-api' }),
      },
      config.httpListen,
    );
    stops.push(() => admin.close());

    return {
      config,
      kmsAddresses,
      transport,
      ingress,
      ledger,
      policy,
      dns,
      httpAddress: admin.address,
      db,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each service binds its own tables
type AnyDb = Kysely<any>;

/**
 * How long the ledger gathers requests before a commit on embedded PGlite,
 * where a commit costs about 0.9 ms plus 0.08 ms per event, so batch size
 * matters most. When PGlite ran on the main thread no request could arrive
 * during a commit and batches collapsed to 1-2 requests; 2 ms restored ~7
 * and halved the CPU per activation. On its worker thread, paired runs
 * (docs/benchmarks.md) still favour 2 ms over none.
 */
const EMBEDDED_BATCH_DELAY_MS = 2;

/**
 * The database of the all-in-one: a pg Pool on DATABASE_URL, else embedded
 * PGlite in `<dataDir>/pg` reached directly by kysely (no socket, no pool).
 */
async function openStorage(config: KmsgridConfig, log: Logger, watch: Pick<EmbeddedDbOptions, 'onLost' | 'probeIntervalMs'>): Promise<{ db: AnyDb; close: () => Promise<void>; embedded: boolean }> {
  if (config.databaseUrl !== undefined) {
    const pg = createPostgresDb({ connectionString: config.databaseUrl, max: 10, onIdleError: (e) => log.warn('postgres idle error', { error: e }) });
    return { db: pg.db, close: pg.close, embedded: false };
  }
  const dataDir = join(config.dataDir, 'pg');
  // On a worker thread: PGlite runs each statement synchronously on the thread that calls it,
  // which on the main thread would stop every KMS socket for each commit and admin query.
  // PGlite has no autovacuum: the tables updated in place are vacuumed before each checkpoint.
  const vacuumTables = [...EVENT_STORE_UPDATED_TABLES, ...LEDGER_UPDATED_TABLES].map((t) => `${config.schema}.${t}`);
  const { db, close } = await openEmbeddedDb({ dataDir, thread: 'worker', vacuumTables, ...watch });
  log.info('embedded Postgres (PGlite) up', { dataDir, thread: 'worker' });
  return { db, close, embedded: true };
}

/**
 * Every variable the all-in-one reads, checked before anything starts, so a
 * bad configuration stops start-up with all of its problems at once.
 */
export function validateConfig(env: Env): { config: KmsgridConfig; dnsConfig: DnsRegistrarConfig | undefined } {
  const problems: string[] = [];
  const collect = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const config = collect(() => readConfig(env));
  const dnsConfig = collect(() => readDnsRegistrarConfig(env));
  const policy = parsePolicyConfig(env);
  if (!policy.ok) problems.push(...policy.errors);
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return { config, dnsConfig };
}

async function jetStreamFor(nc: NatsConnection): Promise<JetStreamPublisher> {
  await ensureEventsStream(await nc.jetstreamManager(), { duplicateWindow: 10 * 60_000 });
  return createJetStreamPublisher(nc);
}

/** Publishes relayed events on the in-process bus (`kmsgrid.events.>`), for in-process consumers. */
function inProcessPublisher(transport: Transport): JetStreamPublisher {
  let seq = 0;
  return {
    publish: async (subject, payload, opts) => {
      const headers: Record<string, string> = {};
      for (const k of opts?.headers?.keys() ?? []) headers[k] = opts!.headers!.get(k);
      const data = payload instanceof Uint8Array ? payload : new TextEncoder().encode(String(payload ?? ''));
      // The transport writes trace headers from the active context: continue the event's own trace.
      context.with(extractTraceContext(headers), () => transport.publish(subject, data, { headers }));
      return { stream: 'in-process', seq: ++seq, duplicate: false, domain: '' } as PubAck;
    },
  };
}

/** Readiness of the all-in-one: Postgres answers and the ledger writes. */
export function readinessChecks(k: Pick<Kmsgrid, 'db' | 'ledger'>): { name: string; check(): Promise<void> }[] {
  return [
    postgresReadiness(k.db),
    {
      name: 'ledger',
      check: async () => {
        if (!k.ledger.isLeader()) throw new Error('the ledger is not the writer');
      },
    },
  ];
}
