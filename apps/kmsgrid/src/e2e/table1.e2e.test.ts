// The seed's Table 1 over TCP with the kms-client library against the all-in-one
// (in-process, real Postgres; one scenario on embedded PGlite, the default mode).
// Each scenario runs on a fresh host: counts start at zero.
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedStorage, postgresStorage, type HostStorage } from './testing/hosts.js';
import { activates, askAndRetry, describeAnswers, machines, type Answer } from './testing/machines.js';

const SERVER = 'Windows Server 2008 R2 Enterprise'; // N-policy 5
const CLIENT = 'Windows 7 Professional'; // N-policy 25
const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';

interface Scenario {
  readonly servers: number;
  readonly clients: number;
  readonly finalCount: number;
  readonly serversActivate: boolean;
  readonly clientsActivate: boolean;
}

const TABLE_1: readonly Scenario[] = [
  { servers: 4, clients: 1, finalCount: 5, serversActivate: true, clientsActivate: false },
  { servers: 1, clients: 4, finalCount: 5, serversActivate: true, clientsActivate: false },
  { servers: 1, clients: 1, finalCount: 2, serversActivate: false, clientsActivate: false },
  { servers: 4, clients: 22, finalCount: 26, serversActivate: true, clientsActivate: true },
];

const name = (s: Scenario) => `${s.servers} x Server 2008 R2 + ${s.clients} x Windows 7`;

const storages: HostStorage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.dispose();
});

/** Runs one scenario on a fresh host and checks the retry round. */
async function runScenario(storage: HostStorage, s: Scenario): Promise<void> {
  storages.push(storage);
  const { target, host } = await storage.start();
  const servers = machines(SERVER, s.servers, 'srv');
  const clients = machines(CLIENT, s.clients, 'pc');
  const all = [...servers, ...clients];
  const { first, retry } = await askAndRetry(target, all, { concurrency: 4 });

  const answered = (xs: Answer[]) => xs.filter((a) => a.status === 'activated').length;
  expect(answered(first), describeAnswers(first)).toBe(all.length);
  expect(answered(retry), describeAnswers(retry)).toBe(all.length);
  // First round: each new machine raises the count by one, whatever the order.
  expect(first.map((a) => a.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(all.map((_, i) => i + 1));
  // Retry: every machine sees the final count; renewals do not raise it.
  expect(retry.map((a) => a.count)).toEqual(all.map(() => s.finalCount));
  const retryOf = (product: string) => retry.filter((a) => a.machine.product === product);
  expect(retryOf(SERVER).map(activates)).toEqual(servers.map(() => s.serversActivate));
  expect(retryOf(CLIENT).map(activates)).toEqual(clients.map(() => s.clientsActivate));

  // The ledger's own view (slmgr /dlv) agrees.
  const windows = (await host.ledger.status()).applications.find((a) => a.applicationId === WINDOWS_APP_ID);
  expect(windows).toMatchObject({ activeClients: s.finalCount, reportedCount: s.finalCount, highestNPolicy: s.clients > 0 ? 25 : 5 });
  expect(windows?.requests.total).toBe(2 * all.length);
}

describe('Table 1 over TCP, all-in-one on Postgres', () => {
  for (const s of TABLE_1) {
    it(`${name(s)} reaches ${s.finalCount}; ${s.serversActivate ? 'servers activate' : 'no server activates'}, ${s.clientsActivate ? 'clients activate' : 'no client activates'}`, async () => {
      await runScenario(postgresStorage('table1'), s);
    }, 60_000);
  }
});

describe('Table 1 over TCP, all-in-one in the default mode (embedded PGlite in KMSGRID_DATA_DIR)', () => {
  const s = TABLE_1[0] as Scenario;
  it(`${name(s)} reaches ${s.finalCount}; only the servers activate`, async () => {
    await runScenario(await embeddedStorage('table1'), s);
  }, 60_000);
});
