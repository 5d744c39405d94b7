/**
 * Micro-benchmark: cost of one recorded request (decide + evolve, as the
 * ledger writer runs them) on an empty count group vs one holding 1,000,000
 * CMIDs. Commands are built before timing. Run from the workspace root:
 *
 *   TSX_TSCONFIG_PATH=libs/ledger-domain/tsconfig.json node --expose-gc --import tsx libs/ledger-domain/bench/decide-evolve.bench.ts
 *
 * (env BENCH_CMIDS, BENCH_OPS, BENCH_ROUNDS change the sizes).
 */
import { APPLICATIONS, COUNT_WINDOW_MS, evolve, initialState, recordActivation, restore, type CountGroupState, type RecordActivationRequest } from '../src/index.js';
import { guid, recordCommand, T0 } from '../src/testing/count-group.fixtures.js';

const BIG = Number(process.env['BENCH_CMIDS'] ?? 1_000_000);
const OPS = Number(process.env['BENCH_OPS'] ?? 100_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const NOW = T0 + 60 * 86_400_000;

/** Rows of `n` CMIDs whose last-seen times spread evenly over the 30 days before NOW. */
function rowsOf(n: number) {
  const step = COUNT_WINDOW_MS / (n + 1);
  return Array.from({ length: n }, (_, i) => ({ cmid: guid(i), lastSeenAt: new Date(NOW - COUNT_WINDOW_MS + Math.ceil((i + 1) * step)) }));
}

const groupOf = (n: number): CountGroupState =>
  n === 0 ? initialState() : restore({ applicationId: APPLICATIONS.windows, highestNPolicy: 25, clock: new Date(NOW), active: rowsOf(n) });

/** `ops` commands, the i-th at NOW + (from + i) x dtMs: new CMIDs (ids above every held one) or renewals of random held CMIDs. */
function commands(kind: 'new' | 'renew', held: number, ops: number, dtMs: number, seed: number, from = 0): RecordActivationRequest[] {
  let x = seed;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: ops }, (_, i) => {
    const cmid = kind === 'new' ? guid(10_000_000 + seed * ops + i) : guid(Math.floor(rnd() * held));
    return recordCommand({ cmid }, new Date(NOW + Math.round((from + i) * dtMs)));
  });
}

const run = (state: CountGroupState, cmds: readonly RecordActivationRequest[]): void => {
  for (const c of cmds) {
    const { events } = recordActivation(state, c);
    for (const e of events) evolve(state, e);
  }
};

/**
 * CPU ns per request over a fresh group of `held` CMIDs, median of ROUNDS
 * rounds. With `warm`, OPS untimed requests of the same kind run first on the
 * same state: the steady state of a long-running ledger, past the one-off
 * O(n) rehash a JS Map does when it doubles (1,000,000 sits just below 2^20).
 */
function measure(label: string, held: number, kind: 'new' | 'renew', dtMs: number, warm = false): number {
  const samples: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const state = groupOf(held);
    const cmds = commands(kind, Math.max(held, 1), OPS, dtMs, round + 1, warm ? OPS : 0);
    if (warm) run(state, commands(kind, Math.max(held, 1), OPS, dtMs, 1000 + round));
    gc();
    // CPU time of this process, not wall time: the box is shared, and a
    // descheduled process would otherwise look slow.
    const t0 = process.cpuUsage();
    run(state, cmds);
    const used = process.cpuUsage(t0);
    const ns = ((used.user + used.system) * 1000) / OPS;
    if (round > 0) samples.push(ns); // round 0 warms the JIT
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] as number;
  console.log(`${label.padEnd(66)} ${median.toFixed(0).padStart(6)} ns/request  (${(1e9 / median / 1000).toFixed(0)}k requests/s)`);
  return median;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Restore time and memory of a group of BIG CMIDs (released before the timed runs, which then start from a lean heap). */
function sizeUp(): void {
  gc();
  const before = process.memoryUsage();
  const rows = rowsOf(BIG);
  const t0 = performance.now();
  const big = restore({ applicationId: APPLICATIONS.windows, highestNPolicy: 25, clock: new Date(NOW), active: rows });
  const restoreMs = performance.now() - t0;
  rows.length = 0;
  gc();
  const after = process.memoryUsage();
  console.log(
    `restore of ${big.window.size} CMIDs from rows: ${restoreMs.toFixed(0)} ms; memory held by the group: heap ${mib(after.heapUsed - before.heapUsed)}, array buffers ${mib(after.arrayBuffers - before.arrayBuffers)}`,
  );
}

console.log(`node ${process.version}, ${OPS} requests per round, median of ${ROUNDS} rounds, CPU time per request`);
sizeUp();
gc();

const emptyNew = measure('new CMIDs, empty group', 0, 'new', 1);
const bigNewCold = measure(`new CMIDs, ${BIG} held, first ${OPS} (includes the Map doubling)`, BIG, 'new', 1);
const bigNew = measure(`new CMIDs, ${BIG} held, after ${OPS} warm-up requests`, BIG, 'new', 1, true);
// Steady state: time advances so that each new CMID also expires about one old one.
const bigSteady = measure(`new CMIDs + expiry, ${BIG} held (steady window), warmed`, BIG, 'new', COUNT_WINDOW_MS / (BIG + 1), true);
const smallRenew = measure('renewals, 1,000 CMIDs held', 1_000, 'renew', 1);
const bigRenew = measure(`renewals of random CMIDs, ${BIG} held`, BIG, 'renew', 1);
const r = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
console.log(
  `ratio ${BIG} held / empty: new ${r(bigNew, emptyNew)} (cold ${r(bigNewCold, emptyNew)}), steady ${r(bigSteady, emptyNew)}, renewals ${r(bigRenew, smallRenew)}`,
);
