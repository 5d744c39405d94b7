import { fsyncSync } from 'node:fs';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/**
 * PGlite as it comes never makes a write durable: it starts Postgres with
 * `-F` (fsync off), Emscripten's `fdatasync` is a stub that returns 0, and its
 * NODEFS file system has no `fsync` (the call does nothing). A commit reaches
 * the kernel's page cache, which survives a killed process but not a kernel
 * crash or a power cut: acknowledged activations could be lost and the data
 * directory left torn. (Found on 2026-12-06 with strace: 200 commits, no
 * fsync or fdatasync at all.)
 *
 * {@link durablePgliteOptions} turns durability on: Postgres runs with
 * `fsync = on` and `wal_sync_method = fsync` (the one method that reaches a
 * working call), and this file system gives NODEFS the `fsync` it lacks,
 * Node's `fsyncSync` on the file's descriptor. Every commit then syncs its
 * WAL, checkpoints sync the data files, as on a real Postgres.
 */
const WASI_EIO = 29;
const WASI_ENOSPC = 51;

export class DurableNodeFS extends NodeFS {
  private readonly sync: (fd: number) => void;

  /** `options.fsync`: what syncs a descriptor (Node's `fsyncSync`; tests count the calls through it). */
  constructor(dataDir: string, options: { fsync?: (fd: number) => void } = {}) {
    super(dataDir);
    this.sync = options.fsync ?? fsyncSync;
  }

  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]): ReturnType<NodeFS['init']> {
    const { emscriptenOpts } = await super.init(pg, opts);
    const sync = this.sync;
    return {
      emscriptenOpts: {
        ...emscriptenOpts,
        preRun: [
          ...(emscriptenOpts.preRun ?? []),
          (mod: { FS: { filesystems: { NODEFS: { stream_ops: Record<string, unknown> } } } }) => {
            // Emscripten's fd_sync returns this value as the call's errno (WASI numbering): 0 is
            // success. A failure must come back as an errno, not a throw (which would unwind the
            // WASM stack in the middle of Postgres): Postgres then PANICs, as it does on any failed
            // fsync, and the session is stopped (localSession).
            mod.FS.filesystems.NODEFS.stream_ops['fsync'] = (stream: { nfd?: number }): number => {
              if (stream.nfd === undefined) return 0;
              try {
                sync(stream.nfd);
                return 0;
              } catch (err) {
                return (err as NodeJS.ErrnoException).code === 'ENOSPC' ? WASI_ENOSPC : WASI_EIO;
              }
            };
          },
        ],
      },
    };
  }
}

/** PGlite's start parameters with fsync on, WAL synced by fsync(2). */
export const DURABLE_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams.filter((p) => p !== '-F'), '-c', 'fsync=on', '-c', 'wal_sync_method=fsync'];

/**
 * Options for `PGlite.create` that keep a data directory on this machine's
 * disk durable (see {@link DurableNodeFS}); a `memory://` or other
 * scheme-prefixed location is left to PGlite as it is.
 */
export function durablePgliteOptions(dataDir: string): PGliteOptions {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dataDir)) return { dataDir };
  return { fs: new DurableNodeFS(dataDir), startParams: [...DURABLE_START_PARAMS] };
}
