import { escapeXml } from './escape.js';

/** Options of heatmapSvg. */
export interface HeatmapOptions {
  title: string;
  /** Row and column labels (a square matrix has one list for both). */
  labels: readonly string[];
  /** Colour scale bounds; default symmetric around 0 from the largest |value|. */
  min?: number;
  max?: number;
  /** Pixels per cell (default 56). */
  cell?: number;
  /** Digits printed in each cell (default 2). */
  digits?: number;
}

/** Blue (min) through white (midpoint) to red (max). */
function colour(v: number, lo: number, hi: number): string {
  const mid = (lo + hi) / 2;
  const half = (hi - lo) / 2 || 1;
  const t = Math.max(-1, Math.min(1, (v - mid) / half));
  const mix = (a: number, b: number, f: number) => Math.round(a + (b - a) * f);
  const [r, g, b] =
    t >= 0
      ? [mix(255, 202, t), mix(255, 0, t), mix(255, 32, t)]
      : [mix(255, 5, -t), mix(255, 113, -t), mix(255, 176, -t)];
  return `rgb(${r},${g},${b})`;
}

/**
 * A small dependency-free SVG heat map of a square matrix (a task covariance or correlation), each
 * cell coloured on a diverging scale and labelled with its value.
 */
export function heatmapSvg(matrix: readonly (readonly number[])[], o: HeatmapOptions): string {
  const n = matrix.length;
  if (n === 0 || matrix.some((row) => row.length !== n))
    throw new Error(`heatmapSvg: expected a non-empty square matrix, got ${n} rows`);
  if (o.labels.length !== n) throw new Error(`heatmapSvg: ${o.labels.length} labels for ${n} rows`);
  const flat = matrix.flat();
  if (flat.some((v) => !Number.isFinite(v))) throw new Error('heatmapSvg: the matrix has a non-finite value');
  const big = Math.max(...flat.map(Math.abs)) || 1;
  const lo = o.min ?? -big;
  const hi = o.max ?? big;
  const cell = o.cell ?? 56;
  const digits = o.digits ?? 2;
  const left = 12 + 7 * Math.max(...o.labels.map((l) => l.length));
  const top = 48;
  // Wide enough for the title too (about 7 px a character at 14 px).
  const width = Math.max(left + n * cell + 20, Math.ceil(16 + 7.5 * o.title.length));
  const height = top + n * cell + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`,
  ];
  o.labels.forEach((l, i) => {
    const c = top + i * cell + cell / 2;
    parts.push(
      `<text x="${left - 6}" y="${c + 4}" text-anchor="end" font-size="11">${escapeXml(l)}</text>`,
      `<text x="${left + i * cell + cell / 2}" y="${top + n * cell + 16}" text-anchor="middle" font-size="11">${escapeXml(l)}</text>`,
    );
  });
  matrix.forEach((row, i) =>
    row.forEach((v, j) => {
      const x = left + j * cell;
      const y = top + i * cell;
      const dark = Math.abs(v - (lo + hi) / 2) > 0.6 * ((hi - lo) / 2);
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${colour(v, lo, hi)}" stroke="#ccc"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${dark ? 'white' : 'black'}">${v.toFixed(digits)}</text>`,
      );
    }),
  );
  parts.push(
    `<text x="${left}" y="${height - 8}" font-size="10" fill="#555">scale: ${lo.toPrecision(3)} (blue) to ${hi.toPrecision(3)} (red)</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}
