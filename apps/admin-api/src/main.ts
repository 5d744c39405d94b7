import { connect } from 'nats';
import { EnvReader, formatHostPort } from '@kmsgrid/config';
import { buildApp, createAdminSources } from '@kmsgrid/admin-api';
import { runService } from '@kmsgrid/service-runtime';
import { startTelemetry } from '@kmsgrid/telemetry';
import { createNatsTransport } from '@kmsgrid/transport';

await runService({
  name: 'admin-api',
  async start(log) {
    const r = new EnvReader(process.env);
    const config = r.done({
      httpListen: r.listen('KMSGRID_HTTP_LISTEN', '127.0.0.1:8080'),
      natsUrl: r.url('NATS_URL', ['nats:', 'tls:']) ?? r.required('NATS_URL', 'the admin API asks the services over NATS: set NATS_URL=nats://host:4222'),
      // Shown in the status view: where clients reach the KMS (the ingress Service address).
      kmsListen: r.listenList('KMSGRID_LISTEN', '0.0.0.0:1688'),
    });
    const telemetry = startTelemetry({ serviceName: 'admin-api' });
    const nc = await connect({ servers: config.natsUrl, name: 'admin-api', maxReconnectAttempts: -1 });
    const transport = createNatsTransport(nc);
    const app = buildApp({
      ...createAdminSources(transport),
      host: { listen: config.kmsListen.map(formatHostPort), version: process.env['npm_package_version'] ?? 'unknown', mode: 'split' },
      readiness: [{ name: 'nats', check: async () => { await nc.flush(); } }],
      log,
    });
    await app.listen({ host: config.httpListen.host, port: config.httpListen.port });
    log.info('admin API up', { address: formatHostPort(config.httpListen) });
    return {
      async stop() {
        await app.close();
        await transport.drain();
        await telemetry.shutdown();
      },
    };
  },
});
