import { describe, expect, it } from 'vitest';
import { emptyRequestStats } from './license-states.js';
import { renderMetrics } from './metrics.js';
import { parsePrometheusText, sampleValue } from './testing/prometheus-text.js';

const process = { residentMemoryBytes: 1, heapUsedBytes: 2, cpuUserSeconds: 0.5, cpuSystemSeconds: 0.25, startTimeSeconds: 1_700_000_000 };

describe('renderMetrics', () => {
  it('escapes label values and writes each family once', () => {
    const text = renderMetrics({
      host: { listen: [], version: '1.0 "beta"\\x\nnext', mode: 'split' },
      ledger: {
        at: '2026-05-04T12:00:00.000Z',
        applications: [{ applicationId: '11111111-2222-3333-4444-555555555555', name: 'Odd "app"', activeClients: 2, reportedCount: 2, highestNPolicy: 5, requests: { ...emptyRequestStats(), total: 4 } }],
      },
      process,
    });
    const m = parsePrometheusText(text);
    expect(m.get('kmsgrid_build_info')?.samples[0]?.labels).toEqual({ version: '1.0 "beta"\\x\nnext', mode: 'split' });
    expect(sampleValue(m, 'kmsgrid_count', { application: 'Odd "app"' })).toBe(2);
    // No catalog thresholds for an unknown application: the family exists with no samples.
    expect(m.get('kmsgrid_threshold_met')?.samples).toEqual([]);
    expect(sampleValue(m, 'process_cpu_seconds_total')).toBe(0.75);
  });

  it('the test parser rejects malformed text', () => {
    expect(() => parsePrometheusText('a 1\n')).toThrow(/outside its family/);
    expect(() => parsePrometheusText('# HELP a x\n# TYPE a gauge\na{b="c} 1\n')).toThrow();
    expect(() => parsePrometheusText('# HELP a x\n# TYPE a gauge\na one\n')).toThrow(/bad value/);
  });
});
