import { ACTIVATION_RPCS } from '@kmsgrid/contracts';
import { createIngressServer } from '@kmsgrid/ingress-server';
import { runService, startHealthServer } from '@kmsgrid/service-runtime';
import { getTracer, startTelemetry } from '@kmsgrid/telemetry';
import { connectNats, createNatsTransport, createRpcClient, natsReadiness } from '@kmsgrid/transport';
import { ingressMetrics } from './metrics.js';
import { readConfig } from './config.js';

await runService({
  name: 'kms-ingress',
  async start(log) {
    const config = readConfig(process.env);
    const telemetry = startTelemetry({ serviceName: 'kms-ingress' });
    const nc = await connectNats(config.natsUrl, `kms-ingress ${config.instanceId}`);
    const transport = createNatsTransport(nc);
    const policy = createRpcClient(transport, { defaultTimeoutMs: config.policyTimeoutMs });
    const server = createIngressServer({
      ...config.ingress,
      ingressId: config.instanceId,
      decide: (req) => policy.call(ACTIVATION_RPCS.policyDecide, req),
      tracer: getTracer('kms-ingress'),
      log,
    });
    await server.listen();
    const health = await startHealthServer({
      listen: config.httpListen,
      log,
      readiness: [natsReadiness(nc)],
      metrics: () => ingressMetrics(server.stats()),
    });
    return {
      async stop() {
        await health.close();
        await server.close(20_000);
        await transport.drain();
        await telemetry.shutdown();
      },
    };
  },
});
