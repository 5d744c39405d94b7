// Restarting the all-in-one on the same storage keeps every count, the client
// list and the host's ePID: embedded PGlite (same KMSGRID_DATA_DIR; this is also
// Table 1 in the default mode) and Postgres (same DATABASE_URL + KMSGRID_DB_SCHEMA).
// An embedded database that is lost for good makes the all-in-one ask for a restart.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { PgliteWorkerError } from '@kmsgrid/event-store';
import { embeddedStorage, postgresStorage, type HostStorage } from './testing/hosts.js';
import { askAll, describeAnswers, machines } from './testing/machines.js';
import { TABLE_1, WINDOWS_APP_ID, runTable1Scenario, scenarioName, type Table1Scenario } from './testing/table1.js';

const storages: HostStorage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.dispose();
});

const SCENARIO = TABLE_1[0] as Table1Scenario; // 4 servers + 1 Windows 7: count 5

async function restartKeepsCounts(storage: HostStorage): Promise<void> {
  storages.push(storage);
  const first = await storage.start();
  const old = await runTable1Scenario(first, SCENARIO);
  const epid = (await askAll(first.target, old.slice(0, 1)))[0]?.outcome?.response?.epid;
  expect(epid).toBeDefined();
  await first.stop();

  const second = await storage.start();
  // New CMIDs add to the old count; old CMIDs renewing do not raise it.
  const fresh = machines('Windows 7 Enterprise', 2, 'new');
  const added = await askAll(second.target, fresh, { concurrency: 1 });
  expect(added.map((a) => a.count), describeAnswers(added)).toEqual([6, 7]);
  const renewed = await askAll(second.target, old, { concurrency: 2 });
  expect(renewed.map((a) => a.count), describeAnswers(renewed)).toEqual(old.map(() => 7));
  // The host-key identity was generated once and kept.
  expect(new Set([...added, ...renewed].map((a) => a.outcome?.response?.epid))).toEqual(new Set([epid]));

  const { clients } = await second.host.ledger.listClients({ applicationId: WINDOWS_APP_ID });
  const rows = new Map(clients.map((c) => [c.workstationName, c]));
  expect([...rows.keys()].sort()).toEqual([...old, ...fresh].map((m) => m.workstation).sort());
  // Old machines: ask + retry + the ePID probe (the first one) + the renewal after the restart.
  old.forEach((m, i) => expect(rows.get(m.workstation)).toMatchObject({ cmid: m.cmid, requestCount: i === 0 ? 4 : 3, lastOutcome: 'renewed' }));
  for (const m of fresh) expect(rows.get(m.workstation)).toMatchObject({ cmid: m.cmid, requestCount: 1, lastOutcome: 'counted' });
  const windows = (await second.host.ledger.status()).applications.find((a) => a.applicationId === WINDOWS_APP_ID);
  expect(windows).toMatchObject({ activeClients: 7, reportedCount: 7 });
  expect(windows?.requests).toMatchObject({ total: 2 * old.length + 1 + fresh.length + old.length, failed: 0 });
}

describe('restarting the all-in-one on the same storage', () => {
  it(`default mode (embedded PGlite): Table 1 "${scenarioName(SCENARIO)}" reaches 5, only the servers activate; after a restart on the same KMSGRID_DATA_DIR counts, clients and ePID continue`, async () => {
    await restartKeepsCounts(await embeddedStorage('restart'));
  }, 120_000);

  it('Postgres, same schema: counts, clients and ePID continue', async () => {
    await restartKeepsCounts(postgresStorage('restart'));
  }, 60_000);
});

describe('an embedded database lost for good', () => {
  it('is reported to onStorageLost (by default: exit 1, so the supervisor restarts kmsgrid) after a PANIC; no answer claims a record', async () => {
    const storage = await embeddedStorage('lost');
    storages.push(storage);
    const lost: Error[] = [];
    const h = await storage.start({}, { onStorageLost: (err) => lost.push(err), storageProbeIntervalMs: 200 });
    const [before] = await askAll(h.target, machines('Windows 10 Enterprise', 1, 'before-loss'));
    expect(before?.status, describeAnswers([before!])).toBe('activated');
    // A PANIC: a checkpoint that cannot write pg_control. Postgres would stop there; PGlite
    // would carry on in a broken state, so its thread is stopped and the database is lost.
    await rm(join(storage.where, 'pg', 'global'), { recursive: true, force: true });
    await expect(sql`checkpoint`.execute(h.host.db)).rejects.toThrow(/pg_control/);
    await expect.poll(() => lost.length, { timeout: 10_000 }).toBe(1);
    expect(lost[0]).toBeInstanceOf(PgliteWorkerError);
    expect(lost[0]!.message).toMatch(/^the embedded database stopped after a PANIC/);
    // Until the restart: errors, never an activation without its record.
    const after = await askAll(h.target, machines('Windows 10 Enterprise', 2, 'after-loss'), { concurrency: 1 });
    expect(after.map((a) => a.status === 'activated'), describeAnswers(after)).toEqual([false, false]);
  }, 120_000);
});
