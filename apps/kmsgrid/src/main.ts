import { runService } from '@kmsgrid/service-runtime';
import { startTelemetry } from '@kmsgrid/telemetry';
import { startKmsgrid } from './kmsgrid.js';

await runService({
  name: 'kmsgrid',
  async start(log) {
    const telemetry = startTelemetry({ serviceName: 'kmsgrid' });
    const host = await startKmsgrid(process.env, log);
    return {
      async stop() {
        await host.stop();
        await telemetry.shutdown();
      },
    };
  },
});
