import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root (apps/kmsgrid/src/e2e/testing -> ../../../../..). */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** Bundles apps/tools into dist/ with the workspace's build script (what `npm run build` does per project). */
export function buildBundles(...names: string[]): void {
  execFileSync(process.execPath, [join(WORKSPACE_ROOT, 'tools/build/build.mjs'), ...names, '--quiet'], { cwd: WORKSPACE_ROOT, stdio: 'pipe' });
}

/** One JSON log line of a kmsgrid service (libs/config createLogger). */
export type LogLine = Readonly<Record<string, unknown> & { msg?: string }>;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A spawned `node dist/.../main.js` with its output collected. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The JSON log lines so far (other lines are kept in `output()` only). */
  logs(): LogLine[];
  /** Resolves with the first log line matching, or rejects after `timeoutMs` (or if the process exits first). */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal if the process still runs. */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL (if still running) and wait for the exit. */
  kill(): Promise<Exit>;
}

const running = new Set<ServiceProcess>();

/**
 * Spawns `node --enable-source-maps dist/<bundle>/main.js` with exactly `env`
 * (plus PATH): nothing of the test process's environment leaks in.
 */
export function spawnBundle(bundle: string, env: Readonly<Record<string, string>>, args: readonly string[] = [], name = bundle): ServiceProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', join(WORKSPACE_ROOT, 'dist', bundle, 'main.js'), ...args], {
    cwd: WORKSPACE_ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  const onData = (b: Buffer) => {
    const s = b.toString('utf8');
    text += s;
    partial += s;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.startsWith('{')) {
        try {
          lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    }
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exitInfo: Exit | undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      running.delete(proc);
      for (const w of waiters) w();
      resolve(exitInfo);
    }),
  );
  const proc: ServiceProcess = {
    name,
    child,
    exited,
    output: () => text,
    logs: () => [...lines],
    waitForLog(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found !== undefined) return done(() => resolve(found));
          if (exitInfo !== undefined) return done(() => reject(new Error(`${name} exited (${JSON.stringify(exitInfo)}) before the log line; output:\n${text}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name}: no such log line within ${timeoutMs} ms; output:\n${text}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    signal(sig) {
      if (exitInfo === undefined) child.kill(sig);
    },
    async kill() {
      if (exitInfo === undefined) child.kill('SIGKILL');
      return exited;
    },
  };
  running.add(proc);
  return proc;
}

/** SIGKILLs every spawned process still running (afterAll, whatever happened). */
export async function killAllSpawned(): Promise<void> {
  await Promise.all([...running].map((p) => {
    p.signal('SIGCONT'); // a process a test left stopped
    return p.kill();
  }));
}

/** `127.0.0.1:1234` -> 1234, from a log line's `address` field. */
export function portOf(line: LogLine): number {
  const m = /:(\d+)$/.exec(String(line['address'] ?? ''));
  if (m === null) throw new Error(`no port in ${JSON.stringify(line)}`);
  return Number(m[1]);
}
