import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from './activation.js';
import { startConstantIngress } from './ingress-host.js';
import { prefillLedger } from './prefill.js';

/** A host under test, however it was started. */
export interface HostHandle {
  readonly description: string;
  readonly target: Target;
  /** Processes whose CPU and RSS (with their descendants) are the host's; empty when unknown. */
  readonly pids: readonly number[];
  /** The host runs in the benchmark's own process, so its CPU cannot be told from the generator's. */
  readonly inProcess: boolean;
  /** Stops what was started (nothing for `target`); resolves when the processes are gone. */
  stop(): Promise<void>;
  /** CPU profiles the host wrote (with `profile`), available after stop. */
  profiles(): string[];
  /** Root of the sources the host was built from (to resolve its source maps). */
  readonly sourceRoot?: string;
  /**
   * Processes outside the host's tree that work only for it (the Postgres backends
   * of its fresh database); read again before each level, as pools grow.
   */
  extraPids(): Promise<number[]>;
}

export interface HostOptions {
  readonly workspaceRoot: string;
  /**
   * `head`: build the apps from the last commit (git archive into a temporary
   * directory), so figures belong to a commit and not to whatever others have
   * half-edited in the working tree; `worktree`: build them in place.
   */
  readonly source: 'head' | 'worktree';
  /** Start the host processes with node --cpu-prof. */
  readonly profile: boolean;
  readonly build: boolean;
  /** Fill the fresh database with this many CMIDs before the measured start (Postgres scenarios). */
  readonly prefill?: number;
  readonly log: (line: string) => void;
}

const prefilled = (opts: HostOptions): string => (opts.prefill === undefined ? '' : `, ledger prefilled with ${opts.prefill} CMIDs in its window`);

/** The schema the apps use when KMSGRID_DB_SCHEMA is unset. */
const DEFAULT_DB_SCHEMA = 'kmsgrid';

/**
 * --prefill: starts `start()` once so the host migrates the fresh database,
 * stops it, and fills the ledger; the caller then starts the host for real.
 */
async function migrateAndPrefill(opts: HostOptions, dbUrl: string, start: () => Promise<Child>): Promise<void> {
  if (opts.prefill === undefined) return;
  opts.log(`prefill: starting the host once to migrate the fresh database`);
  const child = await start();
  await stopChild(child);
  await prefillLedger(dbUrl, DEFAULT_DB_SCHEMA, opts.prefill, opts.log);
}

/** The repository root: this file sits three levels down both as source (tools/kms-bench/src) and bundle (dist/tools/kms-bench). */
export const defaultWorkspaceRoot = (): string => fileURLToPath(new URL('../../../', import.meta.url));

/** A free TCP port on 127.0.0.1 (closed again; the short race is acceptable for a benchmark). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A spawned service with its log file. */
interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<number | null>;
}

function spawnNode(name: string, args: readonly string[], env: NodeJS.ProcessEnv, dir: string, profile: boolean): Child {
  const logFile = join(dir, `${name}.log`);
  const out = createWriteStream(logFile);
  const profArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profiles', name)}`] : [];
  const proc = spawn(process.execPath, [...profArgs, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.pipe(out, { end: false });
  proc.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { name, proc, logFile, exited };
}

const tail = (file: string, lines = 15): string => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
};

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** /readyz answers 200 (or the service has no /readyz route: 404 from a live server). */
const ready = async (httpPort: number): Promise<boolean> => [200, 404].includes(await httpStatus(`http://127.0.0.1:${httpPort}/readyz`, 1000));

function tcpOpen(target: Target, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: target.host, port: target.port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** Waits until `ready()` holds; fails early with the log tail if the child exits. */
async function waitReady(child: Child, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void child.exited.then((c) => (exitCode = c));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${child.name} exited (code ${exitCode}) before ${what}:\n${tail(child.logFile)}`);
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`${child.name}: no ${what} within ${timeoutMs / 1000} s:\n${tail(child.logFile)}`);
}

async function stopChild(child: Child, graceMs = 25_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const stopped = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!stopped) {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

function listProfiles(dir: string): string[] {
  const root = join(dir, 'profiles');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(root, f));
}

function buildApps(root: string, names: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(root, 'tools/build/build.mjs'), ...names, '--quiet'], { cwd: root }, (err, _out, stderr) =>
      err ? reject(new Error(`building ${names.join(', ')} failed: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

const run = (cmd: string, args: readonly string[], cwd: string): Promise<void> =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 * 2 ** 20 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve()));
  });

