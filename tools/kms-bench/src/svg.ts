/** One point of a concurrency sweep. */
export interface SweepPoint {
  readonly concurrency: number;
  readonly rate: number;
  readonly p99Ms: number;
}

export interface SweepPlot {
  readonly title: string;
  readonly subtitle?: string;
  readonly points: readonly SweepPoint[];
}

const W = 720;
const H = 420;
const M = { left: 78, right: 78, top: 64, bottom: 56 };
const RATE_COLOR = '#1f6feb';
const P99_COLOR = '#d1480f';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A "nice" axis maximum and step (1, 2 or 5 x 10^k) with about `ticks` steps. */
export function niceScale(max: number, ticks = 5): { readonly max: number; readonly step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { max: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { max: Math.ceil(max / step) * step, step };
}

const label = (v: number): string => {
  if (v >= 1000) return `${Number((v / 1000).toFixed(2))}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1);
};

/**
 * Throughput (left axis) and p99 latency (right axis) against concurrency (log
 * scale) as a standalone SVG document. Pure: no plotting package, so the file is
 * reproducible from the numbers.
 */
export function renderSweepSvg(plot: SweepPlot): string {
  const pts = [...plot.points].filter((p) => p.concurrency > 0).sort((a, b) => a.concurrency - b.concurrency);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const cMin = pts[0]?.concurrency ?? 1;
  const cMax = pts[pts.length - 1]?.concurrency ?? 1;
  const lMin = Math.log2(cMin);
  const span = Math.log2(cMax) - lMin;
  const x = (c: number) => M.left + (span === 0 ? pw / 2 : ((Math.log2(c) - lMin) / span) * pw);
  const rateScale = niceScale(Math.max(0, ...pts.map((p) => p.rate)));
  const p99Scale = niceScale(Math.max(0, ...pts.map((p) => p.p99Ms)));
  const yRate = (v: number) => M.top + ph - (v / rateScale.max) * ph;
  const yP99 = (v: number) => M.top + ph - (v / p99Scale.max) * ph;
  const f = (n: number) => n.toFixed(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(plot.title)}</text>`,
  );
  if (plot.subtitle) out.push(`<text x="${W / 2}" y="42" text-anchor="middle" fill="#555">${esc(plot.subtitle)}</text>`);
  // Grid and left/right tick labels (the grid follows the throughput axis).
  const steps = Math.round(rateScale.max / rateScale.step);
  for (let i = 0; i <= steps; i++) {
    const y = M.top + ph - (i / steps) * ph;
    out.push(`<line x1="${M.left}" y1="${f(y)}" x2="${M.left + pw}" y2="${f(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 8}" y="${f(y + 4)}" text-anchor="end" fill="${RATE_COLOR}">${label(i * rateScale.step)}</text>`);
  }
  const p99Steps = Math.round(p99Scale.max / p99Scale.step);
  for (let i = 0; i <= p99Steps; i++) {
    const y = M.top + ph - (i / p99Steps) * ph;
    out.push(`<text x="${M.left + pw + 8}" y="${f(y + 4)}" fill="${P99_COLOR}">${label(Number((i * p99Scale.step).toPrecision(6)))}</text>`);
  }
  for (const p of pts) {
    out.push(`<line x1="${f(x(p.concurrency))}" y1="${M.top + ph}" x2="${f(x(p.concurrency))}" y2="${M.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${f(x(p.concurrency))}" y="${M.top + ph + 19}" text-anchor="middle">${p.concurrency}</text>`);
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">concurrent clients (log scale)</text>`,
    `<text transform="translate(20 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="${RATE_COLOR}">activations/s</text>`,
    `<text transform="translate(${W - 18} ${M.top + ph / 2}) rotate(90)" text-anchor="middle" fill="${P99_COLOR}">p99 latency (ms)</text>`,
  );
  const series = (y: (v: number) => number, v: (p: SweepPoint) => number, color: string, dash: string) => {
    if (pts.length > 1) {
      const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(p.concurrency))},${f(y(v(p)))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    }
    for (const p of pts) out.push(`<circle cx="${f(x(p.concurrency))}" cy="${f(y(v(p)))}" r="4" fill="${color}"/>`);
  };
  series(yRate, (p) => p.rate, RATE_COLOR, '');
  series(yP99, (p) => p.p99Ms, P99_COLOR, ' stroke-dasharray="6 4"');
  // Legend.
  const lx = M.left + 12;
  const ly = M.top + 14;
  out.push(
    `<rect x="${lx - 6}" y="${ly - 12}" width="170" height="40" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`,
    `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${RATE_COLOR}" stroke-width="2"/>`,
    `<text x="${lx + 30}" y="${ly}">activations/s</text>`,
    `<line x1="${lx}" y1="${ly + 14}" x2="${lx + 24}" y2="${ly + 14}" stroke="${P99_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>`,
    `<text x="${lx + 30}" y="${ly + 18}">p99 latency (ms)</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
