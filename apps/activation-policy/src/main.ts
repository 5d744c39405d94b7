import { sql } from 'kysely';
import { createEventStore, createPostgresDb, migrateToLatest } from '@kmsgrid/event-store';
import { startPolicyRuntime } from '@kmsgrid/policy-service';
import { runService, startHealthServer } from '@kmsgrid/service-runtime';
import { getTracer, startTelemetry } from '@kmsgrid/telemetry';
import { connectNats, createNatsTransport } from '@kmsgrid/transport';
import { readConfig } from './config.js';

await runService({
  name: 'activation-policy',
  async start(log) {
    const config = readConfig(process.env);
    const telemetry = startTelemetry({ serviceName: 'activation-policy' });
    const { db, close: closeDb } = createPostgresDb({ connectionString: config.databaseUrl, onIdleError: (e) => log.warn('postgres idle error', { error: e }) });
    await migrateToLatest(db, { schema: config.schema });
    const store = createEventStore(db, { schema: config.schema });
    const nc = await connectNats(config.natsUrl, `activation-policy ${config.instanceId}`);
    const transport = createNatsTransport(nc);
    const policy = await startPolicyRuntime({
      env: process.env,
      transport,
      store,
      log,
      tracer: getTracer('activation-policy'),
      ledgerTimeoutMs: config.ledgerTimeoutMs,
    });
    const health = await startHealthServer({
      listen: config.httpListen,
      log,
      readiness: [
        { name: 'nats', check: async () => { await nc.flush(); } },
        { name: 'postgres', check: async () => { await sql`select 1`.execute(db); } },
      ],
    });
    return {
      async stop() {
        await health.close();
        await policy.stop();
        await transport.drain();
        await closeDb();
        await telemetry.shutdown();
      },
    };
  },
});
