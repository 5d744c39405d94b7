import type { BenchOptions, Scenario } from './args.js';
import { ERROR_KINDS, type ErrorKind } from './activation.js';
import { Histogram } from './histogram.js';
import {
  defaultWorkspaceRoot,
  existingHost,
  startAllInOne,
  startIngressChild,
  startIngressInProcess,
  startSplit,
  type HostHandle,
} from './hosts.js';
import { inThreadRunner, type LoadRunner } from './load.js';
import { gitCommit, machineInfo, type MachineInfo } from './machine.js';
import { HostMonitor } from './monitor.js';
import type { TimeWindow } from './profile.js';
import { workerRunner } from './threads.js';
import { formatMix } from './weights.js';
import type { WorkloadSpec } from './workload.js';

/** One concurrency level's figures. */
export interface LevelReport {
  readonly concurrency: number;
  readonly durationS: number;
  /** Verified activations in the window. */
  readonly activations: number;
  readonly rate: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number; readonly mean: number };
  readonly errors: Readonly<Record<ErrorKind, number>>;
  readonly errorTotal: number;
  readonly hresults: Readonly<Record<string, number>>;
  readonly errorSamples: Readonly<Partial<Record<ErrorKind, string>>>;
  /** Host CPU (all its processes and threads) per verified activation; undefined without host pids. */
  readonly hostCpuUsPerActivation?: number;
  /** Host CPU per activation by process name, when the host has several kinds (node, postgres). */
  readonly hostCpuUsByProcess?: Readonly<Record<string, number>>;
  /** Host CPU as a share of one core (100 = one core busy). */
  readonly hostCpuPercent?: number;
  /** Share of the host's CPU spent in the kernel (system time), in percent. */
  readonly hostKernelPercent?: number;
  /** Share of the generator's CPU spent in the kernel, in percent. */
  readonly generatorKernelPercent?: number;
  readonly generatorCpuUsPerActivation?: number;
  readonly generatorCpuPercent: number;
  readonly hostRssPeakMb?: number;
  readonly maxCount: number;
}

export interface BenchReport {
  readonly tool: 'kms-bench';
  readonly scenario: Scenario;
  /** The scenario with its storage, for headings: "all-in-one on PGlite". */
  readonly label: string;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly commit: string;
  readonly command: string;
  readonly host: { readonly description: string; readonly pids: readonly number[]; readonly processes: readonly { pid: number; comm: string }[]; readonly inProcess: boolean };
  readonly workload: {
    readonly mix: string;
    readonly products: string;
    readonly pool: number;
    readonly seed: number;
    readonly threads: number;
    readonly warmupS: number;
    readonly durationS: number;
    readonly timeoutS: number;
  };
  readonly levels: readonly LevelReport[];
  /** Set when the run stopped early (host died, start-up failed after some levels). */
  readonly aborted?: string;
  /** Host CPU profiles written with --profile. */
  readonly profiles?: readonly string[];
  /** Sources the host was built from, for its source maps. */
  readonly sourceRoot?: string;
  /** The measured windows on the monotonic clock, to cut the profiles to them. */
  readonly windows: readonly TimeWindow[];
}

