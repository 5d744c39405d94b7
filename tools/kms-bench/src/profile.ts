import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultWorkspaceRoot } from './hosts.js';
import { SourceMap } from './sourcemap.js';

/** The parts of a V8 .cpuprofile the summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  /** Microseconds on the monotonic clock (the one process.hrtime reads). */
  readonly startTime: number;
}

/** A span of the monotonic clock in microseconds (process.hrtime.bigint() / 1000). */
export interface TimeWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

export interface ProfileRow {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time. */
  readonly percent: number;
}

/** Where one process spent its busy time. */
export interface ProcessProfile {
  readonly process: string;
  readonly file: string;
  readonly busyMs: number;
  readonly idleMs: number;
  /** Self time by area (crypto, RPC, NATS, Postgres, GC ...). */
  readonly categories: readonly ProfileRow[];
  /** Self time by function, with its source location. */
  readonly functions: readonly ProfileRow[];
  /** Inclusive time of the frames that mark the hot path's stages. */
  readonly stages: readonly ProfileRow[];
  /** Inclusive time of the workspace's own functions (libs/, apps/): which of our code the time is under. */
  readonly workspace: readonly ProfileRow[];
}

export interface ProfileSummary {
  readonly processes: readonly ProcessProfile[];
}

/** Areas by source path (after source maps) or URL; first match wins. */
const AREAS: readonly [RegExp, string][] = [
  [/libs\/kms-protocol\/src\/crypto\//, 'KMS crypto (AES, CMAC, HMAC, SHA-256)'],
  [/libs\/kms-protocol\/src\/kms\//, 'KMS message codec'],
  [/libs\/kms-protocol\/src\/(rpc|ndr|wire)\//, 'RPC/NDR framing and wire helpers'],
  [/libs\/ingress-server\//, 'ingress connection handling'],
  [/libs\/policy-(domain|service)\//, 'policy'],
  [/libs\/ledger-(domain|service)\//, 'ledger'],
  [/libs\/event-store\//, 'event store'],
  [/libs\/transport\/|node_modules\/nats\//, 'NATS and transport'],
  [/node_modules\/(pg|pg-protocol|pg-pool|pg-types|kysely)\//, 'Postgres client (pg, kysely)'],
  [/node_modules\/@electric-sql\//, 'PGlite (embedded Postgres, WASM)'],
  [/libs\/telemetry\/|node_modules\/@opentelemetry\//, 'tracing (OpenTelemetry)'],
  [/libs\/contracts\/|node_modules\/@sinclair\//, 'contracts (schemas, JSON)'],
  [/node_modules\/(fastify|@fastify|light-my-request|find-my-way|pino)/, 'HTTP (fastify)'],
  [/^node:(net|stream|internal\/(net|stream|streams|tcp|dns|socket|js_stream))|^node:internal\/(net|stream_base)/, 'node sockets and streams'],
  [/^node:internal\/crypto|^node:crypto/, 'node crypto bindings'],
  [/^node:internal\/(timers|process\/task_queues|async_hooks|event_target)|^node:(timers|events)|^node:internal\/events/, 'node timers, events, promises'],
  [/^node:/, 'node internals (other)'],
];

/**
 * Stage frames (function name, optionally URL): inclusive time says how much of
 * the host's CPU each step of an activation takes.
 */
const STAGES: readonly (readonly [RegExp, string, RegExp?])[] = [
  [/^decodeKmsRequest$/, 'decode + verify request (decodeKmsRequest)'],
  [/^encodeKmsResponse$/, 'encode + encrypt response (encodeKmsResponse)'],
  [/^(receive|respond)$/, 'RPC server state machine (receive/respond)'],
  [/^(createRpcClient|call|request)$/, 'transport request (call/request)'],
  [/^(append|appendMany|appendBatch|withTransaction|transaction)$/, 'event store append / transaction'],
  [/^(decideActivation|decide)$/, 'policy decide'],
  [/^query$/, 'pg client query (send, parse reply)', /node_modules\/pg\//],
  [/^handleData$/, 'PGlite socket server: one message batch (inclusive)', /pglite-socket/],
  [/^execProtocolRaw(Sync|Stream)?$/, 'PGlite executes SQL (execProtocolRaw)', /pglite/],
  [/^syncToFs$/, 'PGlite writes its files (syncToFs: durability)', /pglite/],
  [/^(processMsg|publish|request)$/, 'NATS client (publish/processMsg)', /node_modules\/nats\//],
];

/**
 * The area of a frame from its source location (after source maps) and, for
 * packages that ship their own maps (PGlite), its URL.
 */
export function areaOf(location: string, functionName: string, url = ''): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (location === '') return 'builtins / native';
  // The only WebAssembly in these processes is PGlite's Postgres.
  if (url.startsWith('wasm://') || location.startsWith('wasm://')) return 'PGlite (embedded Postgres, WASM)';
  for (const [re, name] of AREAS) if (re.test(location) || (url !== '' && re.test(url))) return name;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(location);
  if (pkg) return `package ${pkg[1]}`;
  const project = /^(libs|apps|tools)\/([^/]+)\//.exec(location);
  if (project) return `${project[1]}/${project[2]}`;
  return 'other';
}

const rows = (m: Map<string, number>, busy: number, limit: number): ProfileRow[] =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0 }));

/**
 * Summarizes one profile: self time by area and function, and inclusive time of
 * stage frames. `locate` turns a frame into a source location (source maps).
 */
export function summarizeProfile(
  profile: CpuProfile,
  locate: (url: string, line: number, column: number) => string,
  meta: { process: string; file: string },
  windows: readonly TimeWindow[] = [],
): ProcessProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  // Only samples inside the measured windows count (start-up and warm-up are not the hot path).
  const inWindow = (t: number) => windows.length === 0 || windows.some((w) => t >= w.fromUs && t <= w.toUs);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    t += dt;
    if (inWindow(t)) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const loc = new Map<number, string>();
  const locationOf = (id: number): string => {
    let l = loc.get(id);
    if (l === undefined) {
      const cf = byId.get(id)!.callFrame;
      l = cf.url === '' ? '' : locate(cf.url, cf.lineNumber, cf.columnNumber);
      loc.set(id, l);
    }
    return l;
  };
  let idle = 0;
  let busy = 0;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  const stages = new Map<string, number>();
  const workspace = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    if (cf.functionName === '(root)') continue;
    busy += us;
    const where = locationOf(id);
    const area = areaOf(where, cf.functionName, cf.url);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    // Inclusive stage time: charge each stage once per sample, at its outermost frame.
    const hit = new Set<string>();
    const ours = new Set<string>();
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      const { functionName: name, url } = byId.get(p)!.callFrame;
      for (const [re, stage, urlRe] of STAGES) if (re.test(name) && (urlRe === undefined || urlRe.test(url))) hit.add(stage);
      const at = url === '' ? '' : locationOf(p);
      if (/^(libs|apps)\//.test(at)) ours.add(`${name || '(anonymous)'} ${at}`);
    }
    for (const s of hit) stages.set(s, (stages.get(s) ?? 0) + us);
    for (const w of ours) workspace.set(w, (workspace.get(w) ?? 0) + us);
  }
  return {
    process: meta.process,
    file: meta.file,
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    categories: rows(areas, busy, 20),
    functions: rows(fns, busy, 25),
    stages: rows(stages, busy, STAGES.length),
    workspace: rows(workspace, busy, 20),
  };
}

/**
 * Reads .cpuprofile files (profiles/<process>/CPU.*.cpuprofile) and summarizes
 * each through source maps, counting only samples inside `windows` (all when empty).
 */
export function summarizeProfiles(files: readonly string[], windows: readonly TimeWindow[] = [], root = defaultWorkspaceRoot()): ProfileSummary {
  const maps = new Map<string, SourceMap | undefined>();
  const locate = (url: string, line: number, column: number): string => {
    if (!url.startsWith('file://')) return url;
    const file = fileURLToPath(url);
    if (!maps.has(file)) maps.set(file, SourceMap.forFile(file, root));
    const pos = maps.get(file)?.lookup(line, column);
    if (pos) return `${pos.source}:${pos.line}`;
    return `${file.startsWith(root) ? file.slice(root.length) : file}:${line + 1}`;
  };
  return {
    processes: files.map((file) => {
      const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      return summarizeProfile(profile, locate, { process: basename(dirname(file)), file }, windows);
    }),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const out: string[] = [];
  for (const p of s.processes) {
    out.push(`profile of ${p.process}: ${p.busyMs} ms busy, ${p.idleMs} ms idle (${p.file})`);
    out.push('  by area (self time):');
    for (const r of p.categories) out.push(`    ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`);
    out.push('  stages (inclusive):');
    for (const r of p.stages) out.push(`    ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`);
    out.push('  workspace functions (inclusive):');
    for (const r of p.workspace) out.push(`    ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`);
    out.push('  hottest functions (self time):');
    for (const r of p.functions) out.push(`    ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`);
  }
  return out.join('\n');
}
