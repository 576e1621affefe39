import { escapeXml } from './escape.js';
import { ticks } from './line_chart.js';

/** One regression task drawn in a panel: the true function, sampled predictive functions, the context. */
export interface FunctionPanel {
  title: string;
  /** The true function on a grid. */
  truth: [number, number][];
  /** Functions drawn from the predictive (e.g. a neural process's decoder means for z samples), on the grid. */
  samples: [number, number][][];
  /** Predictive mean and std on the grid: a band of mean ± 2 std. */
  band?: { x: number[]; mean: number[]; std: number[] };
  /** The context (support) points. */
  context: [number, number][];
}

const fmt = (v: number) => String(Number(v.toPrecision(3)));

/**
 * Panels side by side, each with the true function (black), the sampled predictive functions (thin
 * blue), the predictive mean ± 2 std (shaded) and the context points (red): the picture of Garnelo et
 * al. 2018, Fig. 3, as a dependency-free SVG.
 */
export function functionSamplesSvg(
  panels: FunctionPanel[],
  o: { title: string; panelWidth?: number; height?: number },
): string {
  const PW = o.panelWidth ?? 320;
  const H = o.height ?? 280;
  const W = PW * Math.max(1, panels.length);
  const m = { l: 40, r: 10, t: 48, b: 30 };
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`,
  ];
  panels.forEach((p, i) => {
    const ox = i * PW;
    const all = [...p.truth, ...p.samples.flat(), ...p.context];
    if (p.band)
      p.band.x.forEach((x, j) =>
        all.push([x, p.band!.mean[j] - 2 * p.band!.std[j]], [x, p.band!.mean[j] + 2 * p.band!.std[j]]),
      );
    const xs = all.map((q) => q[0]);
    const ys = all.map((q) => q[1]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (!(y1 > y0)) [y0, y1] = [y0 - 1, y1 + 1];
    const X = (v: number) => ox + m.l + ((v - x0) / (x1 - x0 || 1)) * (PW - m.l - m.r);
    const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
    const line = (pts: [number, number][]) =>
      pts.map((q) => `${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join(' ');
    parts.push(`<text x="${ox + PW / 2}" y="${m.t - 10}" text-anchor="middle">${escapeXml(p.title)}</text>`);
    for (const t of ticks(y0, y1, 4)) {
      parts.push(`<line x1="${ox + m.l}" x2="${ox + PW - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>`);
      parts.push(`<text x="${ox + m.l - 4}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
    }
    for (const t of ticks(x0, x1, 4))
      parts.push(`<text x="${X(t)}" y="${H - m.b + 14}" text-anchor="middle">${fmt(t)}</text>`);
    parts.push(
      `<rect x="${ox + m.l}" y="${m.t}" width="${PW - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#888"/>`,
    );
    if (p.band) {
      const b = p.band;
      const up = b.x.map((x, j) => `${X(x).toFixed(1)},${Y(b.mean[j] + 2 * b.std[j]).toFixed(1)}`);
      const down = b.x
        .map((x, j) => `${X(x).toFixed(1)},${Y(b.mean[j] - 2 * b.std[j]).toFixed(1)}`)
        .reverse();
      parts.push(`<polygon points="${[...up, ...down].join(' ')}" fill="#1f77b4" opacity="0.12"/>`);
    }
    for (const s of p.samples)
      parts.push(
        `<polyline points="${line(s)}" fill="none" stroke="#1f77b4" stroke-width="1" opacity="0.6"/>`,
      );
    parts.push(
      `<polyline points="${line(p.truth)}" fill="none" stroke="black" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    );
    for (const q of p.context)
      parts.push(`<circle cx="${X(q[0]).toFixed(1)}" cy="${Y(q[1]).toFixed(1)}" r="3.5" fill="#d62728"/>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * A reliability diagram (Guo et al. 2017, Fig. 1): per confidence bin, the accuracy as a bar against
 * the diagonal of perfect calibration, with the ECE in the title. Bins are those of calibrationBins.
 */
export function reliabilityDiagramSvg(
  bins: { count: number[]; confidence: number[]; correct: number[] },
  o: { title: string; width?: number; height?: number },
): string {
  const W = o.width ?? 360;
  const H = o.height ?? 360;
  const m = { l: 48, r: 12, t: 36, b: 40 };
  const B = bins.count.length;
  const n = bins.count.reduce((s, c) => s + c, 0);
  let ece = 0;
  for (let i = 0; i < B; i++)
    if (bins.count[i] > 0) ece += Math.abs(bins.correct[i] - bins.confidence[i]) / n;
  const X = (v: number) => m.l + v * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - v * (H - m.t - m.b);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(o.title)} (ECE ${(ece * 100).toFixed(2)}%, ${n} predictions)</text>`,
  ];
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${X(0)}" x2="${X(1)}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${X(0) - 4}" y="${Y(t) + 4}" text-anchor="end">${t}</text>`);
    parts.push(`<text x="${X(t)}" y="${H - m.b + 14}" text-anchor="middle">${t}</text>`);
  }
  for (let i = 0; i < B; i++) {
    if (bins.count[i] === 0) continue;
    const acc = bins.correct[i] / bins.count[i];
    const conf = bins.confidence[i] / bins.count[i];
    const [a, b] = [i / B, (i + 1) / B];
    parts.push(
      `<rect x="${X(a).toFixed(1)}" y="${Y(acc).toFixed(1)}" width="${(X(b) - X(a) - 1).toFixed(1)}" height="${(Y(0) - Y(acc)).toFixed(1)}" fill="#1f77b4" opacity="0.8"/>`,
    );
    parts.push(`<circle cx="${X(conf).toFixed(1)}" cy="${Y(conf).toFixed(1)}" r="2" fill="#d62728"/>`);
  }
  parts.push(
    `<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#555" stroke-dasharray="4 3"/>`,
  );
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#888"/>`,
  );
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">confidence (top probability)</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
