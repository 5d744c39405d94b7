import { sql } from 'kysely';
import { dnsRegistrarMetrics, startDnsRegistrar } from '@kmsgrid/dns-registrar';
import { createEventStore, createPostgresDb, migrateToLatest } from '@kmsgrid/event-store';
import { runService, startHealthServer } from '@kmsgrid/service-runtime';
import { getTracer, startTelemetry } from '@kmsgrid/telemetry';
import { readConfig } from './config.js';

// dns-registrar: publishes _vlmcs._tcp SRV records by RFC 2136 UPDATE with TSIG
// (libs/dns-registrar/README.md). SIGTERM withdraws this host's records, then exits.
await runService({
  name: 'dns-registrar',
  async start(log) {
    const config = readConfig(process.env);
    if (!config.dns) {
      log.info('DNS publishing is off (KMSGRID_DNS_DOMAINS is not set); nothing to do');
      process.exit(0);
    }
    const telemetry = startTelemetry({ serviceName: 'dns-registrar' });
    const { db, close: closeDb } = createPostgresDb({ connectionString: config.databaseUrl, onIdleError: (e) => log.warn('postgres idle error', { error: e }) });
    await migrateToLatest(db, { schema: config.schema });
    const store = createEventStore(db, { schema: config.schema });
    const registrar = startDnsRegistrar({ config: config.dns, store, logger: log, tracer: getTracer('dns-registrar') });
    const health = await startHealthServer({
      listen: config.httpListen,
      log,
      readiness: [{ name: 'postgres', check: async () => { await sql`select 1`.execute(db); } }],
      metrics: () => dnsRegistrarMetrics(registrar.status()),
    });
    return {
      async stop() {
        await health.close();
        await registrar.stop();
        await closeDb();
        await telemetry.shutdown();
      },
    };
  },
});
