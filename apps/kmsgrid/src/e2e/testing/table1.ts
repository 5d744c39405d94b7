import { expect } from 'vitest';
import type { TestHost } from './hosts.js';
import { activates, askAndRetry, describeAnswers, machines, type Answer, type Machine } from './machines.js';

export const TABLE1_SERVER = 'Windows Server 2008 R2 Enterprise'; // N-policy 5
export const TABLE1_CLIENT = 'Windows 7 Professional'; // N-policy 25
export const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';

/** One row of the seed's Table 1. */
export interface Table1Scenario {
  readonly servers: number;
  readonly clients: number;
  readonly finalCount: number;
  readonly serversActivate: boolean;
  readonly clientsActivate: boolean;
}

export const TABLE_1: readonly Table1Scenario[] = [
  { servers: 4, clients: 1, finalCount: 5, serversActivate: true, clientsActivate: false },
  { servers: 1, clients: 4, finalCount: 5, serversActivate: true, clientsActivate: false },
  { servers: 1, clients: 1, finalCount: 2, serversActivate: false, clientsActivate: false },
  { servers: 4, clients: 22, finalCount: 26, serversActivate: true, clientsActivate: true },
];

export const scenarioName = (s: Table1Scenario): string => `${s.servers} x Server 2008 R2 + ${s.clients} x Windows 7`;

/**
 * Runs one Table 1 scenario against a fresh host (counts at zero): every machine
 * asks, then retries once. Checks the counts, who activates, and the ledger's
 * own view. Returns the machines (for tests that continue with them).
 */
export async function runTable1Scenario(h: TestHost, s: Table1Scenario): Promise<Machine[]> {
  const servers = machines(TABLE1_SERVER, s.servers, 'srv');
  const clients = machines(TABLE1_CLIENT, s.clients, 'pc');
  const all = [...servers, ...clients];
  const { first, retry } = await askAndRetry(h.target, all, { concurrency: 4 });

  const answered = (xs: Answer[]) => xs.filter((a) => a.status === 'activated').length;
  expect(answered(first), describeAnswers(first)).toBe(all.length);
  expect(answered(retry), describeAnswers(retry)).toBe(all.length);
  // First round: each new machine raises the count by one, whatever the order.
  expect(first.map((a) => a.count ?? -1).sort((a, b) => a - b)).toEqual(all.map((_, i) => i + 1));
  // Retry: every machine sees the final count; renewals do not raise it.
  expect(retry.map((a) => a.count)).toEqual(all.map(() => s.finalCount));
  const retryOf = (product: string) => retry.filter((a) => a.machine.product === product);
  expect(retryOf(TABLE1_SERVER).map(activates)).toEqual(servers.map(() => s.serversActivate));
  expect(retryOf(TABLE1_CLIENT).map(activates)).toEqual(clients.map(() => s.clientsActivate));

  // The ledger's own view (slmgr /dlv) agrees.
  const windows = (await h.host.ledger.status()).applications.find((a) => a.applicationId === WINDOWS_APP_ID);
  expect(windows).toMatchObject({ activeClients: s.finalCount, reportedCount: s.finalCount, highestNPolicy: s.clients > 0 ? 25 : 5 });
  expect(windows?.requests.total).toBe(2 * all.length);
  return all;
}
