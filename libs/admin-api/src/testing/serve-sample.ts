// Serves the admin API over sample data, for working on the dashboard:
//   npx tsx --tsconfig tsconfig.base.json libs/admin-api/src/testing/serve-sample.ts [port]
import { createLogger } from '@kmsgrid/config';
import { buildApp } from '../app.js';
import { sampleAdminDeps } from '../sample-data.js';

const port = Number(process.argv[2] ?? 8080);
let connectionsAccepted = 412;
const app = buildApp(
  sampleAdminDeps({
    log: createLogger({ service: 'admin-api-sample' }),
    ingressStats: () => ({
      connectionsAccepted: (connectionsAccepted += 3),
      connectionsActive: 2,
      connectionsDropped: 1,
      requests: connectionsAccepted + 40,
      activated: connectionsAccepted + 12,
      refused: 28,
      invalid: 0,
      unavailable: 0,
      protocolErrors: 0,
    }),
    dnsStatus: async () => ({
      domains: [
        { domain: 'corp.example', record: '_vlmcs._tcp.corp.example SRV 0 0 1688 kms1.corp.example.', outcome: 'registered', ok: true, at: new Date(Date.now() - 3_600_000).toISOString() },
        { domain: 'lab.example', outcome: 'refused', ok: false, at: new Date(Date.now() - 600_000).toISOString(), message: 'REFUSED: TSIG key kmsgrid-lab not allowed to update lab.example' },
      ],
    }),
  }),
);
const address = await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`admin API with sample data on ${address}\n`);
