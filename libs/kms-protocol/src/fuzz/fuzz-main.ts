/**
 * The full fuzz run (issue 4: at least 1,000,000 random and mutated inputs,
 * seeded from the captured vectors):
 *
 *   npm run fuzz -- --count 1000000 --seed 42 [--max-ms 50] [--hang-ms 10000] [--start 0]
 *   npm run fuzz -- --seed 42 --only 123456     # regenerate and run one input, printing it
 *
 * The inputs run in a worker thread; this thread watches its progress so that
 * an input that never returns (a hang no per-input timer can catch) is
 * reported with its index. Exit code 1 on any finding.
 */
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { cpus } from 'node:os';
import { buildCorpus } from './corpus.js';
import { formatReport, fuzzCase, runFuzz, type FuzzReport } from './fuzzer.js';
import { Recorder, describeError } from './recorder.js';

interface Args {
  seed: number;
  count: number;
  start: number;
  maxMs: number;
  hangMs: number;
  only?: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seed: (Date.now() ^ (process.pid << 16)) >>> 0, count: 1_000_000, start: 0, maxMs: 50, hangMs: 10_000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = Number(argv[i + 1]);
    const num = (name: string): number => {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} needs a non-negative integer, got ${argv[i + 1]}`);
      i++;
      return value;
    };
    if (flag === '--seed') args.seed = num('--seed') >>> 0;
    else if (flag === '--count') args.count = num('--count');
    else if (flag === '--start') args.start = num('--start');
    else if (flag === '--max-ms') args.maxMs = num('--max-ms');
    else if (flag === '--hang-ms') args.hangMs = num('--hang-ms');
    else if (flag === '--only') args.only = num('--only');
    else throw new Error(`unknown argument ${flag} (use --count N --seed N [--start N] [--max-ms N] [--hang-ms N] [--only INDEX])`);
  }
  return args;
}

interface WorkerInput {
  readonly args: Args;
  readonly progress: SharedArrayBuffer;
}

function workerMain(): void {
  const { args, progress } = workerData as WorkerInput;
  const next = new Int32Array(progress);
  const report = runFuzz({
    seed: args.seed,
    count: args.count,
    start: args.start,
    maxInputMs: args.maxMs,
    onProgress: (i) => Atomics.store(next, 0, i),
  });
  parentPort!.postMessage(report);
}

function runOnly(args: Args, index: number): number {
  const c = fuzzCase(args.seed, index, buildCorpus());
  console.log(`seed ${args.seed}, input #${index}, target ${c.target}\ninput: ${c.describe()}`);
  const rec = new Recorder();
  const t0 = performance.now();
  try {
    c.run(rec);
  } catch (e) {
    console.log(`FINDING after ${(performance.now() - t0).toFixed(2)} ms: ${describeError(e)}`);
    return 1;
  }
  console.log(`ok in ${(performance.now() - t0).toFixed(2)} ms; codes ${JSON.stringify(Object.fromEntries(rec.codes))}`);
  return 0;
}

/**
 * A worker running this file. Workers do not inherit tsx's loader hooks, so
 * from source the worker registers them first (tsx/esm/api) and then imports us.
 */
function startWorker(data: WorkerInput): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL(self), { workerData: data });
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(self)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only !== undefined) return runOnly(args, args.only);
  console.log(
    `kms-protocol fuzz: seed ${args.seed}, count ${args.count.toLocaleString('en-US')}, start ${args.start}, ` +
      `per-input bound ${args.maxMs} ms CPU, hang watchdog ${args.hangMs} ms; node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`,
  );
  const progress = new SharedArrayBuffer(4);
  const next = new Int32Array(progress);
  Atomics.store(next, 0, args.start);
  const worker = startWorker({ args, progress });
  const t0 = performance.now();
  return await new Promise<number>((resolve) => {
    let last = -1;
    let lastChange = performance.now();
    let lastPrint = 0;
    const timer = setInterval(() => {
      const i = Atomics.load(next, 0);
      const now = performance.now();
      if (i !== last) {
        last = i;
        lastChange = now;
      } else if (now - lastChange > args.hangMs) {
        // Progress is published every 1,000 inputs: the hang is among the next 1,000.
        console.log(`HANG: no progress for ${args.hangMs} ms in inputs ${i}..${i + 999}; find it with --seed ${args.seed} --only <index>`);
        clearInterval(timer);
        void worker.terminate();
        resolve(1);
        return;
      }
      if (now - lastPrint > 10_000) {
        lastPrint = now;
        const done = i - args.start;
        console.log(`  ${done.toLocaleString('en-US')} inputs after ${((now - t0) / 1000).toFixed(0)} s`);
      }
    }, 250);
    worker.on('message', (report: FuzzReport) => {
      clearInterval(timer);
      console.log(formatReport(report));
      resolve(report.findingCount === 0 ? 0 : 1);
    });
    worker.on('error', (e) => {
      clearInterval(timer);
      console.log(`fuzz worker crashed: ${describeError(e)}`);
      resolve(1);
    });
  });
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(describeError(e));
      process.exit(2);
    },
  );
} else {
  workerMain();
}
