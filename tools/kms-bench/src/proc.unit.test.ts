import { describe, expect, it } from 'vitest';
import { cpuTicksOf, parseProcStat, systemTicksOf, parseProcStatus, processTree, type ProcStat } from './proc.js';

// A real line (node with a worker), comm holding a space and parentheses to test the parsing.
const LINE =
  '4242 (node (main) x) S 4100 4242 4100 34816 4242 4194304 12210 0 0 0 1234 567 89 10 20 0 11 0 33000 1200000000 30000 ' +
  '18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';

describe('parseProcStat', () => {
  it('counts fields from the last parenthesis', () => {
    expect(parseProcStat(LINE)).toEqual({
      pid: 4242,
      comm: 'node (main) x',
      state: 'S',
      ppid: 4100,
      utime: 1234,
      stime: 567,
      cutime: 89,
      cstime: 10,
      numThreads: 11,
      rssPages: 30000,
    });
  });

  it('sums own, thread and reaped-children ticks', () => {
    expect(cpuTicksOf(parseProcStat(LINE)!)).toBe(1234 + 567 + 89 + 10);
    // The kernel's part: system time, own and reaped children's.
    expect(systemTicksOf(parseProcStat(LINE)!)).toBe(567 + 10);
  });

  it.each(['', 'garbage', '12 (x) S 1 2 3', 'x (node) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22'])('rejects %j', (text) => {
    expect(parseProcStat(text)).toBeUndefined();
  });
});

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in kB', () => {
    const text = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t   90112 kB\nVmRSS:\t   81920 kB\nThreads:\t11\n';
    expect(parseProcStatus(text)).toEqual({ rssKb: 81920, hwmKb: 90112 });
    expect(parseProcStatus('Name:\tkthreadd\n')).toBeUndefined();
  });
});

describe('processTree', () => {
  const s = (pid: number, ppid: number): ProcStat => ({ pid, ppid, comm: 'p', state: 'S', utime: pid, stime: 0, cutime: 0, cstime: 0, numThreads: 1, rssPages: 0 });
  const all = [s(1, 0), s(10, 1), s(11, 10), s(12, 10), s(13, 12), s(20, 1), s(21, 20)];

  it('collects roots and all descendants once', () => {
    expect(processTree(all, [10]).map((p) => p.pid).sort()).toEqual([10, 11, 12, 13]);
    expect(processTree(all, [12, 13, 21]).map((p) => p.pid).sort()).toEqual([12, 13, 21]);
    expect(processTree(all, [99])).toEqual([]);
  });
});
