import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readProcStat, readThreadTicks, sampleTree } from './proc.js';

describe('/proc readers on this machine', () => {
  it('read this process and miss a pid that does not exist', () => {
    const me = readProcStat(process.pid);
    expect(me?.pid).toBe(process.pid);
    expect(me?.ppid).toBe(process.ppid);
    expect(readProcStat(0x3fffffff)).toBeUndefined();
  });

  it('sample a process tree, children and threads included', async () => {
    // The child burns 200 ms of CPU (not of wall time: the machine may be busy), says so, then idles.
    const burn = 'let x = 0; while (process.cpuUsage().user < 200000) x++; console.log("done"); setTimeout(() => {}, 10000)';
    const child = spawn(process.execPath, ['-e', burn], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => child.stdout.once('data', r));
      const sample = sampleTree([process.pid]);
      expect(sample.pids).toContain(process.pid);
      expect(sample.pids).toContain(child.pid);
      expect(sample.rssKb).toBeGreaterThan(0);
      // 200 ms of user time is 20 ticks of 10 ms.
      expect(sampleTree([child.pid!]).ticks).toBeGreaterThanOrEqual(19);
      const threads = readThreadTicks(process.pid);
      expect(threads.some((t) => t.tid === process.pid)).toBe(true);
    } finally {
      child.kill();
    }
  });
});
