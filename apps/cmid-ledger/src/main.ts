import { createOutboxRelay, ensureEventsStream, openServiceStore, outboxRelayMetrics } from '@kmsgrid/event-store';
import { createLedgerService, ledgerMetrics, serveLedger } from '@kmsgrid/ledger-service';
import { runService, startHealthServer } from '@kmsgrid/service-runtime';
import { getTracer, startTelemetry } from '@kmsgrid/telemetry';
import { connectNats, createJetStreamPublisher, createNatsTransport, natsReadiness } from '@kmsgrid/transport';
import { readConfig } from './config.js';

await runService({
  name: 'cmid-ledger',
  async start(log) {
    const config = readConfig(process.env);
    const telemetry = startTelemetry({ serviceName: 'cmid-ledger' });
    const { db, store, readiness: postgres, close: closeDb } = await openServiceStore({ connectionString: config.databaseUrl, schema: config.schema, onIdleError: (e) => log.warn('postgres idle error', { error: e }) });
    const nc = await connectNats(config.natsUrl, `cmid-ledger ${config.instanceId}`);
    const transport = createNatsTransport(nc);

    // The ledger writes most events, so its replicas relay the event log to JetStream
    // (several relays are safe: JetStream drops duplicates by event id).
    await ensureEventsStream(await nc.jetstreamManager(), { duplicateWindow: 10 * 60_000 });
    const relay = createOutboxRelay({ store, js: createJetStreamPublisher(nc), onStateChange: (s) => log.info('outbox relay', { state: s }) });
    relay.start();

    const ledger = createLedgerService({ db, store, log, tracer: getTracer('cmid-ledger'), batch: { maxSize: config.batchMaxSize } });
    // Standbys serve the queries at once and join the record queue when they win the writer lock.
    const serving = serveLedger(transport, ledger, { log });
    const started = ledger.start();
    const health = await startHealthServer({
      listen: config.httpListen,
      log,
      readiness: [natsReadiness(nc), postgres],
      metrics: () => ledgerMetrics(ledger) + outboxRelayMetrics(relay.status()),
    });
    void started.then(() => log.info('ledger writer', { leader: ledger.isLeader() }));
    return {
      async stop() {
        await health.close();
        await serving.stop();
        await ledger.stop();
        await relay.stop();
        await transport.drain();
        await closeDb();
        await telemetry.shutdown();
      },
    };
  },
});
