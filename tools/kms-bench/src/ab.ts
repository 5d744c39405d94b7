import type { BenchOptions } from './args.js';
import { runBench, type BenchDeps, type BenchReport, type LevelReport } from './bench.js';
import { describeMachine } from './machine.js';
import { fmt as f, hostOverGenerator, table } from './report.js';

/** The two builds an A/B run compares: A is the last commit, B the working tree. */
export type AbSide = 'head' | 'worktree';

/** One pair: both builds measured back to back, `first` going first. */
export interface AbPair {
  readonly first: AbSide;
  readonly head: BenchReport;
  readonly worktree: BenchReport;
}

/** B over A of one level in one pair (or the median, least, greatest over the pairs). */
export interface AbRatios {
  readonly rate?: number;
  readonly p99?: number;
  readonly hostCpu?: number;
  readonly hostOverGen?: number;
}

export interface AbLevelSummary {
  readonly concurrency: number;
  /** Pairs that measured this level on both sides. */
  readonly pairs: number;
  readonly median: AbRatios;
  readonly min: AbRatios;
  readonly max: AbRatios;
}

export interface AbReport {
  readonly tool: 'kms-bench';
  readonly mode: 'ab';
  readonly label: string;
  readonly command: string;
  readonly pairs: readonly AbPair[];
  readonly levels: readonly AbLevelSummary[];
  /** Set when a run stopped early; the pairs before it are kept. */
  readonly aborted?: string;
}

const RATIO_KEYS = ['rate', 'p99', 'hostCpu', 'hostOverGen'] as const;

const ratio = (b: number | undefined, a: number | undefined): number | undefined => (a === undefined || b === undefined || a <= 0 ? undefined : b / a);

/** B over A of one level. */
export function levelRatios(head: BenchReport, a: LevelReport, worktree: BenchReport, b: LevelReport): AbRatios {
  return {
    rate: ratio(b.rate, a.rate),
    p99: ratio(b.latencyMs.p99, a.latencyMs.p99),
    hostCpu: ratio(b.hostCpuUsPerActivation, a.hostCpuUsPerActivation),
    hostOverGen: ratio(hostOverGenerator(worktree, b), hostOverGenerator(head, a)),
  };
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per concurrency: the median, least and greatest B/A over the pairs. Pure. */
export function summarizeAb(pairs: readonly AbPair[]): AbLevelSummary[] {
  const levels = pairs[0]?.head.levels.map((l) => l.concurrency) ?? [];
  return levels.map((concurrency) => {
    const ratios: AbRatios[] = [];
    for (const p of pairs) {
      const a = p.head.levels.find((l) => l.concurrency === concurrency);
      const b = p.worktree.levels.find((l) => l.concurrency === concurrency);
      if (a !== undefined && b !== undefined) ratios.push(levelRatios(p.head, a, p.worktree, b));
    }
    const pick = (f: (v: number[]) => number | undefined): AbRatios =>
      Object.fromEntries(
        RATIO_KEYS.map((k) => [k, f(ratios.map((r) => r[k]).filter((v): v is number => v !== undefined))] as const).filter(([, v]) => v !== undefined),
      );
    return {
      concurrency,
      pairs: ratios.length,
      median: pick(median),
      min: pick((v) => (v.length === 0 ? undefined : Math.min(...v))),
      max: pick((v) => (v.length === 0 ? undefined : Math.max(...v))),
    };
  });
}

/**
 * `--ab N`: N pairs of runs of the scenario, one built from the last commit
 * (A) and one from the working tree (B), back to back, the order
 * alternating from pair to pair so that a machine slowing down or speeding
 * up during the series favours neither. Both sides use the same workload
 * seed. On a shared VM whose speed drifts by tens of percent between
 * minutes, the ratios of a pair say more than any single figure.
 */
export async function runAb(options: BenchOptions, deps: BenchDeps, run: typeof runBench = runBench): Promise<AbReport> {
  const n = options.abPairs ?? 1;
  const pairs: AbPair[] = [];
  let worktreeBuilt = false;
  let aborted: string | undefined;
  outer: for (let i = 0; i < n; i++) {
    const order: readonly AbSide[] = i % 2 === 0 ? ['head', 'worktree'] : ['worktree', 'head'];
    const got: Partial<Record<AbSide, BenchReport>> = {};
    for (const side of order) {
      deps.log(`pair ${i + 1} of ${n}: ${side === 'head' ? 'A, the last commit' : 'B, the working tree'}`);
      // The working tree is built once: later runs of B must measure the same build.
      const report = await run({ ...options, source: side, build: side === 'head' || !worktreeBuilt }, deps);
      if (side === 'worktree') worktreeBuilt = true;
      if (report.aborted !== undefined) {
        aborted = `pair ${i + 1}, ${side === 'head' ? 'A' : 'B'}: ${report.aborted}`;
        break outer;
      }
      got[side] = report;
    }
    pairs.push({ first: order[0]!, head: got.head!, worktree: got.worktree! });
  }
  const label = pairs[0]?.head.label ?? options.scenario;
  return { tool: 'kms-bench', mode: 'ab', label, command: deps.command, pairs, levels: summarizeAb(pairs), ...(aborted !== undefined && { aborted }) };
}

/** The human-readable A/B report. */
export function formatAb(r: AbReport): string {
  const first = r.pairs[0];
  const lines = [
    `kms-bench A/B, ${r.label}: A = commit ${first?.head.commit ?? '?'}, B = working tree ${first?.worktree.commit ?? '?'}, ${r.pairs.length} pair(s)`,
    ...(first ? [`machine: ${describeMachine(first.head.machine)}`] : []),
    `command: ${r.command}`,
    ...(first ? [`workload: seed ${first.head.workload.seed}, warm-up ${first.head.workload.warmupS} s, measured ${first.head.workload.durationS} s per level`] : []),
    '',
  ];
  const header = ['conc', 'pair', 'first', 'A act/s', 'B act/s', 'A p99 ms', 'B p99 ms', 'A host us/act', 'B host us/act', 'A host/gen', 'B host/gen', 'errors A/B'];
  const rows: string[][] = [];
  for (const s of r.levels) {
    r.pairs.forEach((p, i) => {
      const a = p.head.levels.find((l) => l.concurrency === s.concurrency);
      const b = p.worktree.levels.find((l) => l.concurrency === s.concurrency);
      if (a === undefined || b === undefined) return;
      rows.push([
        String(s.concurrency),
        String(i + 1),
        p.first === 'head' ? 'A' : 'B',
        f(a.rate, 0),
        f(b.rate, 0),
        f(a.latencyMs.p99, 1),
        f(b.latencyMs.p99, 1),
        f(a.hostCpuUsPerActivation, 1),
        f(b.hostCpuUsPerActivation, 1),
        f(hostOverGenerator(p.head, a), 2),
        f(hostOverGenerator(p.worktree, b), 2),
        `${a.errorTotal}/${b.errorTotal}`,
      ]);
    });
  }
  lines.push(table([header, ...rows]), '');
  for (const s of r.levels) {
    const cell = (k: (typeof RATIO_KEYS)[number]) => `${f(s.median[k], 3)} (${f(s.min[k], 2)}-${f(s.max[k], 2)})`;
    lines.push(
      `c=${s.concurrency}, B/A median (range) over ${s.pairs} pair(s): act/s ${cell('rate')}, p99 ${cell('p99')}, host CPU/act ${cell('hostCpu')}, host/gen ${cell('hostOverGen')}`,
    );
  }
  if (r.aborted !== undefined) lines.push(`ABORTED: ${r.aborted}`);
  return lines.join('\n');
}
