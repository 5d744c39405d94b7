import { PGlite } from '@electric-sql/pglite';
import { AbortedTransactionError, Kysely, sql, type Generated, type RawBuilder } from 'kysely';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDialect, PgliteDialectError, type PgliteDialectConfig } from './pglite-dialect.js';
import { createPglite } from './pglite-session.js';
import { startPgliteWorker, PgliteWorkerError } from './pglite-thread.js';
import { PREPARED } from './postgres.js';

interface Db {
  items: { id: Generated<string>; name: string; n: Generated<number>; data: Generated<unknown>; at: Generated<Date> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A PGlite to run the dialect on: where it runs, its dialect config, and whether it was closed. */
type Opened = Readonly<{ config: PgliteDialectConfig; close: () => Promise<void>; closed: () => boolean }>;
const WHERE: readonly (readonly [string, () => Promise<Opened>])[] = [
  [
    'PGlite on this thread',
    async () => {
      const pglite = await PGlite.create();
      return { config: { pglite }, close: () => pglite.close(), closed: () => pglite.closed };
    },
  ],
  [
    'PGlite on a worker thread',
    async () => {
      const session = await startPgliteWorker();
      return { config: { session }, close: () => session.close(), closed: () => session.closed };
    },
  ],
];

describe.each(WHERE)('PgliteDialect (kysely on %s)', (_where, open) => {
  let opened: Opened;
  let db: Kysely<Db>;

  beforeAll(async () => {
    opened = await open();
    db = new Kysely<Db>({ dialect: new PgliteDialect(opened.config) });
    await sql`create table items (
      id bigserial primary key,
      name text not null constraint items_name_uq unique,
      n int4 not null default 0,
      data jsonb not null default '{}',
      at timestamptz not null default now()
    )`.execute(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await opened?.close();
  });

  describe('values as the pg dialect gives them', () => {
    it('parses results with pg’s parsers: int8/numeric as strings, timestamptz/date as Dates, jsonb parsed, bytea and bytea[]’s elements Buffers', async () => {
      const { rows } = await sql<Record<string, unknown>>`select
        9007199254740993::int8 as big, 42::int4 as i4, 7::int2 as i2, 1.5::float8 as f8, 12.50::numeric as num, true as b,
        '2026-01-02 03:04:05.678+00'::timestamptz as ts, '2026-01-02'::date as d, '{"a":[1,{"b":null}]}'::jsonb as j,
        '\\x0102ff'::bytea as bytes, array['\\x01'::bytea, null, '\\xff'::bytea] as byteas, array[1, 2]::int8[] as bigs, array['x', 'y'] as texts, null::text as nothing,
        '6f1c5c2e-3a7b-4c55-9d0e-6c8d5e1b2a3f'::uuid as u`.execute(db);
      const r = rows[0]!;
      expect(r).toMatchObject({ big: '9007199254740993', i4: 42, i2: 7, f8: 1.5, num: '12.50', b: true, j: { a: [1, { b: null }] }, bigs: ['1', '2'], texts: ['x', 'y'], nothing: null });
      expect(r['u']).toBe('6f1c5c2e-3a7b-4c55-9d0e-6c8d5e1b2a3f');
      expect(r['ts']).toEqual(new Date('2026-01-02T03:04:05.678Z'));
      // pg reads a date as local midnight.
      expect(r['d']).toEqual(new Date(2026, 0, 2));
      expect(Buffer.isBuffer(r['bytes'])).toBe(true);
      expect([...(r['bytes'] as Buffer)]).toEqual([1, 2, 255]);
      const byteas = r['byteas'] as (Buffer | null)[];
      expect(byteas.map((b) => (b === null ? null : Buffer.isBuffer(b)))).toEqual([true, null, true]);
      expect(byteas.map((b) => (b === null ? null : [...b]))).toEqual([[1], null, [255]]);
    });

    it('takes Dates, bigints, objects and arrays as parameters', async () => {
      const at = new Date('2025-06-07T08:09:10.111Z');
      const { rows } = await sql<Record<string, unknown>>`select ${at}::timestamptz as at, ${12345678901234567n}::int8 as big,
        ${{ k: 'v', n: 1 }}::jsonb as obj, ${{ k: 'v' }}::text as objtext, ${['a', 'b']}::text[] as arr, ${'{"s":1}'}::jsonb as str`.execute(db);
      expect(rows[0]).toEqual({ at, big: '12345678901234567', obj: { k: 'v', n: 1 }, objtext: '{"k":"v"}', arr: ['a', 'b'], str: { s: 1 } });
    });

    it('reports affected rows of inserts, updates and deletes, and returns rows with `returning`', async () => {
      const inserted = await db.insertInto('items').values([{ name: 'a', data: JSON.stringify({ x: 1 }) }, { name: 'b' }]).returning(['id', 'name', 'data', 'at']).execute();
      expect(inserted.map((r) => r.name)).toEqual(['a', 'b']);
      expect(typeof inserted[0]!.id).toBe('string');
      expect(inserted[0]!.data).toEqual({ x: 1 });
      expect(inserted[0]!.at).toBeInstanceOf(Date);
      const upd = await db.updateTable('items').set({ n: 5 }).where('name', 'in', ['a', 'b']).executeTakeFirstOrThrow();
      expect(upd.numUpdatedRows).toBe(2n);
      const ins = await db.insertInto('items').values({ name: 'c' }).executeTakeFirstOrThrow();
      expect(ins.numInsertedOrUpdatedRows).toBe(1n);
      const del = await db.deleteFrom('items').where('name', '=', 'c').executeTakeFirstOrThrow();
      expect(del.numDeletedRows).toBe(1n);
      const sel = await sql`select 1 as one`.execute(db);
      expect(sel.numAffectedRows).toBeUndefined();
    });

    it('runs a script of several statements without parameters, as pg’s simple query does', async () => {
      await sql.raw('create temporary table script_t (x int); insert into script_t values (1), (2);').execute(db);
      expect((await sql<{ n: string }>`select count(*) as n from script_t`.execute(db)).rows).toEqual([{ n: '2' }]);
    });
  });

  describe('transactions on the one session', () => {
    it('commits, and rolls back everything when the callback throws', async () => {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ name: 'tx-ok' }).execute();
      });
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('items').values({ name: 'tx-rolled-back' }).execute();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const names = (await db.selectFrom('items').select('name').where('name', 'like', 'tx-%').execute()).map((r) => r.name);
      expect(names).toEqual(['tx-ok']);
    });

    it('makes statements from outside wait until the transaction ends', async () => {
      const order: string[] = [];
      let inside!: () => void;
      const entered = new Promise<void>((r) => (inside = r));
      const tx = db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ name: 'wait-1' }).execute();
        inside();
        await sleep(50);
        order.push('trx done');
        await trx.updateTable('items').set({ n: 1 }).where('name', '=', 'wait-1').execute();
      });
      await entered;
      const outside = db
        .selectFrom('items')
        .select('n')
        .where('name', '=', 'wait-1')
        .executeTakeFirst()
        .then((r) => {
          order.push('outside read');
          return r;
        });
      const [, read] = await Promise.all([tx, outside]);
      expect(order).toEqual(['trx done', 'outside read']);
      // The outside read ran after the commit: it sees the transaction's final state.
      expect(read).toEqual({ n: 1 });
    });

    it('serializes concurrent transactions so each sees the previous one’s result', async () => {
      await db.insertInto('items').values({ name: 'counter', n: 0 }).execute();
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction().execute(async (trx) => {
            const { n } = await trx.selectFrom('items').select('n').where('name', '=', 'counter').executeTakeFirstOrThrow();
            await sleep(1);
            await trx.updateTable('items').set({ n: n + 1 }).where('name', '=', 'counter').execute();
          }),
        ),
      );
      expect(await db.selectFrom('items').select('n').where('name', '=', 'counter').executeTakeFirst()).toEqual({ n: 20 });
    });

    it('fails the commit of a transaction an error aborted, and the session goes on', async () => {
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('items').values({ name: 'aborted' }).execute();
          await sql`select 1 / 0`.execute(trx).catch(() => undefined);
        }),
      ).rejects.toBeInstanceOf(AbortedTransactionError);
      expect(await db.selectFrom('items').select('name').where('name', '=', 'aborted').execute()).toEqual([]);
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    });

    it('supports controlled transactions with savepoints and isolation levels', async () => {
      const trx = await db.startTransaction().setIsolationLevel('serializable').execute();
      expect((await sql<{ level: string }>`select current_setting('transaction_isolation') as level`.execute(trx)).rows[0]!.level).toBe('serializable');
      await trx.insertInto('items').values({ name: 'sp-kept' }).execute();
      const sp = await trx.savepoint('before "odd" name').execute();
      await sp.insertInto('items').values({ name: 'sp-undone' }).execute();
      const back = await sp.rollbackToSavepoint('before "odd" name').execute();
      await back.releaseSavepoint('before "odd" name').execute();
      await trx.commit().execute();
      const names = (await db.selectFrom('items').select('name').where('name', 'like', 'sp-%').execute()).map((r) => r.name);
      expect(names).toEqual(['sp-kept']);
    });

    it('keeps a session-level advisory lock on a held connection while others query, and checks it by heartbeat', async () => {
      // The ledger writer lock's pattern: a connection kept for the lock, a heartbeat on it.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let acquired!: (ok: boolean) => void;
      const gotLock = new Promise<boolean>((r) => (acquired = r));
      let heartbeats = 0;
      const holder = db.connection().execute(async (conn) => {
        const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${7}::int4, ${8}::int4) as ok`.execute(conn);
        acquired(rows[0]!.ok);
        let stop = false;
        void released.then(() => (stop = true));
        while (!stop) {
          await Promise.race([sleep(5), released]);
          if (!stop) {
            await sql`select 1`.execute(conn);
            heartbeats++;
          }
        }
        const { rows: unlocked } = await sql<{ ok: boolean }>`select pg_advisory_unlock(${7}::int4, ${8}::int4) as ok`.execute(conn);
        return unlocked[0]!.ok;
      });
      expect(await gotLock).toBe(true);
      // Others go on while the lock's connection is held: a transaction and plain queries.
      await db.transaction().execute((trx) => trx.insertInto('items').values({ name: 'during-lock' }).execute());
      for (let i = 0; i < 5; i++) await sql`select ${i}::int as i`.execute(db);
      await sleep(30);
      const locks = await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and classid = 7 and objid = 8 and granted`.execute(db);
      expect(locks.rows).toEqual([{ n: '1' }]);
      release();
      expect(await holder).toBe(true);
      expect(heartbeats).toBeGreaterThan(0);
      const after = await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and classid = 7 and objid = 8`.execute(db);
      expect(after.rows).toEqual([{ n: '0' }]);
    });
  });

  describe('statements marked PREPARED (a named prepared statement of the session)', () => {
    const marked = sql.raw(PREPARED);
    const preparedCount = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from pg_prepared_statements where name like 'kg_pgl_%'`.execute(db)).rows[0]!.n);

    it('gives the same rows as an unmarked statement, for every parameter type, and is prepared once', async () => {
      const before = await preparedCount();
      const run = (prefix: RawBuilder<unknown>) =>
        sql<Record<string, unknown>>`${prefix}select ${9007199254740993n}::int8 as big, ${42}::int4 as i4, ${true}::bool as b, ${'text'}::text as t,
          ${new Date('2026-01-02T03:04:05.678Z')}::timestamptz as ts, ${{ a: [1, { b: null }] }}::jsonb as j, ${null}::text as nothing,
          ${'6f1c5c2e-3a7b-4c55-9d0e-6c8d5e1b2a3f'}::uuid as u`.execute(db);
      const plain = (await run(sql``)).rows;
      for (let i = 0; i < 3; i++) expect((await run(marked)).rows).toEqual(plain);
      expect(plain[0]).toMatchObject({ big: '9007199254740993', i4: 42, b: true, t: 'text', j: { a: [1, { b: null }] }, nothing: null });
      expect(plain[0]!['ts']).toEqual(new Date('2026-01-02T03:04:05.678Z'));
      expect(await preparedCount()).toBe(before + 1);
    });

    it('reports numAffectedRows, rolls back with its transaction, and keeps the session usable after an error', async () => {
      const insert = (name: string) => sql`${marked}insert into items (name, n) values (${name}, ${1})`.execute(db);
      expect((await insert('prep-1')).numAffectedRows).toBe(1n);
      await expect(insert('prep-1')).rejects.toMatchObject({ code: '23505', constraint: 'items_name_uq' });
      await expect(
        db.transaction().execute(async (trx) => {
          await sql`${marked}insert into items (name, n) values (${'prep-2'}, ${1})`.execute(trx);
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      await db.transaction().execute(async (trx) => {
        await sql`${marked}insert into items (name, n) values (${'prep-3'}, ${1})`.execute(trx);
      });
      const names = (await sql<{ name: string }>`select name from items where name like 'prep-%' order by name`.execute(db)).rows.map((r) => r.name);
      expect(names).toEqual(['prep-1', 'prep-3']);
      await expect(sql`${marked}select ${1}::int4 / ${0}::int4 as boom`.execute(db)).rejects.toMatchObject({ code: '22012' });
      expect((await sql<{ one: number }>`${marked}select ${1}::int4 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    });
  });

  describe('errors', () => {
    it('carry Postgres’ code, constraint and detail like pg’s DatabaseError', async () => {
      await db.insertInto('items').values({ name: 'dup' }).execute();
      const err = await db
        .insertInto('items')
        .values({ name: 'dup' })
        .execute()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).toMatchObject({ code: '23505', constraint: 'items_name_uq', table: 'items', detail: 'Key (name)=(dup) already exists.' });
    });

    it('carry a custom SQLSTATE with detail and hint raised by PL/pgSQL', async () => {
      await sql`create or replace function raise_custom(v int) returns void language plpgsql as $$
        begin raise exception 'custom failure %', v using errcode = 'KG409', detail = v::text, hint = 'stream-x'; end $$`.execute(db);
      const err = await sql`select raise_custom(${41}::int)`.execute(db).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'KG409', detail: '41', hint: 'stream-x', message: 'custom failure 41' });
    });

    it('inside a transaction roll it back and leave the session usable', async () => {
      const err = await db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('items').values({ name: 'in-failed-tx' }).execute();
          await trx.insertInto('items').values({ name: 'dup' }).execute();
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: '23505', constraint: 'items_name_uq' });
      expect(await db.selectFrom('items').select('name').where('name', '=', 'in-failed-tx').execute()).toEqual([]);
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    });

    it('refuse streaming with a clear error', async () => {
      const iterate = async () => {
        for await (const row of db.selectFrom('items').selectAll().stream()) void row;
      };
      await expect(iterate()).rejects.toBeInstanceOf(PgliteDialectError);
    });
  });

  it('destroy waits for the transaction in progress, closes PGlite when asked, and refuses new statements', async () => {
    const own = await open();
    const owned = new Kysely<Db>({ dialect: new PgliteDialect({ ...own.config, closeOnDestroy: true }) });
    await sql`create table t (x int)`.execute(owned);
    let entered!: () => void;
    const inTx = new Promise<void>((r) => (entered = r));
    const tx = owned.transaction().execute(async (trx) => {
      entered();
      await sleep(30);
      await sql`insert into t values (1)`.execute(trx);
    });
    await inTx;
    await owned.destroy();
    await expect(tx).resolves.toBeUndefined();
    expect(own.closed()).toBe(true);
    await expect(sql`select 1`.execute(owned)).rejects.toThrow();
  });
});

describe('startPgliteWorker', () => {
  it('keeps a data directory across a close and a new worker, refuses calls once closed, and a close is not a crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-pglite-worker-'));
    const exits: Error[] = [];
    try {
      const first = await startPgliteWorker({ dataDir: dir, onExit: (e) => exits.push(e) });
      await first.exec('create table kept (x int); insert into kept values (7)');
      await first.close();
      expect(first.closed).toBe(true);
      await expect(first.query('select 1', [])).rejects.toBeInstanceOf(PgliteWorkerError);
      const second = await startPgliteWorker({ dataDir: dir });
      expect((await second.query('select x from kept', [])).rows).toEqual([{ x: 7 }]);
      await second.close();
      expect(exits).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs a slow statement without stopping this thread’s event loop (what it is for)', async () => {
    const session = await startPgliteWorker();
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const started = performance.now();
      await session.query('select pg_sleep($1)', [0.4]);
      clearInterval(timer);
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      // A 10 ms timer fires about 40 times during the 400 ms statement; on this thread it could not fire at all.
      expect(ticks).toBeGreaterThanOrEqual(10);
    } finally {
      await session.close();
    }
  });

  it('a worker that dies fails the call in flight and every later one, and reports its exit once', async () => {
    const exits: Error[] = [];
    // A 48 MB heap, and a result of about 200 MB of strings to hold in it: the thread runs out of memory.
    const session = await startPgliteWorker({ onExit: (e) => exits.push(e), resourceLimits: { maxOldGenerationSizeMb: 48 } });
    expect((await session.query('select 1 as one', [])).rows).toEqual([{ one: 1 }]);
    await expect(session.query("select repeat('x', 1000000) as s from generate_series(1, 200)", [])).rejects.toBeInstanceOf(PgliteWorkerError);
    await expect(session.query('select 1', [])).rejects.toBeInstanceOf(PgliteWorkerError);
    expect(session.closed).toBe(true);
    expect(exits).toHaveLength(1);
    expect(exits[0]).toBeInstanceOf(PgliteWorkerError);
  });

  it('fails to start with an error naming the data directory and the file system’s error when the directory cannot be used', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'kmsgrid-pglite-worker-')), 'not-a-dir');
    await writeFile(file, 'x');
    const err = await startPgliteWorker({ dataDir: file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await rm(dirname(file), { recursive: true, force: true });
    expect(err).toBeInstanceOf(PgliteWorkerError);
    // Emscripten's ErrnoError (no Error, no message) is described by its fields, not as "[object Object]".
    expect((err as Error).message).toMatch(new RegExp(`^could not open the embedded database in ${file}: ErrnoError \\(errno \\d+\\)$`));
  });
});

describe('createPglite (PGlite on this thread)', () => {
  it('fails with an error naming the data directory and the file system’s error when the directory cannot be used', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'kmsgrid-pglite-main-')), 'not-a-dir');
    await writeFile(file, 'x');
    const err = await createPglite(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    await rm(dirname(file), { recursive: true, force: true });
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`^could not open the embedded database in ${file}: ErrnoError \\(errno \\d+\\)$`));
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});
