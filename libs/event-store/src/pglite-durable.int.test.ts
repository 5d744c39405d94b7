import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { fsyncSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedDb } from './embedded-postgres.js';
import { commitDurability } from './postgres.js';
import { DURABLE_START_PARAMS, DurableNodeFS, durablePgliteOptions } from './pglite-durable.js';
import { createPglite } from './pglite-session.js';

const dirs: string[] = [];
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kmsgrid-durable-'));
  dirs.push(d);
  return join(d, 'pg');
}
async function settings(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<Record<string, string>> {
  const { rows } = await query(`select name, setting from pg_settings where name in ('fsync', 'wal_sync_method')`);
  return Object.fromEntries((rows as { name: string; setting: string }[]).map((r) => [r.name, r.setting]));
}

describe('the embedded database makes its commits durable', () => {
  it('syncs to disk at every commit through DurableNodeFS (PGlite alone never does)', async () => {
    let syncs = 0;
    const pglite = await PGlite.create({
      fs: new DurableNodeFS(await dataDir(), {
        fsync: (fd) => {
          syncs++;
          fsyncSync(fd);
        },
      }),
      startParams: [...DURABLE_START_PARAMS],
    });
    closing.push(() => pglite.close());
    expect(await settings((t) => pglite.query(t))).toEqual({ fsync: 'on', wal_sync_method: 'fsync' });
    await pglite.exec('create table t (id serial primary key, v text)');
    const before = syncs;
    for (let i = 0; i < 20; i++) await pglite.query('insert into t (v) values ($1)', [`row ${i}`]);
    // One WAL sync per commit at least (the data files are synced at checkpoints).
    expect(syncs - before).toBeGreaterThanOrEqual(20);
    const atCheckpoint = syncs;
    await pglite.exec('checkpoint');
    expect(syncs).toBeGreaterThan(atCheckpoint);
  });

  it('reports a failed fsync to Postgres, which PANICs (never a commit acknowledged unsynced)', async () => {
    let failing = false;
    const pglite = await PGlite.create({
      fs: new DurableNodeFS(await dataDir(), {
        fsync: (fd) => {
          if (failing) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
          fsyncSync(fd);
        },
      }),
      startParams: [...DURABLE_START_PARAMS],
    });
    closing.push(() => pglite.close());
    await pglite.exec('create table t (id serial primary key, v text)');
    failing = true;
    await expect(pglite.query('insert into t (v) values ($1)', ['lost?'])).rejects.toMatchObject({
      severity: 'PANIC',
      message: expect.stringMatching(/could not fsync file/),
    });
  });

  it('is what PGlite lacks by default: fsync off', async () => {
    const pglite = await PGlite.create(await dataDir());
    closing.push(() => pglite.close());
    expect((await settings((t) => pglite.query(t))).fsync).toBe('off');
  });

  it('applies to createPglite and to the worker thread of openEmbeddedDb, not to an in-memory database', async () => {
    const local = await createPglite(await dataDir());
    closing.push(() => local.close());
    expect(await settings((t) => local.query(t))).toEqual({ fsync: 'on', wal_sync_method: 'fsync' });

    const embedded = await openEmbeddedDb<unknown>({ dataDir: await dataDir(), thread: 'worker' });
    closing.push(() => embedded.close());
    const { rows } = await sql<{ fsync: string; method: string }>`select current_setting('fsync') as fsync, current_setting('wal_sync_method') as method`.execute(embedded.db);
    expect(rows).toEqual([{ fsync: 'on', method: 'fsync' }]);
    expect(await commitDurability(embedded.db)).toEqual({ fsync: 'on', synchronousCommit: 'on', durable: true });

    expect(durablePgliteOptions('memory://x')).toEqual({ dataDir: 'memory://x' });
  });
});
