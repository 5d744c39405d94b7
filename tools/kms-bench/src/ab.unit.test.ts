import { describe, expect, it } from 'vitest';
import { ERROR_KINDS } from './activation.js';
import { formatAb, runAb, summarizeAb, type AbPair } from './ab.js';
import { parseArgs, type BenchOptions } from './args.js';
import type { BenchReport, LevelReport } from './bench.js';

const errors = Object.fromEntries(ERROR_KINDS.map((k) => [k, 0])) as LevelReport['errors'];

function level(concurrency: number, rate: number, p99: number, hostCpu: number, genCpu: number): LevelReport {
  return {
    concurrency,
    durationS: 10,
    activations: rate * 10,
    rate,
    latencyMs: { p50: p99 / 2, p95: p99 * 0.9, p99, max: p99 * 2, mean: p99 / 2 },
    errors,
    errorTotal: 0,
    hresults: {},
    errorSamples: {},
    hostCpuUsPerActivation: hostCpu,
    hostCpuPercent: 100,
    generatorCpuUsPerActivation: genCpu,
    generatorCpuPercent: 50,
    maxCount: 50,
  };
}

function report(commit: string, levels: LevelReport[], aborted?: string): BenchReport {
  return {
    tool: 'kms-bench',
    scenario: 'all-in-one',
    label: 'all-in-one on PGlite',
    startedAt: '2026-12-06T10:00:00.000Z',
    machine: { cpuModel: 'EPYC', cores: 2, node: 'v20.20.2', kernel: 'Linux 6.1', memoryGb: 24, loadAverage: 1 },
    commit,
    command: 'npm run bench -- all-in-one --ab 2',
    host: { description: 'all-in-one (pid 1)', pids: [1], processes: [], inProcess: false },
    workload: { mix: 'v6:1', products: 'client:1', pool: 100, seed: 7, threads: 1, warmupS: 2, durationS: 10, timeoutS: 5 },
    levels,
    windows: [],
    ...(aborted !== undefined && { aborted }),
  };
}

const options = (argv: string[]): BenchOptions => {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error(JSON.stringify(r));
  return r.options;
};

describe('summarizeAb', () => {
  it('gives B over A per level: median, least and greatest over the pairs', () => {
    const pair = (a: LevelReport, b: LevelReport): AbPair => ({ first: 'head', head: report('a', [a]), worktree: report('b', [b]) });
    const pairs = [
      pair(level(64, 1000, 50, 500, 250), level(64, 1100, 40, 450, 250)),
      pair(level(64, 2000, 40, 400, 200), level(64, 2400, 40, 300, 200)),
      pair(level(64, 1500, 50, 600, 200), level(64, 1500, 60, 600, 300)),
    ];
    const [s] = summarizeAb(pairs);
    expect(s!.concurrency).toBe(64);
    expect(s!.pairs).toBe(3);
    expect(s!.median.rate).toBeCloseTo(1.1);
    expect(s!.min.rate).toBeCloseTo(1.0);
    expect(s!.max.rate).toBeCloseTo(1.2);
    expect(s!.median.p99).toBeCloseTo(1.0);
    expect(s!.median.hostCpu).toBeCloseTo(0.9);
    // host/gen: 1.8/2, 1.5/2, 2/3
    expect(s!.median.hostOverGen).toBeCloseTo(0.75);
    expect(s!.min.hostOverGen).toBeCloseTo(2 / 3);
  });

  it('leaves out a ratio nobody could measure (no host CPU for a target)', () => {
    const a = { ...level(8, 100, 10, 1, 1), hostCpuUsPerActivation: undefined };
    const [s] = summarizeAb([{ first: 'head', head: report('a', [a]), worktree: report('b', [level(8, 200, 10, 1, 1)]) }]);
    expect(s!.median).toEqual({ rate: 2, p99: 1 });
  });
});

describe('runAb', () => {
  it('alternates which build goes first, builds the working tree once and keeps one workload seed', async () => {
    const calls: { source: string; build: boolean; seed: number }[] = [];
    const ab = await runAb(options(['split', '--ab', '3', '--concurrency', '64', '--seed', '9']), { log: () => {}, command: 'x' }, async (o) => {
      calls.push({ source: o.source, build: o.build, seed: o.seed });
      return report(o.source === 'head' ? 'abc' : 'abc +1 uncommitted', [level(64, o.source === 'head' ? 1000 : 1200, 50, 500, 250)]);
    });
    expect(calls.map((c) => c.source)).toEqual(['head', 'worktree', 'worktree', 'head', 'head', 'worktree']);
    expect(calls.map((c) => c.build)).toEqual([true, true, false, true, true, false]);
    expect(new Set(calls.map((c) => c.seed))).toEqual(new Set([9]));
    expect(ab.pairs.map((p) => p.first)).toEqual(['head', 'worktree', 'head']);
    expect(ab.levels[0]!.median.rate).toBeCloseTo(1.2);
    const text = formatAb(ab);
    expect(text).toContain('A = commit abc, B = working tree abc +1 uncommitted, 3 pair(s)');
    expect(text).toContain('c=64, B/A median (range) over 3 pair(s): act/s 1.200 (1.20-1.20)');
  });

  it('stops at a run that aborted and says which, keeping the pairs before it', async () => {
    let n = 0;
    const ab = await runAb(options(['all-in-one', '--ab', '2', '--concurrency', '8']), { log: () => {}, command: 'x' }, async () =>
      ++n === 4 ? report('abc', [], 'the host process exited') : report('abc', [level(8, 500, 20, 900, 300)]),
    );
    expect(ab.pairs).toHaveLength(1);
    expect(ab.aborted).toBe('pair 2, A: the host process exited');
    expect(formatAb(ab)).toContain('ABORTED: pair 2, A: the host process exited');
  });
});

describe('--ab on the command line', () => {
  it('takes a number of pairs for the scenarios that start a host from source', () => {
    expect(options(['all-in-one', '--ab', '5']).abPairs).toBe(5);
    expect(options(['split', '--ab=2']).abPairs).toBe(2);
  });
  it.each([
    [['ingress-only', '--ab', '2'], 'all-in-one or split'],
    [['all-in-one', '--ab', '2', '--source', 'worktree'], 'drop --source'],
    [['all-in-one', '--ab', '2', '--record'], 'does not combine'],
    [['all-in-one', '--ab', '0'], '1 to 20 pairs'],
    [['all-in-one', '--ab', '21'], '1 to 20 pairs'],
  ])('refuses %j', (argv, message) => {
    const r = parseArgs(argv);
    expect(r.kind).toBe('error');
    expect(r.kind === 'error' && r.message).toContain(message);
  });
});
