// The seed's Table 1 over TCP with the kms-client library against the all-in-one
// (in-process, real Postgres). Each scenario runs on a fresh host: counts start
// at zero. The default mode (embedded PGlite) runs the first scenario in
// restart.e2e.test.ts, which then restarts that host (one PGlite start-up less).
import { afterEach, describe, it } from 'vitest';
import { postgresStorage, type HostStorage } from './testing/hosts.js';
import { TABLE_1, runTable1Scenario, scenarioName } from './testing/table1.js';

const storages: HostStorage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.dispose();
});

describe('Table 1 over TCP, all-in-one on Postgres', () => {
  for (const s of TABLE_1) {
    const who = `${s.serversActivate ? 'servers activate' : 'no server activates'}, ${s.clientsActivate ? 'clients activate' : 'no client activates'}`;
    it(`${scenarioName(s)} reaches ${s.finalCount}; ${who}`, async () => {
      const storage = postgresStorage('table1');
      storages.push(storage);
      await runTable1Scenario(await storage.start(), s);
    }, 60_000);
  }
});
