import { escapeXml } from './escape.js';

/** A small dependency-free SVG line chart (learning curves): one or more series on shared axes. */
export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
  /** Half-widths of an interval drawn as a band around the line (e.g. 95% CIs), one per point. */
  band?: number[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Logarithmic y axis (losses spanning decades). */
  logY?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];

/** Round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0)
    ? v.toExponential(1)
    : String(Number(v.toPrecision(3)));

export function lineChartSvg(series: Series[], o: LineChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 360;
  const m = { l: 64, r: 16, t: 36, b: 48 };
  const all = series.flatMap((s) => s.points.map((p, i) => [p[0], p[1], s.band?.[i] ?? 0] as const));
  if (all.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="10" y="20">${escapeXml(o.title)}: no data</text></svg>`;
  const ty = (v: number) => (o.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const x0 = Math.min(...all.map((p) => p[0]));
  let x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => ty(p[1] - p[2])));
  let y1 = Math.max(...all.map((p) => ty(p[1] + p[2])));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  const X = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((ty(v) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`);
    parts.push(`<text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    const v = o.logY ? Math.pow(10, t) : t;
    const yy = H - m.b - ((t - y0) / (y1 - y0)) * (H - m.t - m.b);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${yy + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#888"/>`,
  );
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}${o.logY ? ' (log)' : ''}</text>`,
  );
  series.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    if (s.band) {
      const up = s.points.map((p, j) => `${X(p[0]).toFixed(1)},${Y(p[1] + s.band![j]).toFixed(1)}`);
      const down = s.points
        .map((p, j) => `${X(p[0]).toFixed(1)},${Y(p[1] - s.band![j]).toFixed(1)}`)
        .reverse();
      parts.push(`<polygon points="${[...up, ...down].join(' ')}" fill="${c}" opacity="0.15"/>`);
    }
    const d = s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    if (s.points.length <= 40)
      for (const p of s.points)
        parts.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.5" fill="${c}"/>`);
    parts.push(`<rect x="${W - m.r - 150}" y="${m.t + 8 + 16 * i}" width="10" height="10" fill="${c}"/>`);
    parts.push(`<text x="${W - m.r - 135}" y="${m.t + 17 + 16 * i}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Means over consecutive windows of `w` points (train losses are noisy per episode). */
export function smooth(points: [number, number][], w: number): [number, number][] {
  if (w <= 1) return points;
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += w) {
    const chunk = points.slice(i, i + w);
    out.push([chunk[chunk.length - 1][0], chunk.reduce((s, p) => s + p[1], 0) / chunk.length]);
  }
  return out;
}
