import type { TransferReport } from './transfer.js';
import { ticks as niceTicks } from '../report/line_chart.js';
import { escapeXml } from '../report/escape.js';

const COLOURS = { negative: '#c0392b', positive: '#27864a', 'n.s.': '#8c8c8c' } as const;

/** Round tick values covering [lo, hi] (shared with the learning-curve charts). */
export { niceTicks };

function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const a = Math.floor(i);
  const b = Math.min(sorted.length - 1, a + 1);
  return sorted[a] + (sorted[b] - sorted[a]) * (i - a);
}

/**
 * A bar chart of every task's gain over its independent model, one panel per setting on one shared
 * y scale (so settings compare at a glance), with 95% error bars; red where transfer is significantly
 * negative, green where significantly positive. The scale covers the 2nd to 98th percentile of all
 * interval ends, so one task with a huge interval cannot flatten the others: what falls outside is
 * clipped at the panel edge and marked with its value. Hand-written SVG: no dependencies, diffs as text.
 */
export function gainChartSvg(r: TransferReport, title: string): string {
  const scale = r.metric === 'accuracy' ? 100 : 1;
  const unit =
    r.metric === 'accuracy'
      ? 'gain in accuracy (percentage points)'
      : 'gain = reduction in MSE (target units²)';
  const T = r.numTasks;
  const slot = Math.max(12, Math.min(40, Math.floor(900 / T)));
  const plotW = Math.max(240, T * slot);
  const axisW = 48;
  const panelW = axisW + plotW + 24;
  const plotH = 150;
  const titleH = 22;
  const labelH = 96;
  const panelH = titleH + plotH + labelH;
  const S = r.settings.length;
  const cols = Math.max(1, Math.min(S, Math.floor(1400 / panelW)));
  const rows = Math.ceil(S / cols);
  const header = 64;
  const width = Math.max(720, cols * panelW + 20);
  const height = header + rows * panelH + 10;

  const ends = r.settings
    .flatMap((s) =>
      s.tasks.flatMap((t) => [(t.gain.mean - t.gain.ci95) * scale, (t.gain.mean + t.gain.ci95) * scale]),
    )
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  let lo = Math.min(0, ends.length > 0 ? quantile(ends, 0.02) : -1);
  let hi = Math.max(0, ends.length > 0 ? quantile(ends, 0.98) : 1);
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.06;
  lo -= pad;
  hi += pad;
  const ticks = niceTicks(lo, hi, 4);
  const fmtV = (v: number) => String(+v.toPrecision(3));

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(
    `<text x="12" y="40" fill="#333">${escapeXml(unit)} of each multi-task setting over independent models, with 95% intervals</text>`,
  );
  out.push(
    `<text x="12" y="56"><tspan fill="${COLOURS.negative}">■</tspan> negative transfer   <tspan fill="${COLOURS.positive}">■</tspan> positive transfer   <tspan fill="${COLOURS['n.s.']}">■</tspan> not significant   (values beyond the shared scale are clipped and printed)</text>`,
  );
  r.settings.forEach((s, p) => {
    const px = 10 + (p % cols) * panelW;
    const py = header + Math.floor(p / cols) * panelH;
    const x0 = px + axisW;
    const y0 = py + titleH;
    const y = (v: number) => y0 + ((hi - Math.max(lo, Math.min(hi, v))) / (hi - lo)) * plotH;
    out.push(`<g>`);
    out.push(`<text x="${x0}" y="${y0 - 7}" font-weight="bold">${escapeXml(s.setting.label)}</text>`);
    for (const v of ticks) {
      out.push(
        `<line x1="${x0 - 4}" x2="${x0 + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${v === 0 ? '#000' : '#e6e6e6'}"/>`,
      );
      out.push(`<text x="${x0 - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmtV(v)}</text>`);
    }
    out.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#bbb"/>`);
    s.tasks.forEach((t, i) => {
      const cx = x0 + (plotW / T) * (i + 0.5);
      const m = t.gain.mean * scale;
      const c = t.gain.ci95 * scale;
      const bw = Math.max(4, (plotW / T) * 0.6);
      const yTop = Math.min(y(m), y(0));
      const h = Math.max(0.5, Math.abs(y(m) - y(0)));
      out.push(
        `<rect x="${(cx - bw / 2).toFixed(1)}" y="${yTop.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[t.verdict]}"><title>${escapeXml(`${t.id}: ${fmtV(m)} ± ${fmtV(c)} (${t.verdict})`)}</title></rect>`,
      );
      const e1 = y(m + c);
      const e2 = y(m - c);
      out.push(
        `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${e1.toFixed(1)}" y2="${e2.toFixed(1)}" stroke="#222"/>`,
      );
      const clipped = (v: number) => v > hi || v < lo;
      if (clipped(m + c) && clipped(m - c) && m + c > hi === m - c > hi) {
        // The whole interval is off the scale on one side: print it once at that edge.
        const ty = m > hi ? y0 + 9 : y0 + plotH - 3;
        out.push(
          `<text x="${(cx + 2).toFixed(1)}" y="${ty.toFixed(1)}" font-size="8" fill="#222">${fmtV(m)} ± ${fmtV(c)}</text>`,
        );
      } else {
        for (const [v, e] of [
          [m + c, e1],
          [m - c, e2],
        ]) {
          if (clipped(v)) {
            // Clipped: print the true end of the interval next to the panel edge.
            const ty = v > hi ? e + 9 : e - 3;
            out.push(
              `<text x="${(cx + 2).toFixed(1)}" y="${ty.toFixed(1)}" font-size="8" fill="#222">${fmtV(v)}</text>`,
            );
          } else {
            out.push(
              `<line x1="${(cx - 3).toFixed(1)}" x2="${(cx + 3).toFixed(1)}" y1="${e.toFixed(1)}" y2="${e.toFixed(1)}" stroke="#222"/>`,
            );
          }
        }
      }
      const name = t.id.length > 16 ? `${t.id.slice(0, 15)}…` : t.id;
      out.push(
        `<text transform="translate(${(cx + 3).toFixed(1)},${(y0 + plotH + 6).toFixed(1)}) rotate(-60)" text-anchor="end" font-size="${T > 30 ? 8 : 10}">${escapeXml(name)}</text>`,
      );
    });
    out.push(`</g>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
