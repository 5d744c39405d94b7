/**
 * Micro-benchmark: CPU cost of one recorded request (decide + evolve, as the
 * ledger writer runs them) on a near-empty count group vs one holding
 * 1,000,000 CMIDs. Commands are built before timing.
 *
 * The box is shared, so each comparison alternates short timed chunks
 * between the small and the big group (CPU time of this process) and reports
 * the median of the per-chunk ratios: a change of load hits both sides alike.
 * Run from the workspace root:
 *
 *   TSX_TSCONFIG_PATH=libs/ledger-domain/tsconfig.json node --expose-gc --import tsx libs/ledger-domain/bench/decide-evolve.bench.ts
 *
 * (env BENCH_CMIDS, BENCH_CHUNK, BENCH_CHUNKS change the sizes).
 */
import { APPLICATIONS, COUNT_WINDOW_MS, evolve, initialState, recordActivation, restore, type CountGroupState, type RecordActivationRequest } from '../src/index.js';
import { guid, recordCommand, T0 } from '../src/testing/count-group.fixtures.js';

const BIG = Number(process.env['BENCH_CMIDS'] ?? 1_000_000);
const CHUNK = Number(process.env['BENCH_CHUNK'] ?? 10_000);
const CHUNKS = Number(process.env['BENCH_CHUNKS'] ?? 25);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const NOW = T0 + 60 * 86_400_000;
const lastSeenOf = (i: number, n: number): number => NOW - COUNT_WINDOW_MS + Math.ceil(((i + 1) * COUNT_WINDOW_MS) / (n + 1));

/**
 * A group holding `n` CMIDs last seen evenly over the 30 days before NOW,
 * built by touching the window in time order (what `restore` does after
 * sorting) so that no million row objects sit on the heap while timing.
 */
function groupOf(n: number): CountGroupState {
  const state = initialState();
  state.applicationId = APPLICATIONS.windows;
  state.highestNPolicy = 25;
  state.clock = NOW;
  for (let i = 0; i < n; i++) state.window.touch(guid(i), lastSeenOf(i, n));
  return state;
}

/** A stream of requests on one group: new CMIDs (never held before) or renewals of random CMIDs below `held`, `dtMs` apart. */
function stream(kind: 'new' | 'renew', held: number, dtMs: number, seed: number) {
  let x = seed;
  let i = 0;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return (count: number): RecordActivationRequest[] =>
    Array.from({ length: count }, () => {
      const cmid = kind === 'new' ? guid(20_000_000 + seed * 10_000_000 + i) : guid(Math.floor(rnd() * held));
      return recordCommand({ cmid }, new Date(NOW + Math.round(++i * dtMs)));
    });
}

function timed(state: CountGroupState, cmds: readonly RecordActivationRequest[]): number {
  const t0 = process.cpuUsage();
  for (const c of cmds) {
    const { events } = recordActivation(state, c);
    for (const e of events) evolve(state, e);
  }
  const used = process.cpuUsage(t0);
  return ((used.user + used.system) * 1000) / cmds.length;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (ns: number): string => `${ns.toFixed(0).padStart(5)} ns (${(1e6 / ns).toFixed(0).padStart(3)}k/s)`;

type Side = Readonly<{ held: number; kind: 'new' | 'renew'; dtMs: number }>;

/** Alternates CHUNKS timed chunks of CHUNK requests between a small and a big group (after two untimed warm-up chunks each). */
function compare(label: string, small: Side, big: Side): void {
  const sides = [small, big].map((s, k) => ({ state: groupOf(s.held), next: stream(s.kind, s.held, s.dtMs, k + 1), ns: [] as number[] }));
  for (const side of sides) for (let w = 0; w < 2; w++) timed(side.state, side.next(CHUNK));
  for (let c = 0; c < CHUNKS; c++) {
    const order = c % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const cmds = side.next(CHUNK);
      gc();
      side.ns.push(timed(side.state, cmds));
    }
  }
  const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const ratio = median(b.ns.map((x, i) => x / (a.ns[i] as number)));
  console.log(`${label.padEnd(44)} small ${fmt(median(a.ns))}   ${BIG} held ${fmt(median(b.ns))}   ratio ${ratio.toFixed(2)}x`);
}

console.log(`node ${process.version}; ${CHUNKS} alternating chunks of ${CHUNK} requests per side; CPU time per request (median)`);

{
  for (const order of ['time-ordered', 'unsorted'] as const) {
    gc();
    const before = process.memoryUsage();
    const rows = Array.from({ length: BIG }, (_, i) => ({ cmid: guid(i), lastSeenAt: new Date(lastSeenOf(i, BIG)) }));
    if (order === 'unsorted') rows.reverse();
    const t0 = performance.now();
    const state = restore({ applicationId: APPLICATIONS.windows, highestNPolicy: 25, clock: new Date(NOW), active: rows });
    const restoreMs = performance.now() - t0;
    rows.length = 0;
    gc();
    const after = process.memoryUsage();
    console.log(
      `restore of ${state.window.size} CMIDs from ${order} rows: ${restoreMs.toFixed(0)} ms; memory held: heap ${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(0)} MiB, array buffers ${((after.arrayBuffers - before.arrayBuffers) / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  // The table grows (an O(n) rebuild) when 70% of its slots are used: 1,468,006 CMIDs in 2^21 slots.
  const full = groupOf(Math.floor(0.7 * 2 ** 21));
  const t0 = performance.now();
  full.window.touch(guid(99_999_999), NOW + 1);
  console.log(`one-off table growth at ${full.window.size} CMIDs (2^21 -> 2^22 slots): ${(performance.now() - t0).toFixed(0)} ms`);
}

const steadyDt = COUNT_WINDOW_MS / (BIG + 1);
// Small side: one request every 31 days, so the group never holds more than the requesting CMID.
compare('new CMIDs, each expiring about one old', { held: 0, kind: 'new', dtMs: 31 * 86_400_000 }, { held: BIG, kind: 'new', dtMs: steadyDt });
compare('renewals of random CMIDs (1,000 vs big)', { held: 1_000, kind: 'renew', dtMs: 1 }, { held: BIG, kind: 'renew', dtMs: 1 });
compare('new CMIDs, 1 ms apart (groups grow)', { held: 0, kind: 'new', dtMs: 1 }, { held: BIG, kind: 'new', dtMs: 1 });
