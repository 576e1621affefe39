import { escapeXml } from './escape.js';
import { ticks } from './line_chart.js';

/** One bar: a value with the half-width of its 95% interval. */
export interface Bar {
  label: string;
  value: number;
  ci95: number;
  /** Drawn in the highlight colour (e.g. the best setting). */
  highlight?: boolean;
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  /** Values times this when printed and drawn (100: fractions as percent). */
  scale?: number;
  width?: number;
  height?: number;
}

const fmt = (v: number) => String(Number(v.toPrecision(3)));

/**
 * A small dependency-free SVG bar chart with 95% error bars (sweep tables: one bar per setting). The
 * y axis covers the interval ends, not zero: settings of a sweep differ by little next to their level.
 */
export function barChartSvg(bars: readonly Bar[], o: BarChartOptions): string {
  const s = o.scale ?? 1;
  const labelH = 110;
  const m = { l: 64, r: 16, t: 36, b: labelH };
  const W = o.width ?? Math.max(360, m.l + m.r + 56 * bars.length);
  const H = o.height ?? 360;
  const ok = bars.filter((b) => Number.isFinite(b.value));
  if (ok.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="10" y="20">${escapeXml(o.title)}: no data</text></svg>`;
  const ci = (b: Bar) => (Number.isFinite(b.ci95) ? b.ci95 : 0);
  let y0 = Math.min(...ok.map((b) => (b.value - ci(b)) * s));
  let y1 = Math.max(...ok.map((b) => (b.value + ci(b)) * s));
  if (!(y1 > y0)) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = 0.1 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const slot = (W - m.l - m.r) / bars.length;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`,
  ];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`,
  );
  bars.forEach((b, i) => {
    const cx = m.l + slot * (i + 0.5);
    const w = Math.min(40, slot * 0.6);
    const colour = b.highlight ? '#d62728' : '#1f77b4';
    if (Number.isFinite(b.value)) {
      const top = Y(b.value * s);
      parts.push(
        `<rect x="${(cx - w / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${(H - m.b - top).toFixed(1)}" fill="${colour}" opacity="0.75"/>`,
      );
      const lo = Y((b.value - ci(b)) * s);
      const hi = Y((b.value + ci(b)) * s);
      parts.push(
        `<path d="M${cx} ${lo.toFixed(1)}V${hi.toFixed(1)}M${cx - 5} ${lo.toFixed(1)}h10M${cx - 5} ${hi.toFixed(1)}h10" stroke="black" fill="none"/>`,
      );
    }
    parts.push(
      `<text transform="translate(${cx + 4} ${H - m.b + 8}) rotate(60)" font-size="11">${escapeXml(b.label)}</text>`,
    );
  });
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#888"/>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
