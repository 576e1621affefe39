import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { lineChartSvg, smooth } from './line_chart.js';
import { svgToPng } from './svg_raster.js';
import { escapeXml } from './escape.js';
import { readMetricLines } from './metrics_file.js';

/** A JSON object file of the run folder, with errors that name it. */
function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: cannot read it as JSON (${(e as Error).message})`);
  }
}

/**
 * Learning curves (train loss, validation metric with its 95% band) as SVG, and report.html with the
 * config, the curves and the final numbers, from a run folder's metrics.jsonl, config.json, results.json.
 */
export function writeRunReport(runDir: string): {
  loss: string;
  val: string;
  html: string;
  png: string[];
  /** The last line of metrics.jsonl, when it was cut short (a killed run) and left out. */
  skipped?: string;
} {
  const { lines, skipped } = readMetricLines(path.join(runDir, 'metrics.jsonl'));
  const cfg = readJson(path.join(runDir, 'config.json'));
  const results = existsSync(path.join(runDir, 'results.json'))
    ? readJson(path.join(runDir, 'results.json'))
    : null;
  const regression = cfg.dataset === 'sinusoid';
  const w = Math.max(1, Math.floor(lines.length / 100));
  const lossSvg = lineChartSvg(
    [
      {
        name: `train loss (mean of ${w})`,
        points: smooth(
          lines.map((l) => [l.step, l.loss as number]),
          w,
        ),
      },
    ],
    {
      title: `${cfg.learner} on ${cfg.dataset}: training loss`,
      xLabel: 'step',
      yLabel: 'query loss',
      logY: true,
    },
  );
  const vals = lines.filter((l) => l.val);
  const scale = regression ? 1 : 100;
  const valSvg = lineChartSvg(
    [
      {
        name: regression ? 'validation MSE' : 'validation accuracy',
        points: vals.map((l) => [l.step, l.val!.mean * scale]),
        band: vals.map((l) => l.val!.ci95 * scale),
      },
    ],
    {
      title: `${cfg.learner} on ${cfg.dataset}: validation (${vals[0]?.val?.n ?? 0} fixed episodes, 95% band)`,
      xLabel: 'step',
      yLabel: regression ? 'MSE' : 'accuracy (%)',
    },
  );
  const lossPath = path.join(runDir, 'curve-loss.svg');
  const valPath = path.join(runDir, 'curve-val.svg');
  writeFileSync(lossPath, lossSvg);
  writeFileSync(valPath, valSvg);
  const test = results?.test as { metric: string; mean: number; ci95: number; n: number } | undefined;
  const final = test
    ? test.metric === 'accuracy'
      ? `${(test.mean * 100).toFixed(2)}% ± ${(test.ci95 * 100).toFixed(2)}% (95% CI, ${test.n} episodes)`
      : `MSE ${test.mean.toFixed(4)} ± ${test.ci95.toFixed(4)} (95% CI, ${test.n} tasks)`
    : 'not finished';
  const rows = Object.entries(cfg)
    .map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(JSON.stringify(v))}</td></tr>`)
    .join('');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeXml(String(cfg.out))}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}td{padding:2px 12px;border-bottom:1px solid #eee}</style></head>
<body><h1>Run ${escapeXml(String(cfg.out))}</h1>
<p><b>Meta-test:</b> ${escapeXml(final)}${results ? ` &middot; best checkpoint at step ${results.bestStep} &middot; ${Number(results.trainSeconds).toFixed(0)} s of training on ${escapeXml(String(results.backend))}` : ''}</p>
${lossSvg}
${valSvg}
<h2>Config</h2><table>${rows}</table></body></html>`;
  const htmlPath = path.join(runDir, 'report.html');
  writeFileSync(htmlPath, html);
  const png: string[] = [];
  for (const svg of [lossPath, valPath]) {
    const out = svg.replace(/\.svg$/, '.png');
    if (svgToPng(path.resolve(svg), out).ok) png.push(out);
  }
  return { loss: lossPath, val: valPath, html: htmlPath, png, ...(skipped ? { skipped } : {}) };
}
