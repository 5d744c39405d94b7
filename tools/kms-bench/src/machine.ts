import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** The machine a result was measured on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly kernel: string;
  readonly memoryGb: number;
  /** 1-minute load average when the run started: other work on the same cores skews every figure. */
  readonly loadAverage: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    cores: list.length,
    node: process.version,
    kernel: `Linux ${release()}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** One line: "Intel(R) Xeon(R) Processor, 2 cores, 24 GB, Node v20.20.2, Linux 6.18 (load 1.2)". */
export const describeMachine = (m: MachineInfo): string =>
  `${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.kernel} (load average ${m.loadAverage} at start)`;

/**
 * The commit the workspace is at (short hash), with "+N uncommitted" when tracked
 * files under apps/ or libs/ differ from it (unless `head`: the host was built
 * from the commit itself); "unknown" outside git.
 */
export function gitCommit(cwd: string, head = false): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git('rev-parse', '--short=10', 'HEAD').trim();
    if (head) return commit;
    const changed = git('status', '--porcelain', '--untracked-files=no', '--', 'apps', 'libs').split('\n').filter((l) => l.trim() !== '').length;
    return changed > 0 ? `${commit} +${changed} uncommitted` : commit;
  } catch {
    return 'unknown';
  }
}
