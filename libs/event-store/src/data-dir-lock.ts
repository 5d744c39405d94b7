import { createHash } from 'node:crypto';
import { realpath, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';

/** Another live process holds the data directory. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

/** A held data directory; release it after the database is closed. */
export type DataDirLock = Readonly<{ release(): Promise<void> }>;

/**
 * Where the lock of a data directory listens. On Linux an abstract socket
 * and on Windows a named pipe, named after the directory's real path: the
 * kernel frees both when their process ends, however it ends, so binding is
 * the whole test and a crashed holder leaves nothing behind. Elsewhere a
 * socket file in the directory, which a crash leaves behind (see
 * {@link lockDataDir}).
 */
export function lockAddress(dir: string, platform: NodeJS.Platform = process.platform): { path: string; file: boolean } {
  const name = `kmsgrid-data-dir-${createHash('sha256').update(dir).digest('hex').slice(0, 40)}`;
  if (platform === 'linux') return { path: `\0${name}`, file: false };
  if (platform === 'win32') return { path: `\\\\.\\pipe\\${name}`, file: false };
  return { path: join(dir, '.kmsgrid.lock'), file: true };
}

/**
 * Takes the data directory of an embedded database for this process, or
 * fails with {@link DataDirInUseError} naming the process that has it.
 *
 * PGlite runs Postgres in single-user mode, whose lock file does not keep
 * a second process out (it holds a made-up pid): two all-in-ones started on
 * one `KMSGRID_DATA_DIR` would both open the database, both elect
 * themselves the ledger's single writer and write the same files. The lock
 * is a local socket the holder listens on (answering its pid): binding it
 * succeeds only while nobody else listens. A socket file left by a crashed
 * holder (platforms without abstract sockets) answers no connection and is
 * replaced. Same machine only: on a volume shared between machines or
 * network namespaces each side would take its own lock.
 *
 * @example
 * const lock = await lockDataDir(dataDir);
 * try { ... } finally { await lock.release(); }
 */
export async function lockDataDir(dataDir: string, platform: NodeJS.Platform = process.platform): Promise<DataDirLock> {
  const dir = await realpath(dataDir);
  const { path, file } = lockAddress(dir, platform);
  for (let attempt = 1; ; attempt++) {
    const server = createServer((socket) => socket.end(`${process.pid}\n`));
    try {
      await listen(server, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      const holder = await askHolder(path);
      if (holder !== undefined || !file || attempt > 1) {
        throw new DataDirInUseError(`the data directory ${dir} is in use by another process${holder ? ` (pid ${holder})` : ''}: stop it first, or give this one its own KMSGRID_DATA_DIR`);
      }
      // A socket file nobody listens on: its holder ended without removing it.
      await unlink(path).catch(() => undefined);
      continue;
    }
    server.unref();
    return {
      release: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (file) await unlink(path).catch(() => undefined);
      },
    };
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The pid the holder answers with; undefined when nobody listens there. */
function askHolder(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let connected = false;
    let answer = '';
    socket.setEncoding('utf8');
    // A holder too busy to answer still holds: only a refused connection means nobody listens.
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('connect', () => (connected = true));
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(connected ? answer.trim() || 'unknown' : undefined));
  });
}
