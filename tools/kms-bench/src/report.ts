import { ERROR_KINDS } from './activation.js';
import type { BenchReport, LevelReport } from './bench.js';
import { describeMachine } from './machine.js';

/** A figure with `digits` decimals, `-` when unknown. */
export const fmt = (n: number | undefined, digits = 1): string => (n === undefined ? '-' : n.toFixed(digits));
const fmtRate = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** Errors of a level as "timeout 3, hresult 2 (0xC004F042 2)"; "0" when none. */
export function describeErrors(l: LevelReport): string {
  if (l.errorTotal === 0) return '0';
  const parts = ERROR_KINDS.filter((k) => l.errors[k] > 0).map((k) => {
    if (k !== 'hresult') return `${k} ${l.errors[k]}`;
    const codes = Object.entries(l.hresults).map(([c, n]) => `${c} ${n}`);
    return `hresult ${l.errors[k]} (${codes.join(', ')})`;
  });
  return parts.join(', ');
}

/** Host CPU cell: "-" without pids; marked when the host shares the generator's process. */
export function hostCpuCell(r: BenchReport, l: LevelReport): string {
  if (l.hostCpuUsPerActivation === undefined) return '-';
  return r.host.inProcess ? `${fmt(l.hostCpuUsPerActivation)} (incl. generator)` : fmt(l.hostCpuUsPerActivation);
}

/**
 * Host CPU per activation over the generator's: the generator does the same
 * work per activation in every run, so on a machine whose speed drifts
 * (a shared VM) this ratio compares builds better than either figure alone.
 * Undefined when either is unknown or the host shares the generator's process.
 */
export function hostOverGenerator(r: BenchReport, l: LevelReport): number | undefined {
  if (r.host.inProcess || l.hostCpuUsPerActivation === undefined || !l.generatorCpuUsPerActivation) return undefined;
  return l.hostCpuUsPerActivation / l.generatorCpuUsPerActivation;
}

/** Right-aligned columns (the last one left as it is), two spaces apart. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** The human-readable report. */
export function formatReport(r: BenchReport): string {
  const lines = [
    `kms-bench ${r.label}, ${r.startedAt}, commit ${r.commit}`,
    `machine: ${describeMachine(r.machine)}`,
    `command: ${r.command}`,
    `host: ${r.host.description}`,
    `workload: protocols ${r.workload.mix}; products ${r.workload.products}; pool ${r.workload.pool} CMIDs (seed ${r.workload.seed}); ` +
      `${r.workload.threads} generator thread(s); warm-up ${r.workload.warmupS} s, measured ${r.workload.durationS} s per level`,
    '',
  ];
  const header = ['conc', 'act/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'host us/act', 'host CPU %', 'gen us/act', 'gen CPU %', 'host/gen', 'host RSS MB', 'errors'];
  const rows = r.levels.map((l) => [
    String(l.concurrency),
    fmtRate(l.rate),
    fmt(l.latencyMs.p50, 2),
    fmt(l.latencyMs.p95, 2),
    fmt(l.latencyMs.p99, 2),
    fmt(l.latencyMs.max, 1),
    hostCpuCell(r, l),
    fmt(l.hostCpuPercent, 0),
    fmt(l.generatorCpuUsPerActivation),
    fmt(l.generatorCpuPercent, 0),
    fmt(hostOverGenerator(r, l), 2),
    fmt(l.hostRssPeakMb, 0),
    describeErrors(l),
  ]);
  lines.push(table([header, ...rows]));
  for (const l of r.levels) {
    if (l.hostCpuUsByProcess) {
      const parts = Object.entries(l.hostCpuUsByProcess).map(([name, us]) => `${name} ${fmt(us)}`);
      lines.push(`  c=${l.concurrency} host us/act by process: ${parts.join(', ')}`);
    }
    if (l.hostKernelPercent !== undefined) {
      lines.push(`  c=${l.concurrency} CPU in the kernel (system time): host ${fmt(l.hostKernelPercent, 0)} %, generator ${fmt(l.generatorKernelPercent, 0)} %`);
    }
    for (const k of ERROR_KINDS) {
      const sample = l.errorSamples[k];
      if (sample !== undefined) lines.push(`  c=${l.concurrency} first ${k}: ${sample}`);
    }
  }
  if (r.host.inProcess) lines.push('', 'note: the host runs inside the generator process; its CPU includes the generator.');
  if (r.aborted) lines.push('', `aborted: ${r.aborted}`);
  return lines.join('\n');
}
