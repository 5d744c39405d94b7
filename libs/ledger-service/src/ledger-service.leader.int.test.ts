import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from '@kmsgrid/config';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATIONS, countGroupStreamId } from '@kmsgrid/ledger-domain';
import { createEventStore, createPostgresDb } from '@kmsgrid/event-store';
import { LedgerServiceError } from './errors.js';
import { createLedgerService } from './ledger-service.js';
import { LedgerTestEnv, countEvents, dumpProjections, realPostgres } from './testing/backends.js';
import { ManualClock, day, guid, recordRequest } from './testing/fixtures.js';
import { createWriterLock, writerLockKey } from './writer-lock.js';

// Tests that need real Postgres sessions: writer election between replicas,
// killed connections, and a large clients table. PGlite serves all its
// connections from one session, so advisory locks cannot tell replicas apart.

let env: LedgerTestEnv;
beforeAll(async () => {
  env = await LedgerTestEnv.open(await realPostgres());
});
afterEach(async () => {
  await env.stopServices();
});
afterAll(async () => {
  await env?.close();
});

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Backend pid of the session holding the writer lock of `schema`, if any. */
async function lockHolder(schema: string): Promise<number | undefined> {
  const [classId, objId] = writerLockKey(schema);
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_locks
    where locktype = 'advisory' and granted and classid = ${classId >>> 0}::oid and objid = ${objId >>> 0}::oid and objsubid = 2`.execute(env.db);
  return rows[0]?.pid;
}

describe('writer election', () => {
  it('two instances on one schema: one leads, the other takes over when it stops and keeps every count', async () => {
    const { schema, store } = await env.freshSchema();
    const clock = new ManualClock(day(1));
    const a = env.service(store, { clock: clock.now });
    const b = env.service(store, { clock: clock.now });
    await a.start();
    let bStarted = false;
    const bStart = b.start().then(() => (bStarted = true));
    const changes: boolean[] = [];
    b.onLeadershipChange((l) => changes.push(l));
    for (let i = 0; i < 10; i++) await a.record(recordRequest({ cmid: guid(i) }));
    await new Promise((r) => setTimeout(r, 300));
    expect([a.isLeader(), b.isLeader(), bStarted]).toEqual([true, false, false]);
    expect(await lockHolder(schema)).toBeDefined();
    await expect(b.record(recordRequest({ cmid: guid(99) }))).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_NOT_LEADER' });

    await a.stop();
    await bStart;
    expect([a.isLeader(), b.isLeader()]).toEqual([false, true]);
    expect(changes).toEqual([true]);
    expect(await b.record(recordRequest({ cmid: guid(3) }))).toEqual({ count: 10, newClient: false });
    expect(await b.record(recordRequest({ cmid: guid(10) }))).toEqual({ count: 11, newClient: true });
    expect(await countEvents(env.db, schema)).toBe(12);
  });

  it('a leader whose lock session dies steps down; the standby takes over; appends never double count', async () => {
    const { schema, store } = await env.freshSchema();
    const a = env.service(store, { leader: { heartbeatMs: 100 } });
    const b = env.service(store, { leader: { heartbeatMs: 100 } });
    await a.start();
    const bStart = b.start();
    for (let i = 0; i < 5; i++) await a.record(recordRequest({ cmid: guid(i) }));
    const aLost = new Promise<void>((resolve) => a.onLeadershipChange((l) => !l && resolve()));

    const pid = await lockHolder(schema);
    await sql`select pg_terminate_backend(${pid}::int)`.execute(env.db);
    await aLost;
    await bStart;
    expect(b.isLeader()).toBe(true);
    await expect(a.record(recordRequest({ cmid: guid(50) }))).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_NOT_LEADER' });
    expect(await b.record(recordRequest({ cmid: guid(5) }))).toEqual({ count: 6, newClient: true });
    // A competes again as a standby.
    await b.stop();
    await until(() => a.isLeader());
    expect(await a.record(recordRequest({ cmid: guid(6) }))).toEqual({ count: 7, newClient: true });
  });
});

describe('the writer lock', () => {
  it('tells a lost session of its own (Postgres kept running) from a server restart', async () => {
    const { schema } = await env.freshSchema();
    let lost: unknown;
    const lock = createWriterLock(env.db, { schema, heartbeatMs: 50, onLost: (err) => (lost = err) });
    expect(await lock.serverRestarted()).toBeUndefined(); // never taken: nothing to compare
    expect(await lock.tryAcquire()).toBe(true);
    expect(await lock.serverRestarted()).toBe(false);
    const pid = await lockHolder(schema);
    await sql`select pg_terminate_backend(${pid}::int)`.execute(env.db);
    await until(() => lost !== undefined);
    expect(lock.held).toBe(false);
    // Only this session ended: the same postmaster answers, so the ledger leaves a standby the first chance.
    expect(await lock.serverRestarted()).toBe(false);
    await lock.release();
  });
});

describe('commit failures', () => {
  it('a connection killed inside the batch transaction rejects that batch; the service recovers with exact counts and says so', async () => {
    const { schema, store } = await env.freshSchema();
    let kill = false;
    const lines: string[] = [];
    const capture = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
    const log: Logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error'), child: () => log };
    const ledger = env.service(store, {
      log,
      hooks: {
        beforeCommit: async (trx) => {
          if (!kill) return;
          kill = false;
          await sql`select pg_terminate_backend(pg_backend_pid())`.execute(trx);
        },
      },
    });
    await ledger.start();
    for (let i = 0; i < 3; i++) await ledger.record(recordRequest({ cmid: guid(i) }));
    kill = true;
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => ledger.record(recordRequest({ cmid: guid(100 + i) }))));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill('rejected'));
    expect(((results[0] as PromiseRejectedResult).reason as LedgerServiceError).code).toBe('KMSG_ERR_LEDGER_COMMIT_FAILED');
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.record(recordRequest({ cmid: guid(100 + i) }))));
    expect(replies.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 4 + i));
    expect(await countEvents(env.db, schema)).toBe(23);
    expect((await ledger.status()).applications[0]).toMatchObject({ activeClients: 23, requests: { total: 23 } });
    expect(lines.filter((l) => l.startsWith('error batch commit failed'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('info batch commits succeed again'))).toEqual([expect.stringMatching(/"failedBatches":1,"failingForMs":\d+/)]);
    expect(ledger.stats()).toMatchObject({ failedBatches: 1 });
  });

  it('an event appended behind its back fails the next batch on the expected version; the reload catches the projections up', async () => {
    const { schema, store } = await env.freshSchema();
    const clock = new ManualClock(day(1));
    const ledger = env.service(store, { clock: clock.now });
    await ledger.start();
    const first = recordRequest({ cmid: guid(1) });
    await ledger.record(first);
    // Another writer (a bug, or a second deployment on the same schema) appends a counted client.
    const [stored] = (await store.readStream(countGroupStreamId(APPLICATIONS.windows))).events;
    const foreign = structuredClone(stored!.data) as { request: { cmid: string }; origin: { requestId: string }; activeClients: number; reportedCount: number };
    foreign.request.cmid = guid(2);
    foreign.origin.requestId = randomUUID();
    foreign.activeClients = 2;
    foreign.reportedCount = 2;
    await store.append(countGroupStreamId(APPLICATIONS.windows), 1, [{ type: 'ClientCounted', data: foreign }]);

    await expect(ledger.record(recordRequest({ cmid: guid(3) }))).rejects.toMatchObject({ code: 'KMSG_ERR_LEDGER_COMMIT_FAILED' });
    expect(await ledger.record(recordRequest({ cmid: guid(3) }))).toEqual({ count: 3, newClient: true });
    const live = await dumpProjections(env.db, schema);
    expect(live.clients).toHaveLength(3);
    await ledger.rebuildProjections();
    expect(await dumpProjections(env.db, schema)).toEqual(live);
  });
});

describe('a database that does not make commits durable', () => {
  it('is named in a warning when the ledger starts writing; a durable one is not', async () => {
    const { store } = await env.freshSchema();
    const lines: string[] = [];
    const capture = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
    const log: Logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error'), child: () => log };
    const url = new URL(env.backend.connectionString);
    url.searchParams.set('options', '-c synchronous_commit=off');
    const careless = createPostgresDb<unknown>({ connectionString: url.toString(), max: 2 });
    try {
      const ledger = createLedgerService({ db: careless.db, store: createEventStore(careless.db, { schema: store.schema }), log, leader: { retryMs: 50 } });
      await ledger.start();
      await ledger.stop();
      expect(lines.filter((l) => l.startsWith('warn the database does not make commits durable'))).toEqual([
        expect.stringContaining('"fsync":"on","synchronousCommit":"off"'),
      ]);
    } finally {
      await careless.close();
    }
    lines.length = 0;
    const durable = env.service(store, { log });
    await durable.start();
    expect(lines.filter((l) => l.includes('durable'))).toEqual([]);
  });
});
