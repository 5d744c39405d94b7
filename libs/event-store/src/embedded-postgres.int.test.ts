import { sql } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EmbeddedDbLostError, openEmbeddedDb, type EmbeddedDb } from './embedded-postgres.js';
import { PgliteWorkerError } from './pglite-thread.js';
import { mountTestVolume, type TestVolume } from './testing/volume.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['main', 'worker'] as const)('openEmbeddedDb on the %s thread: onLost', (thread) => {
  const opened: { dir: string; embedded: EmbeddedDb<unknown> }[] = [];
  afterEach(async () => {
    for (const { dir, embedded } of opened.splice(0)) {
      await embedded.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  async function open(onLost: (err: Error) => void): Promise<{ dir: string; embedded: EmbeddedDb<unknown> }> {
    const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-embedded-lost-'));
    const embedded = await openEmbeddedDb<unknown>({ dataDir: join(dir, 'pg'), thread, onLost, probeIntervalMs: 100 });
    opened.push({ dir, embedded });
    return { dir, embedded };
  }

  it('is called once after a PANIC (a checkpoint that cannot write pg_control), and not before; later statements fail at once', async () => {
    const lost: Error[] = [];
    const { dir, embedded } = await open((err) => lost.push(err));
    await sql`create table t (x int)`.execute(embedded.db);
    await sleep(500); // healthy probes: nothing reported
    expect(lost).toEqual([]);
    await rm(join(dir, 'pg', 'global'), { recursive: true, force: true });
    await expect(sql`checkpoint`.execute(embedded.db)).rejects.toMatchObject({ severity: 'PANIC', message: expect.stringMatching(/pg_control/) });
    // PGlite would go on as if nothing happened (and spin on some later statement): refused instead.
    await expect(sql`insert into t values (1)`.execute(embedded.db)).rejects.toThrow(/^the embedded database stopped after a PANIC: could not open file .*pg_control/);
    await expect.poll(() => lost.length, { timeout: 5000 }).toBe(1);
    // The worker thread is stopped at once; on this thread the probes find the session refusing.
    expect(lost[0]).toBeInstanceOf(thread === 'worker' ? PgliteWorkerError : EmbeddedDbLostError);
    expect(lost[0]!.message).toMatch(/the embedded database stopped after a PANIC: could not open file .*pg_control/);
    await sleep(1500);
    expect(lost).toHaveLength(1);
  });

  it('checkpoints every checkpointIntervalMs (PGlite has no checkpointer process), so a crash replays little WAL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-embedded-checkpoint-'));
    const embedded = await openEmbeddedDb<unknown>({ dataDir: join(dir, 'pg'), thread, checkpointIntervalMs: 200 });
    opened.push({ dir, embedded });
    const redo = async () => (await sql<{ lsn: string }>`select redo_lsn::text as lsn from pg_control_checkpoint()`.execute(embedded.db)).rows[0]!.lsn;
    await sql`create table t (x text)`.execute(embedded.db);
    const before = await redo();
    await sql`insert into t select repeat('x', 100) from generate_series(1, 1000)`.execute(embedded.db);
    await expect.poll(redo, { timeout: 5000, interval: 100 }).not.toBe(before);
  });

  it('vacuums vacuumTables before each checkpoint (PGlite has no autovacuum), so updated rows do not bloat their table and indexes', async () => {
    // The same churn with and without: 200 rows, an indexed timestamp moved 20 times each (as renewals move last_seen_at).
    const churn = async (vacuumTables: readonly string[]): Promise<number> => {
      const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-embedded-vacuum-'));
      const embedded = await openEmbeddedDb<unknown>({ dataDir: join(dir, 'pg'), thread, checkpointIntervalMs: 50, vacuumTables });
      opened.push({ dir, embedded });
      await sql`create table t (id int primary key, seen timestamptz not null, v text not null)`.execute(embedded.db);
      await sql`create index t_seen on t (seen, id)`.execute(embedded.db);
      await sql`insert into t select g, now(), repeat('x', 200) from generate_series(1, 200) g`.execute(embedded.db);
      for (let round = 1; round <= 20; round++) {
        await sql`update t set seen = seen + make_interval(secs => ${round})`.execute(embedded.db);
        await sleep(60); // a maintenance round in between
      }
      const { rows } = await sql<{ bytes: string }>`select pg_total_relation_size('t') as bytes`.execute(embedded.db);
      return Number(rows[0]!.bytes);
    };
    // A table that does not exist (yet) is skipped, not fatal to the others.
    const vacuumed = await churn(['public.not_migrated_yet', 'public.t']);
    const bloated = await churn([]);
    expect(vacuumed).toBeLessThan(bloated / 2);
  });

  it('freezes the whole database once its transaction age passes freezeAfterXidAge (nothing else would, in single-user mode)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-embedded-freeze-'));
    const embedded = await openEmbeddedDb<unknown>({ dataDir: join(dir, 'pg'), thread, checkpointIntervalMs: 100, freezeAfterXidAge: 500 });
    opened.push({ dir, embedded });
    const age = async () => (await sql<{ age: number }>`select age(datfrozenxid) as age from pg_database where datname = current_database()`.execute(embedded.db)).rows[0]!.age;
    await sql`create table t (x int)`.execute(embedded.db);
    // Each statement on its own is a transaction with an id: 600 of them age the database past 500
    // (it stays at 600 and more without the freeze; a round may freeze while they run).
    for (let i = 0; i < 600; i++) await sql`insert into t values (${i})`.execute(embedded.db);
    await expect.poll(age, { timeout: 5000, interval: 100 }).toBeLessThan(500);
  });

  it('is not called for a statement that fails on its own, nor by close()', async () => {
    const lost: Error[] = [];
    const { embedded } = await open((err) => lost.push(err));
    await expect(sql`select * from no_such_table`.execute(embedded.db)).rejects.toThrow(/no_such_table/);
    await sleep(400);
    await embedded.close();
    await sleep(400);
    expect(lost).toEqual([]);
  });
});

describe('openEmbeddedDb on the worker thread: a PANIC', () => {
  let volume: TestVolume | undefined;
  let embedded: EmbeddedDb<unknown> | undefined;
  // Also after a timeout (the spin this guards against): never leave the mount behind.
  afterAll(async () => {
    await embedded?.close().catch(() => undefined);
    await volume?.dispose();
  });

  it('a WAL segment that cannot be written on a full volume stops the thread and reports the database lost, instead of spinning on the next statement', async () => {
    volume = await mountTestVolume('120m', 'pglite-panic');
    const lost: Error[] = [];
    const { db } = (embedded = await openEmbeddedDb<unknown>({ dataDir: join(volume.path, 'pg'), thread: 'worker', onLost: (err) => lost.push(err) }));
    await sql`create table t (x text)`.execute(db);
    // Room in the table's last page: the next insert needs WAL, not a new data page.
    await sql`insert into t select repeat('x', 100) from generate_series(1, 1000)`.execute(db);
    volume.fill();
    await sql`select pg_switch_wal()`.execute(db);
    await expect(sql`insert into t values ('a')`.execute(db)).rejects.toMatchObject({ severity: 'PANIC', code: '53100' });
    await expect.poll(() => lost.length, { timeout: 5000 }).toBe(1);
    expect(lost[0]).toBeInstanceOf(PgliteWorkerError);
    expect(lost[0]!.message).toMatch(/^the embedded database stopped after a PANIC: could not write to file "pg_wal\//);
    // Before, PGlite spun at 100 % of a core on this statement and never answered.
    await expect(sql`select 1`.execute(db)).rejects.toBeInstanceOf(PgliteWorkerError);
  });
});