/** Where the apps a scenario starts are built and run from. */
async function prepareApps(opts: HostOptions, names: readonly string[], dir: string): Promise<string> {
  if (opts.source === 'worktree') {
    if (opts.build) await buildApps(opts.workspaceRoot, names);
    return opts.workspaceRoot;
  }
  const root = join(dir, 'src');
  mkdirSync(root);
  const tar = join(dir, 'head.tar');
  await run('git', ['archive', '--format=tar', '-o', tar, 'HEAD', 'apps', 'libs', 'tools/build', 'tsconfig.base.json', 'package.json'], opts.workspaceRoot);
  await run('tar', ['-xf', tar, '-C', root], dir);
  rmSync(tar);
  symlinkSync(join(opts.workspaceRoot, 'node_modules'), join(root, 'node_modules'));
  await buildApps(root, names);
  return root;
}

/** Removes a scenario's temporary directory, keeping logs and profiles when asked. */
function cleanDir(dir: string, keep: boolean): void {
  rmSync(join(dir, keep ? 'data' : ''), { recursive: true, force: true });
}

function requireBundle(root: string, app: string): string {
  const file = join(root, 'dist/apps', app, 'main.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: does apps/${app} exist at this commit? (or build it: npm run build)`);
  return file;
}

/** Environment for a spawned service: ours minus the variables the scenario decides. */
function serviceEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KMSGRID_') || k === 'DATABASE_URL' || k === 'NATS_URL') delete env[k];
  return { ...env, KMSGRID_LOG_LEVEL: 'warn', ...extra };
}

/** ingress-only in this process: the int test's host (its CPU is the generator's too). */
export async function startIngressInProcess(): Promise<HostHandle> {
  const { server, port } = await startConstantIngress('127.0.0.1', 0);
  return {
    description: `ingress-server in this process, constant decide, 127.0.0.1:${port}`,
    target: { host: '127.0.0.1', port },
    pids: [process.pid],
    inProcess: true,
    stop: () => server.close(2000),
    profiles: () => [],
    extraPids: async () => [],
  };
}

/** The hidden sub-command main.ts runs for a spawned ingress-only host. */
export const INGRESS_HOST_COMMAND = '__ingress-host';

/** ingress-only in a child process (this tool's bundle with {@link INGRESS_HOST_COMMAND}). */
export async function startIngressChild(opts: HostOptions, entry: string): Promise<HostHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'kms-bench-'));
  const port = await freePort();
  const target = { host: '127.0.0.1', port };
  const child = spawnNode('ingress-only', [entry, INGRESS_HOST_COMMAND, `127.0.0.1:${port}`], serviceEnv({}), dir, opts.profile);
  try {
    await waitReady(child, 'KMS listener', () => tcpOpen(target, 500), 20_000);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return {
    description: `ingress-server in a child process (pid ${child.proc.pid}), constant decide, 127.0.0.1:${port}`,
    target,
    pids: [child.proc.pid!],
    inProcess: false,
    async stop() {
      await stopChild(child);
      cleanDir(dir, opts.profile);
    },
    profiles: () => listProfiles(dir),
    extraPids: async () => [],
  };
}

