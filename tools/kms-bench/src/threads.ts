import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { Target } from './activation.js';
import { mergeLoadResults, runLevel, splitConcurrency, type LevelPlan, type LoadResult, type LoadRunner } from './load.js';
import { ClientPool, type WorkloadSpec } from './workload.js';

/** Marks the workerData of a load thread, so main.ts knows to run {@link loadWorkerMain}. */
export const LOAD_WORKER = 'kms-bench-load-worker';

interface LoadWorkerData {
  readonly kind: typeof LOAD_WORKER;
  readonly target: Target;
  readonly spec: WorkloadSpec;
  readonly shard: number;
  readonly shards: number;
}

type ToWorker = { readonly type: 'run'; readonly plan: LevelPlan } | { readonly type: 'stop' };
type FromWorker = { readonly type: 'result'; readonly result: LoadResult } | { readonly type: 'failed'; readonly message: string };

/** True in a thread started by {@link workerRunner}. */
export const isLoadWorker = (): boolean => (workerData as { kind?: string } | null)?.kind === LOAD_WORKER;

/** Body of a load thread: runs each plan it is sent over its share of the pool. */
export function loadWorkerMain(): void {
  const data = workerData as LoadWorkerData;
  const port = parentPort!;
  const pool = new ClientPool(data.spec, data.shard, data.shards);
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      port.close();
      return;
    }
    runLevel(data.target, pool, msg.plan).then(
      (result) => port.postMessage({ type: 'result', result } satisfies FromWorker, [result.latency.counts.buffer as ArrayBuffer]),
      (err: unknown) => port.postMessage({ type: 'failed', message: String(err) } satisfies FromWorker),
    );
  });
}

/**
 * Spreads each level over `threads` worker threads, each with its own share of
 * the pool. `entry` is the script that calls {@link loadWorkerMain} when
 * {@link isLoadWorker} (the bundled main.js).
 */
export function workerRunner(target: Target, spec: WorkloadSpec, threads: number, entry: URL): LoadRunner {
  const workers = Array.from(
    { length: threads },
    (_, shard) => new Worker(entry, { workerData: { kind: LOAD_WORKER, target, spec, shard, shards: threads } satisfies LoadWorkerData }),
  );
  const runOne = (w: Worker, plan: LevelPlan): Promise<LoadResult> =>
    new Promise((resolve, reject) => {
      const onMessage = (msg: FromWorker) => {
        cleanup();
        if (msg.type === 'result') resolve(msg.result);
        else reject(new Error(`load thread failed: ${msg.message}`));
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('error', onError);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.postMessage({ type: 'run', plan } satisfies ToWorker);
    });
  return {
    async run(plan) {
      const shares = splitConcurrency(plan.concurrency, threads);
      const busy = workers.map((w, i) => ({ w, n: shares[i]! })).filter((x) => x.n > 0);
      const results = await Promise.all(busy.map(({ w, n }) => runOne(w, { ...plan, concurrency: n })));
      return mergeLoadResults(results);
    },
    async close() {
      await Promise.all(
        workers.map(async (w) => {
          w.postMessage({ type: 'stop' } satisfies ToWorker);
          await w.terminate();
        }),
      );
    },
  };
}
