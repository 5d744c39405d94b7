import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockAddress, lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { openEmbeddedDb } from './embedded-postgres.js';

const dirs: string[] = [];
const locks: DataDirLock[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const l of locks.splice(0)) await l.release();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kmsgrid-lock-'));
  dirs.push(d);
  return d;
}

/** Another process holding the lock as lockDataDir does (listening on its address, answering its pid). */
async function holdInChild(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer((s) => s.end(process.pid + '\\n')).listen(${JSON.stringify(path)}, () => console.log('held'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}
const killed = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe.each(['linux', 'darwin'] as const)('lockDataDir as on %s', (platform) => {
  it('admits one holder at a time, names the holder to the next, and is free again once released', async () => {
    const d = await dir();
    const first = await lockDataDir(d, platform);
    const err = await lockDataDir(d, platform).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toBe(
      `the data directory ${await realpath(d)} is in use by another process (pid ${process.pid}): stop it first, or give this one its own KMSGRID_DATA_DIR`,
    );
    await first.release();
    locks.push(await lockDataDir(d, platform));
  });

  it('refuses while another process holds it, and is free at once after that process is killed with SIGKILL', async () => {
    const d = await dir();
    const { path, file } = lockAddress(await realpath(d), platform);
    const holder = await holdInChild(path);
    await expect(lockDataDir(d, platform)).rejects.toThrow(`(pid ${holder.pid})`);
    await killed(holder);
    // An abstract socket goes with its process; a socket file stays behind, answering nobody, and is replaced.
    expect(existsSync(path)).toBe(file);
    locks.push(await lockDataDir(d, platform));
  });
});

describe('openEmbeddedDb on a data directory', () => {
  it('is refused to a second opener while the first has it open (PGlite would let both write it)', async () => {
    const dataDir = join(await dir(), 'pg');
    const first = await openEmbeddedDb<unknown>({ dataDir, thread: 'worker' });
    await expect(openEmbeddedDb<unknown>({ dataDir, thread: 'worker' })).rejects.toBeInstanceOf(DataDirInUseError);
    await first.close();
    const second = await openEmbeddedDb<unknown>({ dataDir });
    await second.close();
  });
});
