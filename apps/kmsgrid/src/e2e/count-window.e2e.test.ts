// The count window with an injected clock: 30-day expiry, the 2 x N cap, renewals.
//
// startKmsgrid's `clock` override drives the ledger (recording times, the window,
// status). The policy still reads the system clock for its clock-tolerance rule
// (startPolicyRuntime takes no clock), so the hosts run with
// KMSGRID_CLOCK_TOLERANCE=off and every client sends the injected time as its
// ClientTime, as a client whose clock agrees with the host's would.
import { afterEach, describe, expect, it } from 'vitest';
import { postgresStorage, type HostStorage, type TestHost } from './testing/hosts.js';
import { ask, askAll, describeAnswers, machines, type Machine } from './testing/machines.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';

/** A host whose ledger lives at `clock.now`, plus a client that asks at that time. */
interface ClockedHost {
  readonly host: TestHost;
  /** Sets the ledger clock to day 0 + `ms`. */
  at(ms: number): void;
  /** The ledger's time now. */
  now(): Date;
  /** One request of `m`, its ClientTime the ledger's time. */
  ask(m: Machine): ReturnType<typeof ask>;
  /** The Windows count group as the ledger reports it now. */
  windows(): Promise<{ activeClients: number; reportedCount: number; highestNPolicy: number } | undefined>;
}

const storages: HostStorage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.dispose();
});

async function clockedHost(): Promise<ClockedHost> {
  const storage = postgresStorage('window');
  storages.push(storage);
  // Day 0 is a fixed, recent instant (whole minutes), so runs are alike.
  const day0 = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * DAY;
  let now = day0;
  const host = await storage.start({ KMSGRID_CLOCK_TOLERANCE: 'off' }, { clock: () => new Date(now) });
  return {
    host,
    at: (ms) => {
      now = day0 + ms;
    },
    now: () => new Date(now),
    ask: (m) => ask(host.target, m, { now: new Date(now) }),
    windows: async () => (await host.host.ledger.status()).applications.find((a) => a.applicationId === WINDOWS_APP_ID),
  };
}

const one = (product: string, prefix: string): Machine => machines(product, 1, prefix)[0] as Machine;
const W7 = 'Windows 7 Enterprise';

describe('the 30-day window (injected ledger clock)', () => {
  it('drops a CMID seen at day 0 exactly 30 days later; it comes back as a new client', async () => {
    const h = await clockedHost();
    const [a, b, c, d, e] = machines(W7, 5, 'pc') as [Machine, Machine, Machine, Machine, Machine];

    h.at(0);
    expect(await h.ask(a)).toMatchObject({ status: 'activated', count: 1 });
    h.at(10 * DAY);
    expect(await h.ask(b)).toMatchObject({ count: 2 });
    h.at(30 * DAY - MINUTE);
    expect(await h.ask(c)).toMatchObject({ count: 3 }); // a is 1 minute short of 30 days: still counted
    expect(await h.windows()).toMatchObject({ activeClients: 3 });
    h.at(30 * DAY);
    expect(await h.ask(d)).toMatchObject({ count: 3 }); // a left the window: b, c, d
    expect(await h.windows()).toMatchObject({ activeClients: 3 });
    h.at(40 * DAY);
    expect(await h.windows()).toMatchObject({ activeClients: 2 }); // b (day 10) left too: c, d
    expect(await h.ask(e)).toMatchObject({ count: 3 });
    h.at(41 * DAY);
    expect(await h.ask(a)).toMatchObject({ count: 4 }); // a again: counted as new

    const clients = await h.host.host.ledger.listClients({ workstation: 'pc-1.' });
    expect(clients.clients).toHaveLength(1);
    expect(clients.clients[0]).toMatchObject({ cmid: a.cmid, requestCount: 2, lastOutcome: 'counted' });
    expect(Date.parse(clients.clients[0]!.lastSeenAt) - Date.parse(clients.clients[0]!.firstSeenAt)).toBe(41 * DAY);
  }, 60_000);
});

describe('the 2 x N cap', () => {
  it('servers only: 10; after one client with N-policy 25: 50', async () => {
    const h = await clockedHost();
    h.at(0);
    const servers = machines('Windows Server 2008 R2 Standard', 12, 'srv');
    const s = await askAll(h.host.target, servers, { now: h.now(), concurrency: 4 });
    expect(s.filter((a) => a.status !== 'activated'), describeAnswers(s)).toEqual([]);
    expect(s.map((a) => a.count ?? 0).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
    expect(await h.windows()).toMatchObject({ activeClients: 12, reportedCount: 10, highestNPolicy: 5 });

    h.at(MINUTE);
    // The first N-policy-25 client lifts the cap to 50: it sees all 13.
    expect(await h.ask(one(W7, 'first-client'))).toMatchObject({ count: 13 });
    h.at(2 * MINUTE);
    const c = await askAll(h.host.target, machines(W7, 40, 'pc'), { now: h.now(), concurrency: 4 });
    expect(c.filter((a) => a.status !== 'activated'), describeAnswers(c)).toEqual([]);
    expect(Math.max(...c.map((a) => a.count ?? 0))).toBe(50);
    expect(await h.windows()).toMatchObject({ activeClients: 53, reportedCount: 50, highestNPolicy: 25 });
    expect(await h.ask(servers[1]!)).toMatchObject({ count: 50 });
  }, 60_000);
});

describe('renewals', () => {
  it('a renewing CMID does not raise the count, and keeps itself in the window', async () => {
    const h = await clockedHost();
    const [a, b] = machines(W7, 2, 'pc') as [Machine, Machine];
    h.at(0);
    expect(await h.ask(a)).toMatchObject({ count: 1 });
    h.at(2 * 60 * MINUTE); // the 2-hour retry
    expect(await h.ask(a)).toMatchObject({ count: 1 });
    h.at(1 * DAY);
    expect(await h.ask(b)).toMatchObject({ count: 2 });
    h.at(7 * DAY); // the 7-day renewal
    expect(await h.ask(a)).toMatchObject({ count: 2 });
    h.at(29 * DAY);
    expect(await h.ask(a)).toMatchObject({ count: 2 });
    h.at(36 * DAY); // b (day 1) has left; a (day 29) is still in
    expect(await h.ask(a)).toMatchObject({ count: 1 });
    const [row] = (await h.host.host.ledger.listClients({ workstation: 'pc-1.' })).clients;
    expect(row).toMatchObject({ cmid: a.cmid, requestCount: 5, lastOutcome: 'renewed' });
  }, 60_000);
});
