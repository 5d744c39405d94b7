// Faults under load in the default mode (`npm start`): the bundled all-in-one on
// embedded PGlite (on its worker thread), in-process transport, its data
// directory on a tmpfs of its own (mounted here; the test runs as root). It is
// killed with SIGKILL in the middle of a load of 8 concurrent clients and
// started again on the same data directory and port, as a supervisor would; and
// its volume fills up under the load, then space is freed. After each, as for
// the split services (split-faults.e2e.test.ts):
// (a) every answered request is in the event store exactly once, with the
//     count the client got; no request twice;
// (b) replaying the events reproduces every count, and the count_groups
//     projection holds the replayed counts;
// (c) the host serves again within 10 s of the kill (of the space being freed);
// (d) the load saw answers, refused/closed connections and timeouts only.
// The store is read after a clean stop, through pglite-socket on the data directory.
// The all-in-one on Postgres (DATABASE_URL: the mode for throughput) goes through
// a Postgres restart in immediate mode (a crash) under the same load, on a private
// cluster, with the same checks.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@kmsgrid/event-store';
import { mountTestVolume, type TestVolume } from '@kmsgrid/event-store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, killAllSpawned, spawnBundle, type ServiceProcess } from '../e2e/testing/processes.js';
import { loadMachines, startLoad, summarize, type LoadMachine, type Shot } from './testing/load.js';
import { freePort, startPrivatePostgres, type PrivatePostgres } from './testing/private-servers.js';
import { answeredExactlyOnce, readEvents, replayCounts, withClient } from './testing/store-checks.js';

const RECOVERY_LIMIT_MS = 10_000;
/** The data volume: room for PGlite's initial files (~40 MB) and both loads. */
const VOLUME_SIZE = '256m';
/** How long the volume stays full under the load. */
const FULL_FOR_MS = 3000;
const WORKERS = 8;
const SCHEMA = 'kmsgrid';

const pool: LoadMachine[] = loadMachines(
  { 'Windows 10 Enterprise': 40, 'Windows Server 2019 Datacenter': 10, 'Office Professional Plus 2019': 15 },
  'aio-faults',
);

let volume: TestVolume | undefined;
let dataDir: string;
let port: number;
let host: ServiceProcess;
let generation = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startHost(storage: Record<string, string> = { KMSGRID_DATA_DIR: dataDir }): Promise<ServiceProcess> {
  const p = spawnBundle(
    'apps/kmsgrid',
    { KMSGRID_LISTEN: `127.0.0.1:${port}`, KMSGRID_HTTP_LISTEN: '127.0.0.1:0', KMSGRID_INSTANCE_ID: `aio-${++generation}`, ...storage },
    [],
    `kmsgrid-${generation}`,
  );
  // The first start initialises PGlite's data directory: slow on small machines.
  await p.waitForLog((l) => l.msg === 'KMS listener up', 110_000);
  return p;
}

beforeAll(() => {
  buildBundles('kmsgrid');
}, 150_000);

afterAll(async () => {
  await killAllSpawned();
});

/**
 * Stops the host cleanly (PGlite flushes), then checks (a) and (b) on the store
 * read through a socket onto the same directory; returns the events stored.
 */
async function checkStore(shots: readonly Shot[]): Promise<number> {
  await stopHost();
  const pgl = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg') });
  try {
    return await checkStoreAt(pgl.connectionString, shots);
  } finally {
    await pgl.stop();
  }
}

async function stopHost(): Promise<void> {
  host.signal('SIGTERM');
  expect(await host.exited).toEqual({ code: 0, signal: null });
}

/** (a) and (b) on the store at `url`; returns the events stored. */
async function checkStoreAt(url: string, shots: readonly Shot[]): Promise<number> {
  const events = await readEvents(url, SCHEMA);
  // (a)
  expect(answeredExactlyOnce(shots, events)).toEqual([]);
  // (b)
  const { problems, groups } = replayCounts(events);
  expect(problems).toEqual([]);
  const rows = await withClient(url, async (c) => (await c.query<{ application_id: string; active_clients: number; reported_count: number }>(`select application_id, active_clients, reported_count from ${SCHEMA}.count_groups`)).rows);
  expect(groups.size).toBeGreaterThan(0);
  for (const g of groups.values()) {
    expect(rows.find((r) => r.application_id.toLowerCase() === g.applicationId), g.applicationId).toMatchObject({ active_clients: g.distinctCmids, reported_count: g.reportedCount });
  }
  return events.length;
}

/**
 * When the load first got an activation that it started after `at`; polls until
 * `limitMs` past `at`, running `meanwhile` between polls.
 */
async function servedAfter(load: ReturnType<typeof startLoad>, at: number, limitMs: number, meanwhile?: () => Promise<void>): Promise<number | undefined> {
  let servedAt: number | undefined;
  while (servedAt === undefined && Date.now() < at + limitMs) {
    await sleep(100);
    servedAt = load.shots.find((s) => s.status === 'activated' && s.startedAt > at)?.endedAt;
    if (servedAt === undefined) await meanwhile?.();
  }
  return servedAt;
}

