import { performance } from 'node:perf_hooks';
import { buildCorpus, type FuzzCorpus } from './corpus.js';
import { Prng } from './prng.js';
import { Recorder, describeError, type DecoderStats } from './recorder.js';
import { FUZZ_TARGETS, type FuzzCase, type FuzzTarget } from './targets.js';

export interface FuzzOptions {
  readonly seed: number;
  /** Number of inputs (each goes to one target). */
  readonly count: number;
  /** First input index (to resume or shard a run). */
  readonly start?: number;
  /** An input taking more CPU time than this (on three tries) is reported as a hang. */
  readonly maxInputMs?: number;
  /** The whole run fails when it takes longer than this. */
  readonly maxTotalMs?: number;
  /** Called every 1,000 inputs with the next index (a watchdog can spot a stuck input from it). */
  readonly onProgress?: (nextIndex: number) => void;
  readonly corpus?: FuzzCorpus;
}

export interface FuzzFinding {
  readonly index: number;
  readonly target: string;
  readonly kind: 'exception' | 'slow' | 'run-time';
  readonly message: string;
  /** The input, hex; regenerate it with `--only <index>` and the same seed. */
  readonly input: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly start: number;
  readonly count: number;
  readonly elapsedMs: number;
  readonly inputsByTarget: Readonly<Record<string, number>>;
  readonly decoders: Readonly<Record<string, DecoderStats>>;
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** How many findings there were (only the first 20 are kept in `findings`). */
  readonly findingCount: number;
  readonly findings: readonly FuzzFinding[];
  readonly slowest: { readonly index: number; readonly target: string; readonly ms: number };
}

const TOTAL_WEIGHT = FUZZ_TARGETS.reduce((n, t) => n + t.weight, 0);

function pickTarget(p: Prng): FuzzTarget {
  let r = p.int(TOTAL_WEIGHT);
  for (const t of FUZZ_TARGETS) {
    r -= t.weight;
    if (r < 0) return t;
  }
  return FUZZ_TARGETS[FUZZ_TARGETS.length - 1]!;
}

/** Input `index` of the run seeded with `seed`, regenerated on its own. */
export function fuzzCase(seed: number, index: number, corpus: FuzzCorpus): FuzzCase {
  const p = Prng.forInput(seed, index);
  return pickTarget(p).make(p, corpus);
}

/**
 * Runs `c` once; the recorder gets its outcomes. Timed in process CPU time, not
 * wall time: a hang burns CPU, while a loaded machine (CI, the load tests next
 * door) only stretches wall time.
 */
function timed(c: FuzzCase, rec: Recorder): { ms: number; error?: unknown } {
  const t0 = process.cpuUsage();
  const ms = () => {
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000;
  };
  try {
    c.run(rec);
    return { ms: ms() };
  } catch (error) {
    return { ms: ms(), error };
  }
}

/**
 * Feeds `count` generated inputs to the decoders and state machines of this
 * library (see targets.ts). A finding is an exception other than
 * KmsProtocolError, a broken invariant, or an input taking more than
 * `maxInputMs` of CPU on three tries in a row (one slow try is usually a GC
 * pause). Deterministic for a given seed.
 */
export function runFuzz(opts: FuzzOptions): FuzzReport {
  const corpus = opts.corpus ?? buildCorpus();
  const start = opts.start ?? 0;
  const maxInputMs = opts.maxInputMs ?? 50;
  const maxTotalMs = opts.maxTotalMs ?? Number.POSITIVE_INFINITY;
  const rec = new Recorder();
  const quiet = new Recorder(false);
  const inputsByTarget: Record<string, number> = Object.fromEntries(FUZZ_TARGETS.map((t) => [t.name, 0]));
  const findings: FuzzFinding[] = [];
  let findingCount = 0;
  let slowest = { index: -1, target: '', ms: 0 };
  const add = (f: FuzzFinding) => {
    findingCount++;
    if (findings.length < 20) findings.push(f);
  };
  const t0 = performance.now();
  for (let i = start; i < start + opts.count; i++) {
    if ((i - start) % 1000 === 0) {
      opts.onProgress?.(i);
      if (performance.now() - t0 > maxTotalMs) {
        add({ index: i, target: '', kind: 'run-time', message: `run exceeded ${maxTotalMs} ms after ${i - start} inputs`, input: '' });
        break;
      }
    }
    const c = fuzzCase(opts.seed, i, corpus);
    inputsByTarget[c.target] = (inputsByTarget[c.target] ?? 0) + 1;
    const first = timed(c, rec);
    if (first.error !== undefined) {
      add({ index: i, target: c.target, kind: 'exception', message: describeError(first.error), input: c.describe() });
      continue;
    }
    let ms = first.ms;
    for (let k = 0; k < 2 && ms > maxInputMs; k++) ms = Math.min(ms, timed(c, quiet).ms);
    if (ms > slowest.ms) slowest = { index: i, target: c.target, ms };
    if (ms > maxInputMs) add({ index: i, target: c.target, kind: 'slow', message: `${ms.toFixed(1)} ms > ${maxInputMs} ms`, input: c.describe() });
  }
  opts.onProgress?.(start + opts.count);
  return {
    seed: opts.seed,
    start,
    count: opts.count,
    elapsedMs: performance.now() - t0,
    inputsByTarget,
    decoders: Object.fromEntries([...rec.decoders].sort(([a], [b]) => a.localeCompare(b))),
    errorsByCode: Object.fromEntries([...rec.codes].sort((a, b) => b[1] - a[1])),
    findingCount,
    findings,
    slowest,
  };
}

/** The report as text: seed, count, per-target and per-decoder counts, error histogram, time, findings. */
export function formatReport(r: FuzzReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `kms-protocol fuzz: seed ${r.seed} (0x${(r.seed >>> 0).toString(16)}), inputs ${n(r.count)} (indices ${n(r.start)}..${n(r.start + r.count - 1)})`,
    `time ${(r.elapsedMs / 1000).toFixed(1)} s, ${n(Math.round(r.count / (r.elapsedMs / 1000)))} inputs/s, slowest input #${r.slowest.index} (${r.slowest.target}) ${r.slowest.ms.toFixed(2)} ms CPU`,
    'inputs by target:',
    ...Object.entries(r.inputsByTarget).map(([k, v]) => `  ${k.padEnd(34)} ${n(v).padStart(11)}`),
    'decoder / step calls (ok, rejected with KmsProtocolError):',
    ...Object.entries(r.decoders).map(
      ([k, s]) => `  ${k.padEnd(34)} ${n(s.calls).padStart(11)}  ok ${n(s.ok).padStart(10)}  rejected ${n(s.rejected).padStart(10)}`,
    ),
    'KmsProtocolError codes (thrown or reported in close/error events):',
    ...Object.entries(r.errorsByCode).map(([k, v]) => `  ${k.padEnd(34)} ${n(v).padStart(11)}`),
    r.findingCount === 0
      ? 'findings: none (no escaping exception, no broken invariant, no slow input)'
      : `FINDINGS: ${r.findingCount}`,
    ...r.findings.map((f) => `  #${f.index} ${f.target} ${f.kind}: ${f.message}\n    input: ${f.input.slice(0, 4000)}`),
  ];
  return lines.join('\n');
}
