import { dnsRegistrarMetrics, startDnsRegistrar } from '@kmsgrid/dns-registrar';
import { openServiceStore } from '@kmsgrid/event-store';
import { runService, startHealthServer } from '@kmsgrid/service-runtime';
import { getTracer, startTelemetry } from '@kmsgrid/telemetry';
import { connectNats, createNatsTransport, natsReadiness } from '@kmsgrid/transport';
import { readConfig } from './config.js';
import { serveDnsStatus } from './status-query.js';

// dns-registrar: publishes _vlmcs._tcp SRV records by RFC 2136 UPDATE with TSIG
// (libs/dns-registrar/README.md). With NATS_URL it also answers kmsgrid.dns.v1.status
// for the split admin API. SIGTERM withdraws this host's records, then exits.
await runService({
  name: 'dns-registrar',
  async start(log) {
    const config = readConfig(process.env);
    if (!config.dns) {
      log.info('DNS publishing is off (KMSGRID_DNS_DOMAINS is not set); nothing to do');
      process.exit(0);
    }
    const telemetry = startTelemetry({ serviceName: 'dns-registrar' });
    const { store, readiness: postgres, close: closeDb } = await openServiceStore({ connectionString: config.databaseUrl, schema: config.schema, onIdleError: (e) => log.warn('postgres idle error', { error: e }) });
    // Connected before publishing starts, so a NATS failure at start exits with nothing to withdraw.
    const nc = config.natsUrl === undefined ? undefined : await connectNats(config.natsUrl, 'dns-registrar');
    const registrar = startDnsRegistrar({ config: config.dns, store, logger: log, tracer: getTracer('dns-registrar') });
    const transport = nc && createNatsTransport(nc);
    const query = transport && serveDnsStatus(transport, registrar);
    if (query) log.info('answering DNS status queries', { subject: query.subject, queue: query.queue });
    const health = await startHealthServer({
      listen: config.httpListen,
      log,
      readiness: [postgres, ...(nc ? [natsReadiness(nc)] : [])],
      metrics: () => dnsRegistrarMetrics(registrar.status()),
    });
    return {
      async stop() {
        await health.close();
        await query?.drain();
        await registrar.stop();
        await transport?.drain();
        await closeDb();
        await telemetry.shutdown();
      },
    };
  },
});