export interface BenchDeps {
  readonly log: (line: string) => void;
  /** Script for worker threads and the spawned ingress-only host (the bundled main.js). */
  readonly entry?: URL;
  readonly workspaceRoot?: string;
  /** The command line to report. */
  readonly command: string;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts the host a scenario names. */
export async function startHost(options: BenchOptions, deps: BenchDeps): Promise<HostHandle> {
  const hostOpts = {
    workspaceRoot: deps.workspaceRoot ?? defaultWorkspaceRoot(),
    source: options.source,
    profile: options.profile,
    build: options.build,
    ...(options.prefill !== undefined && { prefill: options.prefill }),
    log: deps.log,
  };
  switch (options.scenario) {
    case 'ingress-only':
      if (options.inProcess) return startIngressInProcess();
      if (deps.entry === undefined) throw new Error('ingress-only in a child process needs the bundled tool (or use --in-process)');
      return startIngressChild(hostOpts, new URL(deps.entry).pathname);
    case 'all-in-one':
      return startAllInOne(hostOpts, options.postgres ? options.pgAdminUrl : undefined);
    case 'split':
      return startSplit(hostOpts, options.pgAdminUrl, options.natsUrl);
    case 'target':
      return existingHost(options.target!, options.hostPids);
    default: {
      const never: never = options.scenario;
      throw new Error(`unknown scenario ${String(never)}`);
    }
  }
}

/** "all-in-one on PGlite", "all-in-one on Postgres", "split", ... */
export const scenarioLabel = (o: BenchOptions): string =>
  o.scenario === 'all-in-one' ? `all-in-one on ${o.postgres ? 'Postgres' : 'PGlite'}` : o.scenario;

/** True when everything measured was built from the last commit (ingress-only runs this tool's own code). */
export const builtFromHead = (o: BenchOptions): boolean => o.source === 'head' && (o.scenario === 'all-in-one' || o.scenario === 'split');

export const workloadSpec = (o: BenchOptions): WorkloadSpec => ({ protocolMix: o.protocolMix, productMix: o.productMix, poolSize: o.pool, seed: o.seed });

/**
 * Runs the sweep: for each concurrency, a warm-up then a measured window, with
 * the host's CPU and RSS read over the window. The host is started and stopped
 * here; a host started by the scenario gets `hostPids` added when given.
 */
export async function runBench(options: BenchOptions, deps: BenchDeps): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const host = await startHost(options, deps);
  const pids = [...new Set([...host.pids, ...(options.scenario === 'target' ? [] : options.hostPids)])];
  const monitor = new HostMonitor(pids);
  const processes = monitor.processes();
  const extraSeen: number[] = [];
  const spec = workloadSpec(options);
  let runner: LoadRunner | undefined;
  const levels: LevelReport[] = [];
  const windows: TimeWindow[] = [];
  const monoUs = () => Number(process.hrtime.bigint() / 1000n);
  let aborted: string | undefined;
  try {
    runner =
      options.threads > 1 && deps.entry !== undefined ? workerRunner(host.target, spec, options.threads, deps.entry) : inThreadRunner(host.target, spec);
    deps.log(`host: ${host.description}`);
    monitor.start();
    for (const concurrency of options.concurrency) {
      if (pids.length > 0 && !monitor.alive(pids)) {
        aborted = 'the host process exited';
        break;
      }
      const extra = await host.extraPids();
      monitor.setExtraCpuPids(extra);
      for (const p of extra) if (!extraSeen.includes(p)) extraSeen.push(p);
      const startAt = Date.now() + 100;
      const measureFrom = startAt + options.warmupMs;
      const measureTo = measureFrom + options.durationMs;
      let windowed: ReturnType<HostMonitor['end']> | undefined;
      let fromUs = 0;
      const t1 = setTimeout(() => {
        fromUs = monoUs();
        monitor.begin();
      }, measureFrom - Date.now());
      const t2 = setTimeout(() => {
        windowed = monitor.end();
        windows.push({ fromUs, toUs: monoUs() });
      }, measureTo - Date.now());
      const result = await runner.run({ concurrency, startAt, measureFrom, measureTo, timeoutMs: options.timeoutMs });
      clearTimeout(t1);
      clearTimeout(t2);
      windowed ??= monitor.end();
      const durationS = options.durationMs / 1000;
      const h = new Histogram(result.latency);
      const rate = result.ok / durationS;
      // CPU is read over the timer-marked window, activations over the planned one: compare rates.
      const perSecond = (us: number) => us / (windowed!.host.wallMs / 1000);
      const perActivation = (us: number) => (rate > 0 ? perSecond(us) / rate : undefined);
      const cpu = windowed.host.cpuUs;
      const level: LevelReport = {
        concurrency,
        durationS,
        activations: result.ok,
        rate: round(rate, 1),
        latencyMs: {
          p50: round(h.percentile(50) / 1000, 3),
          p95: round(h.percentile(95) / 1000, 3),
          p99: round(h.percentile(99) / 1000, 3),
          max: round(h.max / 1000, 3),
          mean: round(h.mean / 1000, 3),
        },
        errors: result.errors,
        errorTotal: ERROR_KINDS.reduce((s, k) => s + result.errors[k], 0),
        hresults: result.hresults,
        errorSamples: result.samples,
        ...(cpu !== undefined && {
          hostCpuUsPerActivation: perActivation(cpu) === undefined ? undefined : round(perActivation(cpu)!, 1),
          hostCpuPercent: round(perSecond(cpu) / 1e4, 1),
        }),
        ...(cpu !== undefined && cpu > 0 && windowed.host.systemCpuUs !== undefined && { hostKernelPercent: round((windowed.host.systemCpuUs / cpu) * 100, 1) }),
        ...(windowed.generatorCpuUs > 0 && { generatorKernelPercent: round((windowed.generatorSystemCpuUs / windowed.generatorCpuUs) * 100, 1) }),
        ...(windowed.host.cpuUsByName !== undefined &&
          Object.keys(windowed.host.cpuUsByName).length > 1 &&
          rate > 0 && {
            hostCpuUsByProcess: Object.fromEntries(Object.entries(windowed.host.cpuUsByName).map(([n, us]) => [n, round(perActivation(us)!, 1)])),
          }),
        ...(perActivation(windowed.generatorCpuUs) !== undefined && { generatorCpuUsPerActivation: round(perActivation(windowed.generatorCpuUs)!, 1) }),
        generatorCpuPercent: round(perSecond(windowed.generatorCpuUs) / 1e4, 1),
        ...(windowed.host.rssPeakKb !== undefined && { hostRssPeakMb: round(windowed.host.rssPeakKb / 1024, 1) }),
        maxCount: result.maxCount,
      };
      levels.push(level);
      deps.log(progressLine(level));
      await sleep(300);
    }
  } catch (e) {
    aborted = e instanceof Error ? e.message : String(e);
  } finally {
    monitor.stop();
    await runner?.close();
    await host.stop();
  }
  const profiles = host.profiles();
  return {
    tool: 'kms-bench',
    scenario: options.scenario,
    label: scenarioLabel(options),
    startedAt,
    machine,
    commit: gitCommit(deps.workspaceRoot ?? defaultWorkspaceRoot(), builtFromHead(options)),
    command: deps.command,
    host: {
      description: host.description + (extraSeen.length ? `; host CPU includes its ${extraSeen.length} Postgres backend process(es)` : ''),
      pids: [...pids, ...extraSeen],
      processes,
      inProcess: host.inProcess,
    },
    workload: {
      mix: formatMix(options.protocolMix),
      products: formatMix(options.productMix),
      pool: options.pool,
      seed: options.seed,
      threads: options.threads,
      warmupS: options.warmupMs / 1000,
      durationS: options.durationMs / 1000,
      timeoutS: options.timeoutMs / 1000,
    },
    levels,
    windows,
    ...(host.sourceRoot !== undefined && { sourceRoot: host.sourceRoot }),
    ...(aborted !== undefined && { aborted }),
    ...(profiles.length > 0 && { profiles }),
  };
}

function progressLine(l: LevelReport): string {
  const cpu = l.hostCpuUsPerActivation === undefined ? '' : `, host ${l.hostCpuUsPerActivation} us/act`;
  return `  c=${l.concurrency}: ${l.rate} act/s, p99 ${l.latencyMs.p99} ms${cpu}, ${l.errorTotal} errors`;
}
