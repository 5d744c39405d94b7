// Restarting the all-in-one on the same storage keeps every count, the client
// list and the host's ePID: embedded PGlite (same KMSGRID_DATA_DIR) and Postgres
// (same DATABASE_URL + KMSGRID_DB_SCHEMA).
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedStorage, postgresStorage, type HostStorage } from './testing/hosts.js';
import { askAll, describeAnswers, machines } from './testing/machines.js';

const WINDOWS_APP_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';

const storages: HostStorage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.dispose();
});

async function restartKeepsCounts(storage: HostStorage): Promise<void> {
  storages.push(storage);
  const old = machines('Windows 7 Enterprise', 3, 'old');
  const fresh = machines('Windows 7 Enterprise', 2, 'new');

  const first = await storage.start();
  const before = await askAll(first.target, old, { concurrency: 1 });
  expect(before.map((a) => a.count), describeAnswers(before)).toEqual([1, 2, 3]);
  const epid = before[0]?.outcome?.response?.epid;
  expect(epid).toBeDefined();
  await first.stop();

  const second = await storage.start();
  // New CMIDs add to the old count; old CMIDs renewing do not raise it.
  const added = await askAll(second.target, fresh, { concurrency: 1 });
  expect(added.map((a) => a.count), describeAnswers(added)).toEqual([4, 5]);
  const renewed = await askAll(second.target, old, { concurrency: 1 });
  expect(renewed.map((a) => a.count), describeAnswers(renewed)).toEqual([5, 5, 5]);
  // The host-key identity was generated once and kept.
  expect(new Set([...added, ...renewed].map((a) => a.outcome?.response?.epid))).toEqual(new Set([epid]));

  const { clients } = await second.host.ledger.listClients({ applicationId: WINDOWS_APP_ID });
  const rows = new Map(clients.map((c) => [c.workstationName, c]));
  expect([...rows.keys()].sort()).toEqual([...old, ...fresh].map((m) => m.workstation).sort());
  for (const m of old) expect(rows.get(m.workstation)).toMatchObject({ cmid: m.cmid, requestCount: 2, lastOutcome: 'renewed' });
  for (const m of fresh) expect(rows.get(m.workstation)).toMatchObject({ cmid: m.cmid, requestCount: 1, lastOutcome: 'counted' });
  const windows = (await second.host.ledger.status()).applications.find((a) => a.applicationId === WINDOWS_APP_ID);
  expect(windows).toMatchObject({ activeClients: 5, reportedCount: 5 });
  expect(windows?.requests).toMatchObject({ total: 8, failed: 0 });
}

describe('restarting the all-in-one on the same storage', () => {
  it('embedded PGlite, same KMSGRID_DATA_DIR: counts, clients and ePID continue', async () => {
    await restartKeepsCounts(await embeddedStorage('restart'));
  }, 120_000);

  it('Postgres, same schema: counts, clients and ePID continue', async () => {
    await restartKeepsCounts(postgresStorage('restart'));
  }, 60_000);
});
