import { describe, expect, it } from 'vitest';
import { niceScale, renderSweepSvg } from './svg.js';

describe('niceScale', () => {
  it.each([
    [4321, { max: 5000, step: 1000 }],
    [100, { max: 100, step: 20 }],
    [0.73, { max: 0.8, step: 0.2 }],
    [0, { max: 1, step: 0.2 }],
  ])('%d -> %j', (max, want) => {
    const got = niceScale(max);
    expect(got.max).toBeCloseTo(want.max, 10);
    expect(got.step).toBeCloseTo(want.step, 10);
  });
});

describe('renderSweepSvg', () => {
  const points = [
    { concurrency: 64, rate: 4100, p99Ms: 31.5 },
    { concurrency: 1, rate: 900, p99Ms: 2.1 },
    { concurrency: 8, rate: 3000, p99Ms: 6 },
    { concurrency: 256, rate: 4000, p99Ms: 120 },
  ];
  const svg = renderSweepSvg({ title: 'all-in-one <test> & co', subtitle: 'Xeon, 2 cores', points });

  it('is one well-formed SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('all-in-one &lt;test&gt; &amp; co');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('draws both series over the concurrencies in order, on a log axis', () => {
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(8);
    const xs = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(1|8|64|256)<\/text>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(xs.map((x) => x[1])).toEqual(['1', '8', '64', '256']);
    const [a, b, c, d] = xs.map((x) => x[0] as number);
    // 1 -> 8 -> 64 are three doublings each; 64 -> 256 two.
    expect(b! - a!).toBeCloseTo(c! - b!, 0);
    expect((d! - c!) / (c! - b!)).toBeCloseTo(2 / 3, 2);
    expect(svg).toContain('activations/s');
    expect(svg).toContain('p99 latency (ms)');
    expect(svg).toContain('>5k<');
    expect(renderSweepSvg({ title: 't', points: [{ concurrency: 1, rate: 1400, p99Ms: 1 }] })).toContain('>1.5k<');
  });

  it('copes with a single point and with no points', () => {
    expect(renderSweepSvg({ title: 't', points: [{ concurrency: 4, rate: 10, p99Ms: 1 }] })).not.toMatch(/NaN/);
    expect(renderSweepSvg({ title: 't', points: [] })).not.toMatch(/NaN/);
  });
});