/** Creates a fresh database for one run and drops it afterwards. */
async function freshDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void>; backends: () => Promise<number[]> }> {
  const { default: pg } = await import('pg');
  const name = `kmsbench_${Date.now().toString(36)}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    backends: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      try {
        await c.connect();
        const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
        return r.rows.map((row) => row.pid);
      } catch {
        return [];
      } finally {
        await c.end().catch(() => {});
      }
    },
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * The all-in-one (`dist/apps/kmsgrid/main.js`) on free loopback ports with a fresh
 * data directory (embedded PGlite), or a fresh database on `postgresAdminUrl`.
 */
export async function startAllInOne(opts: HostOptions, postgresAdminUrl: string | undefined): Promise<HostHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'kms-bench-'));
  const root = await prepareApps(opts, ['kmsgrid'], dir);
  const script = requireBundle(root, 'kmsgrid');
  const db = postgresAdminUrl === undefined ? undefined : await freshDatabase(postgresAdminUrl);
  const [port, httpPort] = [await freePort(), await freePort()];
  const target = { host: '127.0.0.1', port };
  const env = serviceEnv({
    KMSGRID_LISTEN: `127.0.0.1:${port}`,
    KMSGRID_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
    KMSGRID_DATA_DIR: join(dir, 'data'),
    ...(db && { DATABASE_URL: db.url }),
  });
  // The all-in-one opens its KMS listener last, once policy and ledger serve: that is readiness.
  const start = async (profile: boolean): Promise<Child> => {
    const c = spawnNode('kmsgrid', [script], env, dir, profile);
    try {
      await waitReady(c, 'KMS listener', () => tcpOpen(target, 500), 300_000);
    } catch (e) {
      await stopChild(c);
      throw e;
    }
    return c;
  };
  let child: Child | undefined;
  const cleanup = async () => {
    if (child !== undefined) await stopChild(child);
    await db?.drop().catch((e: unknown) => opts.log(`could not drop the benchmark database: ${String(e)}`));
  };
  try {
    if (db !== undefined) await migrateAndPrefill(opts, db.url, () => start(false));
    child = await start(opts.profile);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    description: `all-in-one (pid ${child.proc.pid}) on 127.0.0.1:${port}, ${db ? 'Postgres 127.0.0.1:5432 (fresh database)' : 'embedded PGlite (fresh data directory)'}${prefilled(opts)}`,
    target,
    pids: [child.proc.pid!],
    inProcess: false,
    async stop() {
      await cleanup();
      cleanDir(dir, opts.profile);
    },
    profiles: () => listProfiles(dir),
    sourceRoot: root,
    extraPids: async () => (db ? db.backends() : []),
  };
}

/** Apps of split mode, in start order (the ledger first, so the policy finds it). */
export const SPLIT_APPS = ['cmid-ledger', 'activation-policy', 'kms-ingress'] as const;

/** Split mode: ledger, policy and ingress as separate processes over NATS and a fresh Postgres database. */
export async function startSplit(opts: HostOptions, postgresAdminUrl: string, natsUrl: string): Promise<HostHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'kms-bench-'));
  const root = await prepareApps(opts, SPLIT_APPS, dir);
  const scripts = SPLIT_APPS.map((app) => requireBundle(root, app));
  const db = await freshDatabase(postgresAdminUrl);
  const port = await freePort();
  const target = { host: '127.0.0.1', port };
  const children: Child[] = [];
  const cleanup = async () => {
    for (const c of [...children].reverse()) await stopChild(c);
    await db.drop().catch((e: unknown) => opts.log(`could not drop the benchmark database: ${String(e)}`));
  };
  const spawnApp = async (i: number, profile: boolean): Promise<Child> => {
    const app = SPLIT_APPS[i]!;
    const httpPort = await freePort();
    const env = serviceEnv({
      NATS_URL: natsUrl,
      DATABASE_URL: db.url,
      KMSGRID_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      KMSGRID_INSTANCE_ID: `kms-bench-${app}-${process.pid}`,
      ...(app === 'kms-ingress' && { KMSGRID_LISTEN: `127.0.0.1:${port}` }),
    });
    const child = spawnNode(app, [scripts[i]!], env, dir, profile);
    children.push(child);
    await waitReady(child, 'readiness', () => ready(httpPort), 300_000);
    return child;
  };
  try {
    // The ledger (first) migrates the database.
    await migrateAndPrefill(opts, db.url, async () => {
      const c = await spawnApp(0, false);
      children.splice(children.indexOf(c), 1);
      return c;
    });
    for (let i = 0; i < SPLIT_APPS.length; i++) await spawnApp(i, opts.profile);
    await waitReady(children[children.length - 1]!, 'KMS listener', () => tcpOpen(target, 500), 10_000);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    description: `split: ${children.map((c) => `${c.name} (pid ${c.proc.pid})`).join(', ')} over ${natsUrl} and Postgres (fresh database${prefilled(opts)}); ingress 127.0.0.1:${port}`,
    target,
    pids: children.map((c) => c.proc.pid!),
    inProcess: false,
    async stop() {
      await cleanup();
      cleanDir(dir, opts.profile);
    },
    profiles: () => listProfiles(dir),
    sourceRoot: root,
    extraPids: () => db.backends(),
  };
}

/** A host someone else runs; `pids` (from --host-pid) lets its CPU and RSS be read. */
export function existingHost(target: Target, pids: readonly number[]): HostHandle {
  return {
    description: `running host at ${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${pids.length ? ` (pids ${pids.join(', ')})` : ''}`,
    target,
    pids,
    inProcess: false,
    stop: async () => {},
    profiles: () => [],
    extraPids: async () => [],
  };
}
