import { describe, expect, it } from 'vitest';
import { formatMix, parseMix, pickWeighted } from './weights.js';

const KEYS = ['v4', 'v5', 'v6'] as const;

describe('parseMix', () => {
  it('reads key:weight pairs, bare keys as weight 1', () => {
    const r = parseMix('v4:1, v5 ,V6:2.5', KEYS);
    expect(r).toEqual({ ok: true, value: { entries: [{ key: 'v4', weight: 1 }, { key: 'v5', weight: 1 }, { key: 'v6', weight: 2.5 }], total: 4.5 } });
  });

  it('drops zero weights and formats back', () => {
    const r = parseMix('v4:0,v6:2', KEYS);
    expect(r.ok && formatMix(r.value)).toBe('v6:2');
  });

  it.each([
    ['', 'empty mix'],
    ['v4:1,,v6:1', 'empty item in "v4:1,,v6:1"'],
    ['v7:1', 'unknown "v7" (use v4, v5, v6)'],
    ['v4:1,v4:2', 'v4 given twice'],
    ['v4:-1', 'weight of v4 must be a non-negative number, got "-1"'],
    ['v4:x', 'weight of v4 must be a non-negative number, got "x"'],
    ['v4:0,v5:0', 'every weight in "v4:0,v5:0" is zero'],
  ])('rejects %j', (text, message) => {
    expect(parseMix(text, KEYS)).toEqual({ ok: false, message });
  });
});

describe('pickWeighted', () => {
  const r = parseMix('v4:1,v5:1,v6:2', KEYS);
  if (!r.ok) throw new Error(r.message);
  const mix = r.value;

  it('maps the unit interval onto cumulative weights', () => {
    expect(pickWeighted(mix, 0)).toBe('v4');
    expect(pickWeighted(mix, 0.2499)).toBe('v4');
    expect(pickWeighted(mix, 0.25)).toBe('v5');
    expect(pickWeighted(mix, 0.5)).toBe('v6');
    expect(pickWeighted(mix, 0.99999)).toBe('v6');
  });

  it('follows the weights over many draws', () => {
    const counts = { v4: 0, v5: 0, v6: 0 };
    const n = 10_000;
    for (let i = 0; i < n; i++) counts[pickWeighted(mix, (i + 0.5) / n)]++;
    expect(counts).toEqual({ v4: 2500, v5: 2500, v6: 5000 });
  });
});
