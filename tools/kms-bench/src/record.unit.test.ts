import { describe, expect, it } from 'vitest';
import { ERROR_KINDS } from './activation.js';
import type { BenchReport } from './bench.js';
import { SECTION_HEADING, appendToSection, sweepBlock } from './record.js';

describe('appendToSection', () => {
  it('creates the file with the section', () => {
    const doc = appendToSection('', '### run 1');
    expect(doc.startsWith('# Benchmarks\n')).toBe(true);
    expect(doc).toContain(`\n${SECTION_HEADING}\n`);
    expect(doc.trimEnd().endsWith('### run 1')).toBe(true);
  });

  it('adds the section after content it does not own', () => {
    const other = '# Benchmarks\n\n## Protocol micro-benchmarks\n\n| a | b |\n';
    const doc = appendToSection(other, '### run 1');
    expect(doc.startsWith(other.trimEnd())).toBe(true);
    expect(doc.indexOf(SECTION_HEADING)).toBeGreaterThan(doc.indexOf('## Protocol micro-benchmarks'));
  });

  it('appends at the end of its section, before the next one, leaving that untouched', () => {
    const base = `# Benchmarks\n\n${SECTION_HEADING}\n\nintro\n\n### run 1\n\n| x |\n\n## Protocol micro-benchmarks\n\n| a | b |\n`;
    const doc = appendToSection(base, '### run 2\n\n| y |');
    expect(doc).toBe(`# Benchmarks\n\n${SECTION_HEADING}\n\nintro\n\n### run 1\n\n| x |\n\n### run 2\n\n| y |\n\n## Protocol micro-benchmarks\n\n| a | b |\n`);
    const again = appendToSection(doc, '### run 3');
    expect(again.indexOf('### run 3')).toBeLessThan(again.indexOf('## Protocol micro-benchmarks'));
    expect(again.indexOf('### run 3')).toBeGreaterThan(again.indexOf('### run 2'));
  });
});

describe('sweepBlock', () => {
  const errors = Object.fromEntries(ERROR_KINDS.map((k) => [k, 0])) as BenchReport['levels'][number]['errors'];
  const report: BenchReport = {
    tool: 'kms-bench',
    scenario: 'all-in-one',
    label: 'all-in-one on PGlite',
    startedAt: '2026-01-02T03:04:05.678Z',
    machine: { cpuModel: 'Xeon', cores: 2, node: 'v20.20.2', kernel: 'Linux 6.1', memoryGb: 24, loadAverage: 0.5 },
    commit: 'abc1234567',
    command: 'npm run bench -- all-in-one --record',
    host: { description: 'all-in-one (pid 1)', pids: [1], processes: [], inProcess: false },
    workload: { mix: 'v6:1', products: 'client:1', pool: 100, seed: 1, threads: 1, warmupS: 2, durationS: 10, timeoutS: 5 },
    levels: [
      {
        concurrency: 64,
        durationS: 10,
        activations: 41000,
        rate: 4100,
        latencyMs: { p50: 10.5, p95: 20, p99: 31.25, max: 80, mean: 12 },
        errors: { ...errors, timeout: 2 },
        errorTotal: 2,
        hresults: {},
        errorSamples: {},
        hostCpuUsPerActivation: 210.4,
        hostCpuPercent: 86,
        generatorCpuUsPerActivation: 150,
        generatorCpuPercent: 61,
        hostRssPeakMb: 180.2,
        maxCount: 50,
      },
    ],
    windows: [],
  };

  it('names machine, commit and command and links the plot from the table', () => {
    const block = sweepBlock(report, 'benchmarks/x.svg');
    expect(block).toContain('### all-in-one on PGlite, 2026-01-02 03:04 UTC, commit abc1234567');
    expect(block).toContain('Xeon, 2 cores');
    expect(block).toContain('`npm run bench -- all-in-one --record`');
    expect(block).toContain('| 64 | 4100 | 10.50 | 20.00 | 31.25 | 210.4 | 150.0 | 1.40 | 180 | timeout 2 | [svg](benchmarks/x.svg) |');
    expect(block).toContain('![all-in-one on PGlite: activations/s and p99 against concurrency](benchmarks/x.svg)');
  });
});
