import { performance } from 'node:perf_hooks';
import { ERROR_KINDS, activate, type ErrorKind, type Target } from './activation.js';
import { Histogram, type HistogramData } from './histogram.js';
import { ClientPool, type WorkloadSpec } from './workload.js';

/** One concurrency level: loops start at `startAt`; activations completing in [measureFrom, measureTo] count. */
export interface LevelPlan {
  readonly concurrency: number;
  /** Epoch milliseconds. */
  readonly startAt: number;
  readonly measureFrom: number;
  readonly measureTo: number;
  readonly timeoutMs: number;
}

/** What the loops saw inside the measurement window. */
export interface LoadResult {
  readonly ok: number;
  readonly errors: Readonly<Record<ErrorKind, number>>;
  /** HRESULT answers by code (`0xC004F042`). */
  readonly hresults: Readonly<Record<string, number>>;
  /** The first message seen per error kind, to say what went wrong. */
  readonly samples: Readonly<Partial<Record<ErrorKind, string>>>;
  /** Latency of successful activations, microseconds. */
  readonly latency: HistogramData;
  /** Requests encoded (first uses and refreshes) during the level, warm-up included. */
  readonly encoded: number;
  /** Highest count any answer reported. */
  readonly maxCount: number;
}

/** Runs levels against a target; in this thread or spread over worker threads. */
export interface LoadRunner {
  run(plan: LevelPlan): Promise<LoadResult>;
  close(): Promise<void>;
}

export const emptyErrors = (): Record<ErrorKind, number> =>
  Object.fromEntries(ERROR_KINDS.map((k) => [k, 0])) as Record<ErrorKind, number>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `plan.concurrency` client loops over `pool` in this thread. */
export async function runLevel(target: Target, pool: ClientPool, plan: LevelPlan): Promise<LoadResult> {
  const latency = new Histogram();
  const errors = emptyErrors();
  const hresults: Record<string, number> = {};
  const samples: Partial<Record<ErrorKind, string>> = {};
  const encodedBefore = pool.encoded;
  let ok = 0;
  let maxCount = 0;

  const loop = async (): Promise<void> => {
    const wait = plan.startAt - Date.now();
    if (wait > 0) await sleep(wait);
    for (;;) {
      const now = Date.now();
      if (now >= plan.measureTo) return;
      const item = pool.pick(Math.random(), now);
      const t0 = performance.now();
      const outcome = await activate(target, item, plan.timeoutMs);
      const us = (performance.now() - t0) * 1000;
      const end = Date.now();
      const counted = end >= plan.measureFrom && end <= plan.measureTo;
      if (outcome.ok) {
        if (counted) {
          ok++;
          latency.record(us);
          if (outcome.count > maxCount) maxCount = outcome.count;
        }
        continue;
      }
      if (counted) {
        errors[outcome.kind]++;
        samples[outcome.kind] ??= outcome.detail;
        if (outcome.hresult !== undefined) {
          const code = `0x${(outcome.hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
          hresults[code] = (hresults[code] ?? 0) + 1;
        }
      }
      // A host that refuses connections answers at once; do not spin the CPU against it.
      if (outcome.kind === 'refused' || outcome.kind === 'network') await sleep(10);
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, loop));
  return { ok, errors, hresults, samples, latency: latency.data(), encoded: pool.encoded - encodedBefore, maxCount };
}

/** Adds up the results of several threads. */
export function mergeLoadResults(results: readonly LoadResult[]): LoadResult {
  const latency = new Histogram();
  const errors = emptyErrors();
  const hresults: Record<string, number> = {};
  const samples: Partial<Record<ErrorKind, string>> = {};
  let ok = 0;
  let encoded = 0;
  let maxCount = 0;
  for (const r of results) {
    ok += r.ok;
    encoded += r.encoded;
    maxCount = Math.max(maxCount, r.maxCount);
    latency.merge(r.latency);
    for (const k of ERROR_KINDS) errors[k] += r.errors[k];
    for (const [code, n] of Object.entries(r.hresults)) hresults[code] = (hresults[code] ?? 0) + n;
    for (const k of ERROR_KINDS) if (r.samples[k] !== undefined) samples[k] ??= r.samples[k];
  }
  return { ok, errors, hresults, samples, latency: latency.data(), encoded, maxCount };
}

/** Splits a concurrency over threads as evenly as possible (first threads take the remainder). */
export function splitConcurrency(concurrency: number, threads: number): number[] {
  const base = Math.floor(concurrency / threads);
  return Array.from({ length: threads }, (_, i) => base + (i < concurrency % threads ? 1 : 0));
}

/** A runner in this thread. */
export function inThreadRunner(target: Target, spec: WorkloadSpec): LoadRunner {
  const pool = new ClientPool(spec);
  return { run: (plan) => runLevel(target, pool, plan), close: async () => {} };
}
