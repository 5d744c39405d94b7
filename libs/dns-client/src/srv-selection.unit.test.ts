import { describe, expect, it } from 'vitest';
import { orderSrvRecords, type SrvTarget } from './srv-selection.js';

const rec = (target: string, priority: number, weight: number): SrvTarget => ({ target, priority, weight, port: 1688 });
/** A random source that returns the given values in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('orderSrvRecords (RFC 2782)', () => {
  it('tries lower priorities first, whatever the weights', () => {
    const out = orderSrvRecords([rec('c', 20, 100), rec('a', 0, 0), rec('b', 10, 100)], sequence(0.99));
    expect(out.map((r) => r.target)).toEqual(['a', 'b', 'c']);
  });

  it('picks inside one priority by running sums of the weights (integer in [0, total])', () => {
    const group = [rec('w10', 5, 10), rec('w30', 5, 30), rec('w60', 5, 60)];
    // total 100: pick = floor(r * 101); w10 takes 0..10, w30 11..40, w60 41..100.
    expect(orderSrvRecords(group, sequence(10 / 101, 0))[0]!.target).toBe('w10');
    expect(orderSrvRecords(group, sequence(11 / 101, 0))[0]!.target).toBe('w30');
    expect(orderSrvRecords(group, sequence(40.9 / 101, 0))[0]!.target).toBe('w30');
    expect(orderSrvRecords(group, sequence(41 / 101, 0))[0]!.target).toBe('w60');
    expect(orderSrvRecords(group, sequence(0.999999, 0))[0]!.target).toBe('w60');
  });

  it('chooses first in proportion to weight over an even spread of random values', () => {
    const group = [rec('w10', 0, 10), rec('w30', 0, 30), rec('w60', 0, 60)];
    const counts: Record<string, number> = { w10: 0, w30: 0, w60: 0 };
    const n = 101 * 10;
    for (let i = 0; i < n; i++) counts[orderSrvRecords(group, sequence(i / n, 0))[0]!.target]!++;
    expect(counts).toEqual({ w10: 110, w30: 300, w60: 600 });
  });

  it('removes each pick and repeats on the rest (every record appears once)', () => {
    const group = [rec('a', 0, 1), rec('b', 0, 1), rec('c', 0, 1), rec('d', 1, 0)];
    const out = orderSrvRecords(group, sequence(0.99, 0.99, 0.99));
    expect(out.map((r) => r.target)).toEqual(['c', 'b', 'a', 'd']);
  });

  it('gives weight-0 records a small chance, ordered before the others', () => {
    const group = [rec('heavy', 0, 100), rec('zero', 0, 0)];
    expect(orderSrvRecords(group, sequence(0))[0]!.target).toBe('zero');
    expect(orderSrvRecords(group, sequence(1 / 101))[0]!.target).toBe('heavy');
  });

  it('drops a target of "." (service not available)', () => {
    expect(orderSrvRecords([rec('.', 0, 0)])).toEqual([]);
  });
});
