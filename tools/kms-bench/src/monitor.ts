import { clockTicksPerSecond, readAllProcStats, processTree, readProcStat, rssOf, sampleTree, type TreeSample } from './proc.js';

/** CPU and RSS of the host processes (and their descendants) over a window. */
export interface HostWindow {
  /** Host CPU (user + system) in microseconds; undefined when no pid is known. */
  readonly cpuUs?: number;
  readonly wallMs: number;
  /** Peak of the summed RSS of the host's processes, sampled every `sampleMs`. */
  readonly rssPeakKb?: number;
  /** Host CPU in microseconds by process name (`node`, `postgres`). */
  readonly cpuUsByName?: Readonly<Record<string, number>>;
  /** The part of `cpuUs` spent in the kernel (system time). */
  readonly systemCpuUs?: number;
}

/**
 * Watches the host: RSS sampled on a timer (peak per window), CPU ticks read at
 * the window marks. Also the generator's own CPU (process.cpuUsage covers every
 * thread of this process).
 */
export class HostMonitor {
  private timer: NodeJS.Timeout | undefined;
  private peakKb = 0;
  private mark: { ticks: number; systemTicks: number; byName: Map<string, number>; at: number; gen: NodeJS.CpuUsage } | undefined;
  private readonly tickUs = 1e6 / clockTicksPerSecond();

  private extraCpu: readonly number[] = [];

  constructor(
    private readonly pids: readonly number[],
    private readonly sampleMs = 250,
  ) {}

  /**
   * Processes whose CPU counts for the host but whose RSS does not (Postgres
   * backends: their RSS is mostly shared buffers, summing it would overcount).
   */
  setExtraCpuPids(pids: readonly number[]): void {
    this.extraCpu = pids.filter((p) => !this.pids.includes(p));
  }

  /** CPU ticks of the host tree plus the extra processes, in total, in the kernel and by process name. */
  private cpu(tree: TreeSample): { ticks: number; systemTicks: number; byName: Map<string, number> } {
    const byName = new Map(tree.ticksByName);
    let { ticks, systemTicks } = tree;
    if (this.extraCpu.length > 0) {
      const extra = sampleTree(this.extraCpu);
      ticks += extra.ticks;
      systemTicks += extra.systemTicks;
      for (const [name, t] of extra.ticksByName) byName.set(name, (byName.get(name) ?? 0) + t);
    }
    return { ticks, systemTicks, byName };
  }

  get watching(): boolean {
    return this.pids.length > 0;
  }

  /** Every process the host consists of now (the roots and their descendants). */
  processes(): { pid: number; comm: string }[] {
    return processTree(readAllProcStats(), this.pids).map((s) => ({ pid: s.pid, comm: s.comm }));
  }

  /** True when every one of `pids` (default: all roots) is a live process. */
  alive(pids: readonly number[] = this.pids): boolean {
    return pids.every((p) => {
      const s = readProcStat(p);
      return s !== undefined && s.state !== 'Z';
    });
  }

  start(): void {
    if (!this.watching || this.timer) return;
    // Listing every process to find descendants costs the generator CPU; do it every 8th tick only.
    let tree: readonly number[] = [];
    let n = 0;
    const tick = () => {
      if (n++ % 8 === 0) tree = sampleTree(this.pids).pids;
      const kb = rssOf(tree);
      if (kb > this.peakKb) this.peakKb = kb;
    };
    tick();
    this.timer = setInterval(tick, this.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Current summed RSS in kB (0 when not watching). */
  rssKb(): number {
    return this.watching ? sampleTree(this.pids).rssKb : 0;
  }

  /** Starts a window: remembers CPU now and resets the RSS peak. */
  begin(): void {
    const s = this.watching ? sampleTree(this.pids) : undefined;
    this.peakKb = s?.rssKb ?? 0;
    const cpu = s ? this.cpu(s) : { ticks: 0, systemTicks: 0, byName: new Map<string, number>() };
    this.mark = { ...cpu, at: performance.now(), gen: process.cpuUsage() };
  }

  /** Ends the window begun last. */
  end(): { host: HostWindow; generatorCpuUs: number; generatorSystemCpuUs: number } {
    const m = this.mark ?? { ticks: 0, systemTicks: 0, byName: new Map<string, number>(), at: performance.now(), gen: process.cpuUsage() };
    const gen = process.cpuUsage(m.gen);
    const wallMs = performance.now() - m.at;
    if (!this.watching) return { host: { wallMs }, generatorCpuUs: gen.user + gen.system, generatorSystemCpuUs: gen.system };
    const s = sampleTree(this.pids);
    const cpu = this.cpu(s);
    if (s.rssKb > this.peakKb) this.peakKb = s.rssKb;
    const cpuUsByName: Record<string, number> = {};
    for (const [name, t] of cpu.byName) cpuUsByName[name] = (t - (m.byName.get(name) ?? 0)) * this.tickUs;
    return {
      host: { cpuUs: (cpu.ticks - m.ticks) * this.tickUs, systemCpuUs: (cpu.systemTicks - m.systemTicks) * this.tickUs, wallMs, rssPeakKb: this.peakKb, cpuUsByName },
      generatorCpuUs: gen.user + gen.system,
      generatorSystemCpuUs: gen.system,
    };
  }
}
