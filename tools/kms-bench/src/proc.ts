import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/<pid>/stat the benchmark uses (proc(5)); times in clock ticks. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly utime: number;
  readonly stime: number;
  /** User and system time of waited-for children (so a reaped child's CPU is not lost). */
  readonly cutime: number;
  readonly cstime: number;
  readonly numThreads: number;
  /** Resident set in pages. */
  readonly rssPages: number;
}

/**
 * Parses one /proc/<pid>/stat line. `comm` is in parentheses and may itself hold
 * spaces and parentheses, so fields are counted from the last `)`. Undefined for
 * text that is not a stat line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const field = (n: number): number => Number(rest[n - 3]);
  if (!Number.isInteger(pid) || rest.length < 22) return undefined;
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    numThreads: field(20),
    rssPages: field(24),
  };
  const numbers = [stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime, stat.numThreads, stat.rssPages];
  return numbers.every((n) => Number.isFinite(n)) ? stat : undefined;
}

/** VmRSS and VmHWM (peak) from /proc/<pid>/status, in kB; undefined when absent (kernel threads, zombies). */
export function parseProcStatus(text: string): { readonly rssKb: number; readonly hwmKb: number } | undefined {
  const kb = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const rssKb = kb('VmRSS');
  const hwmKb = kb('VmHWM');
  return rssKb === undefined || hwmKb === undefined ? undefined : { rssKb, hwmKb };
}

/** CPU ticks a process has used, its own threads and its reaped children included. */
export const cpuTicksOf = (s: ProcStat): number => s.utime + s.stime + s.cutime + s.cstime;
/** The kernel's part of {@link cpuTicksOf}: system time, reaped children included. */
export const systemTicksOf = (s: ProcStat): number => s.stime + s.cstime;

/**
 * The processes of `roots` and all their descendants, from a list of stat lines
 * (one per live process). Pure: the caller reads /proc.
 */
export function processTree(all: readonly ProcStat[], roots: readonly number[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of all) {
    const list = children.get(s.ppid);
    if (list) list.push(s);
    else children.set(s.ppid, [s]);
  }
  const byPid = new Map(all.map((s) => [s.pid, s]));
  const out: ProcStat[] = [];
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const s = byPid.get(pid);
    if (s) out.push(s);
    for (const c of children.get(pid) ?? []) stack.push(c.pid);
  }
  return out;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process or thread went away between listing and reading
  }
}

/** Stat of one process, or undefined when it is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** Every live process's stat (for finding descendants). */
export function readAllProcStats(): ProcStat[] {
  const out: ProcStat[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Per-thread CPU ticks of a process, named by thread (`node`, `V8Worker`, `libuv-worker`...). */
export function readThreadTicks(pid: number): { readonly tid: number; readonly name: string; readonly ticks: number }[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: { tid: number; name: string; ticks: number }[] = [];
  for (const t of tids) {
    const text = readText(`/proc/${pid}/task/${t}/stat`);
    const s = text === undefined ? undefined : parseProcStat(text);
    if (s) out.push({ tid: s.pid, name: s.comm, ticks: s.utime + s.stime });
  }
  return out;
}

let clockTicks: number | undefined;
/** Clock ticks per second (sysconf(_SC_CLK_TCK)); 100 on every common Linux when getconf is missing. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** A sample of a process tree: total CPU ticks and RSS, with the pids it covered. */
export interface TreeSample {
  readonly ticks: number;
  /** The part of `ticks` spent in the kernel (system time). */
  readonly systemTicks: number;
  readonly rssKb: number;
  readonly pids: readonly number[];
  /** Ticks by process name (`node`, `postgres`), for telling the host's parts apart. */
  readonly ticksByName: ReadonlyMap<string, number>;
}

/** Summed VmRSS of exactly these pids (no descendant search: cheap enough for a timer). */
export function rssOf(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    const status = readText(`/proc/${pid}/status`);
    kb += (status === undefined ? undefined : parseProcStatus(status))?.rssKb ?? 0;
  }
  return kb;
}

/** Reads the CPU ticks and RSS of `roots` and their descendants now. */
export function sampleTree(roots: readonly number[]): TreeSample {
  const tree = processTree(readAllProcStats(), roots);
  let ticks = 0;
  let systemTicks = 0;
  let rssKb = 0;
  const ticksByName = new Map<string, number>();
  for (const s of tree) {
    ticks += cpuTicksOf(s);
    systemTicks += systemTicksOf(s);
    ticksByName.set(s.comm, (ticksByName.get(s.comm) ?? 0) + cpuTicksOf(s));
    const status = readText(`/proc/${s.pid}/status`);
    rssKb += (status === undefined ? undefined : parseProcStatus(status))?.rssKb ?? 0;
  }
  return { ticks, systemTicks, rssKb, pids: tree.map((s) => s.pid), ticksByName };
}
