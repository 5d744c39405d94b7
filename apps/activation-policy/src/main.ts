import { openServiceStore } from '@kmsgrid/event-store';
import { startPolicyRuntime } from '@kmsgrid/policy-service';
import { runService, startHealthServer } from '@kmsgrid/service-runtime';
import { getTracer, startTelemetry } from '@kmsgrid/telemetry';
import { connectNats, createNatsTransport, natsReadiness } from '@kmsgrid/transport';
import { readConfig } from './config.js';

await runService({
  name: 'activation-policy',
  async start(log) {
    const config = readConfig(process.env);
    const telemetry = startTelemetry({ serviceName: 'activation-policy' });
    const { store, readiness: postgres, close: closeDb } = await openServiceStore({ connectionString: config.databaseUrl, schema: config.schema, onIdleError: (e) => log.warn('postgres idle error', { error: e }) });
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
      readiness: [natsReadiness(nc), postgres],
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
