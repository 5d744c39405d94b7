import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free loopback TCP port (bound once and released: good enough on a test machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** True once something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error(`${what}: nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A NATS server of this test alone (JetStream on a temporary store), so it can
 * be killed and restarted without touching the machine's NATS or other tests.
 */
export interface PrivateNats {
  readonly url: string;
  readonly port: number;
  /** kill -9 and wait for the exit. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and store directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it and removes the store. */
  dispose(): Promise<void>;
}

const NATS_SERVER = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';

export async function startPrivateNats(): Promise<PrivateNats> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-faults-nats-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const nats: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async kill9() {
      child?.kill('SIGKILL');
      await exited;
    },
    async start() {
      const c = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let alive = true;
      exited = new Promise((resolve) => c.once('exit', () => ((alive = false), resolve())));
      c.stdout!.on('data', (b: Buffer) => (output += b.toString()));
      c.stderr!.on('data', (b: Buffer) => (output += b.toString()));
      try {
        await waitForPort(port, 15_000, 'nats-server');
      } catch (err) {
        throw new Error(`${(err as Error).message}; alive=${alive}; output:\n${output}`);
      }
    },
    async dispose() {
      await nats.kill9();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await nats.start();
  return nats;
}

/**
 * A PostgreSQL 15 cluster of this test alone (initdb in a temporary directory,
 * run as the `postgres` OS user because initdb refuses root), so it can be
 * restarted in immediate mode without touching the machine's Postgres.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl restart -m <mode>`: `immediate` is a crash (no checkpoint; WAL replay at start). */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /** Stops it (immediate) and removes the cluster. */
  dispose(): Promise<void>;
}

const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

async function asPostgres(cmd: string, args: readonly string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args]] : [join(PG_BIN, cmd), [...args]];
  await run(file, argv, { timeout: 60_000 });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'kmsgrid-faults-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const ctl = (...args: string[]) => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', '-t', '60', ...args]);
  await ctl('start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: (mode) => ctl('restart', '-m', mode),
    async dispose() {
      await ctl('stop', '-m', 'immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
