import { describe, expect, it } from 'vitest';
import { parseArgs, type BenchOptions } from './args.js';
import { runBench } from './bench.js';
import { runHeld } from './held.js';
import { freePort } from './hosts.js';
import { startConstantIngress } from './ingress-host.js';

const options = (argv: string[]): BenchOptions => {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error(JSON.stringify(r));
  return r.options;
};
const deps = { log: () => {}, command: 'test' };

describe('kms-bench against a real ingress over loopback TCP', () => {
  it('ingress-only for 1 s at concurrency 4: answers verified, none wrong', async () => {
    const report = await runBench(options(['ingress-only', '--in-process', '--concurrency', '4', '--duration', '1s', '--warmup', '0', '--pool', '500']), deps);
    expect(report.aborted).toBeUndefined();
    expect(report.levels).toHaveLength(1);
    const level = report.levels[0]!;
    expect(level.errors['wrong-answer']).toBe(0);
    expect(level.errors.protocol).toBe(0);
    expect(level.errorTotal).toBe(0);
    expect(level.activations).toBeGreaterThan(0);
    expect(level.rate).toBeGreaterThan(0);
    expect(level.maxCount).toBe(50);
    expect(level.latencyMs.p99).toBeGreaterThan(0);
    expect(level.hostCpuUsPerActivation).toBeGreaterThan(0);
    expect(report.host.inProcess).toBe(true);
    expect(report.machine.cores).toBeGreaterThan(0);
  });

  it('counts a closed port as refused, never as an answer', async () => {
    const port = await freePort();
    const report = await runBench(options(['target', `127.0.0.1:${port}`, '--concurrency', '2', '--duration', '300ms', '--warmup', '0']), deps);
    const level = report.levels[0]!;
    expect(level.activations).toBe(0);
    expect(level.errors.refused).toBeGreaterThan(0);
    expect(level.errors['wrong-answer']).toBe(0);
  });

  it('holds bound idle connections and reads the host RSS', async () => {
    const { server, port } = await startConstantIngress('127.0.0.1', 0);
    try {
      const held = await runHeld(options(['target', `127.0.0.1:${port}`, '--connections-held', '50', '--host-pid', String(process.pid)]), deps);
      expect(held.aborted).toBeUndefined();
      expect(held.held).toBe(50);
      expect(Object.values(held.errors).every((n) => n === 0)).toBe(true);
      expect(held.rssHeldMb).toBeGreaterThan(0);
      expect(server.stats().connectionsAccepted).toBe(50);
    } finally {
      await server.close(1000);
    }
  });
});
