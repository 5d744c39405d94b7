import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A tmpfs of its own, for tests that fill a database's volume. */
export type TestVolume = Readonly<{
  /** Where it is mounted. */
  path: string;
  /** Writes one file until the file system refuses (ENOSPC); returns how to free the space again. */
  fill(): { free(): Promise<void> };
  /** Unmounts it (lazily: a process may still hold files) and removes the mount point. */
  dispose(): Promise<void>;
}>;

/**
 * Mounts a tmpfs of `size` (`256m`) on a fresh directory. Needs root (tests run
 * as root on this machine and in CI); says so otherwise instead of skipping.
 */
export async function mountTestVolume(size: string, tag: string): Promise<TestVolume> {
  if (process.getuid?.() !== 0) throw new Error(`${tag}: the test mounts a tmpfs (mount -t tmpfs) to fill a database's volume: run it as root`);
  const path = await mkdtemp(join(tmpdir(), `kmsgrid-${tag}-`));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  return {
    path,
    fill() {
      const file = join(path, 'filler');
      const fd = openSync(file, 'w');
      try {
        for (const chunkSize of [1 << 20, 1 << 12, 1 << 9]) {
          const chunk = Buffer.alloc(chunkSize, 0x5a);
          for (;;) {
            try {
              writeSync(fd, chunk);
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return { free: () => rm(file) };
    },
    async dispose() {
      execFileSync('umount', ['-l', path]);
      await rm(path, { recursive: true, force: true });
    },
  };
}
