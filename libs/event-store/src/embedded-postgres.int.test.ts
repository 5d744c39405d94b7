import { sql } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedDbLostError, openEmbeddedDb, type EmbeddedDb } from './embedded-postgres.js';

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

  it('is called once when PGlite answers every statement with an error (its session wedged), and not before', async () => {
    const lost: Error[] = [];
    const { dir, embedded } = await open((err) => lost.push(err));
    await sql`create table t (x int)`.execute(embedded.db);
    await sleep(500); // healthy probes: nothing reported
    expect(lost).toEqual([]);
    // A checkpoint that cannot write pg_control fails inside PGlite's own machinery; every
    // statement after it fails with "cannot drop active portal" until the process restarts.
    await rm(join(dir, 'pg', 'global'), { recursive: true, force: true });
    await expect(sql`checkpoint`.execute(embedded.db)).rejects.toThrow(/pg_control/);
    await expect(sql`insert into t values (1)`.execute(embedded.db)).rejects.toThrow(/cannot drop active portal/);
    await expect.poll(() => lost.length, { timeout: 5000 }).toBe(1);
    expect(lost[0]).toBeInstanceOf(EmbeddedDbLostError);
    expect(lost[0]!.message).toMatch(/^the embedded database failed 2 probes in a row \(select 1\): cannot drop active portal/);
    await sleep(1500);
    expect(lost).toHaveLength(1);
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
