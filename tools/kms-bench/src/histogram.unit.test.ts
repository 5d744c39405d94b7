import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTOGRAM_BUCKETS, Histogram, bucketOf, bucketRange } from './histogram.js';

/** Percentile by sorting, the definition the histogram approximates. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

describe('histogram buckets', () => {
  it('are exact below 2048 and contiguous above', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(2047)).toBe(2047);
    expect(bucketRange(bucketOf(2048))).toEqual({ low: 2048, high: 2049 });
    expect(bucketRange(bucketOf(1_000_000)).low).toBeLessThanOrEqual(1_000_000);
    expect(bucketOf(2 ** 40)).toBe(HISTOGRAM_BUCKETS - 1);
    const gaps: number[] = [];
    for (let b = 2048; b < HISTOGRAM_BUCKETS - 1; b++) if (bucketRange(b + 1).low !== bucketRange(b).high + 1) gaps.push(b);
    expect(gaps).toEqual([]);
  });

  it('hold every value within 0.1 %', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v) => {
        const { low, high } = bucketRange(bucketOf(v));
        expect(v).toBeGreaterThanOrEqual(low);
        expect(v).toBeLessThanOrEqual(high);
        expect(high - low).toBeLessThanOrEqual(Math.max(0, v / 1000));
      }),
    );
  });
});

describe('Histogram', () => {
  it('is empty at first', () => {
    const h = new Histogram();
    expect([h.count, h.min, h.max, h.mean, h.percentile(99)]).toEqual([0, 0, 0, 0, 0]);
  });

  it('gives exact percentiles for small values', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(95)).toBe(95);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.mean).toBe(50.5);
  });

  it('agrees with sorted samples within the bucket precision', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60_000_000 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const h = new Histogram();
        for (const v of values) h.record(v);
        const exact = exactPercentile([...values].sort((a, b) => a - b), p);
        const got = h.percentile(p);
        expect(got).toBeGreaterThanOrEqual(exact);
        expect(got).toBeLessThanOrEqual(Math.min(h.max, exact + exact / 1000 + 1));
        expect(h.max).toBe(Math.max(...values));
        expect(h.min).toBe(Math.min(...values));
      }),
    );
  });

  it('merges like one histogram fed everything', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 1000; i++) {
      const v = (i * 7919) % 50_000;
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    const merged = new Histogram(a.data());
    merged.merge(b);
    for (const p of [50, 95, 99, 100]) expect(merged.percentile(p)).toBe(all.percentile(p));
    expect([merged.count, merged.min, merged.max, merged.mean]).toEqual([all.count, all.min, all.max, all.mean]);
  });

  it('clamps negative and fractional values', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(3.9);
    expect([h.min, h.max]).toEqual([0, 3]);
  });
});