describe('faults under load: the all-in-one on embedded PGlite', () => {
  beforeAll(async () => {
    volume = await mountTestVolume(VOLUME_SIZE, 'aio-faults');
    dataDir = join(volume.path, 'data');
    port = await freePort();
    host = await startHost();
  }, 150_000);

  afterAll(async () => {
    await killAllSpawned();
    await volume?.dispose();
  });

  it('kill -9 mid-load, restarted on the same data directory: nothing answered is lost or doubled, counts replay, serving again within 10 s', async () => {
    const target = `127.0.0.1:${port}`;
    const load = startLoad({ targets: [target], pool, workers: WORKERS });
    await sleep(2000);
    const at = Date.now();
    expect((await host.kill()).signal).toBe('SIGKILL');
    host = await startHost();
    const servedAt = await servedAfter(load, at, RECOVERY_LIMIT_MS + 5000);
    await sleep(1000);
    const shots: Shot[] = await load.stop();
    const answered = shots.filter((s) => s.status === 'activated');
    expect(answered.filter((s) => s.startedAt < at).length, summarize(shots)).toBeGreaterThan(5);
    // (d)
    expect(shots.filter((s) => s.status === 'wrong').map((s) => `${s.failureKind} ${s.detail}`)).toEqual([]);
    // (c)
    expect(servedAt, `not serving again; ${summarize(shots)}`).toBeDefined();
    const recoveryMs = servedAt! - at;
    const stored = await checkStore(shots);
    console.info(`[faults] all-in-one kill -9: serving again after ${recoveryMs} ms; load: ${summarize(shots)}; ${stored} events stored`);
    expect(recoveryMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
  }, 240_000);

  it('the data volume fills up mid-load, then space is freed: errors only while full, nothing answered is lost or doubled, serving again within 10 s', async () => {
    host = await startHost();
    const target = `127.0.0.1:${port}`;
    const load = startLoad({ targets: [target], pool, workers: WORKERS });
    await sleep(2000);
    const filler = volume!.fill();
    const fullAt = Date.now();
    await sleep(FULL_FOR_MS);
    const failedWhileFull = load.shots.filter((s) => s.startedAt > fullAt + 500 && s.status !== 'activated').length;
    await filler.free();
    const freedAt = Date.now();
    // A supervisor's part: should the host have exited (its embedded database lost), start it again.
    let restarts = 0;
    const servedAt = await servedAfter(load, freedAt, RECOVERY_LIMIT_MS + 5000, async () => {
      if (host.child.exitCode === null && host.child.signalCode === null) return;
      restarts++;
      host = await startHost();
    });
    await sleep(1000);
    const shots: Shot[] = await load.stop();
    // (d)
    expect(shots.filter((s) => s.status === 'wrong').map((s) => `${s.failureKind} ${s.detail}`)).toEqual([]);
    expect(shots.filter((s) => s.status === 'activated' && s.startedAt < fullAt).length, summarize(shots)).toBeGreaterThan(5);
    // The full volume was felt: the host did not answer activations it could not record.
    expect(failedWhileFull, summarize(shots)).toBeGreaterThan(0);
    // (c)
    expect(servedAt, `not serving again; ${summarize(shots)}`).toBeDefined();
    const recoveryMs = servedAt! - freedAt;
    const stored = await checkStore(shots);
    console.info(`[faults] all-in-one volume full for ${FULL_FOR_MS} ms: serving again ${recoveryMs} ms after space was freed (${restarts} restarts); load: ${summarize(shots)}; ${stored} events stored`);
    expect(recoveryMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
  }, 240_000);
});

describe('faults under load: the all-in-one on Postgres (DATABASE_URL)', () => {
  let postgres: PrivatePostgres | undefined;
  let scratch: string | undefined;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    // Nothing is stored here with DATABASE_URL set; given so that nothing lands in the working directory.
    scratch = await mkdtemp(join(tmpdir(), 'kmsgrid-aio-pg-faults-'));
    dataDir = scratch;
    port = await freePort();
  }, 60_000);
  afterAll(async () => {
    await killAllSpawned();
    await postgres?.dispose();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('Postgres restarts in immediate mode mid-load: nothing answered is lost or doubled, counts replay, serving again within 10 s', async () => {
    host = await startHost({ KMSGRID_DATA_DIR: dataDir, DATABASE_URL: postgres!.url });
    const load = startLoad({ targets: [`127.0.0.1:${port}`], pool, workers: WORKERS });
    await sleep(2000);
    const at = Date.now();
    await postgres!.restart('immediate');
    // Counted from the crash, with a request started once Postgres is back (one started
    // before the restart took effect may have been answered from the old server).
    const overAt = Date.now();
    const servedAt = await servedAfter(load, overAt, RECOVERY_LIMIT_MS + 5000);
    // The writer lock's session ended with the restart. At its next heartbeat the ledger
    // notices, sees a new postmaster (every session ended, not only its own) and competes
    // again at once instead of leaving a standby the first chance: a blip, not 2 s.
    const competing = await host.waitForLog((l) => l.msg === 'competing for the ledger writer lock again', 10_000);
    expect(competing).toMatchObject({ restarted: true, inMs: 0 });
    await host.waitForLog((l) => l.msg === 'elected ledger writer' && Date.parse(String(l['time'])) > overAt, 5000);
    await sleep(1000);
    const shots: Shot[] = await load.stop();
    // (d)
    expect(shots.filter((s) => s.status === 'wrong').map((s) => `${s.failureKind} ${s.detail}`)).toEqual([]);
    expect(shots.filter((s) => s.status === 'activated' && s.startedAt < at).length, summarize(shots)).toBeGreaterThan(5);
    // (c)
    expect(servedAt, `not serving again; ${summarize(shots)}`).toBeDefined();
    const recoveryMs = servedAt! - at;
    await stopHost();
    const stored = await checkStoreAt(postgres!.url, shots);
    console.info(`[faults] all-in-one on Postgres, Postgres restart -m immediate: serving again after ${recoveryMs} ms (fault over after ${overAt - at} ms); load: ${summarize(shots)}; ${stored} events stored`);
    expect(recoveryMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
  }, 120_000);
});
