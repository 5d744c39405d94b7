import { formatHostPort } from '@kmsgrid/config';
import { buildApp } from '@kmsgrid/admin-api';
import { runService } from '@kmsgrid/service-runtime';
import { startTelemetry } from '@kmsgrid/telemetry';
import { connectNats, createNatsTransport, natsReadiness } from '@kmsgrid/transport';
import { readConfig } from './config.js';
import { splitAdminDeps } from './deps.js';

await runService({
  name: 'admin-api',
  async start(log) {
    const config = readConfig(process.env);
    const telemetry = startTelemetry({ serviceName: 'admin-api' });
    const nc = await connectNats(config.natsUrl, 'admin-api');
    const transport = createNatsTransport(nc);
    const app = buildApp(splitAdminDeps(config, { transport, readiness: [natsReadiness(nc)], log }));
    await app.listen({ host: config.httpListen.host, port: config.httpListen.port });
    log.info('admin API up', { address: formatHostPort(config.httpListen), dnsSection: config.dns });
    return {
      async stop() {
        await app.close();
        await transport.drain();
        await telemetry.shutdown();
      },
    };
  },
});
