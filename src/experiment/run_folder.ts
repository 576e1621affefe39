/**
 * A run folder's layout and its per-step metric log (Node: files).
 *   config.json        the resolved config (rewritten on resume: --steps, --lr-schedule, --workers)
 *   metrics.jsonl      one line per step: step, loss, seconds, and val when validated
 *   checkpoint/        the latest state to resume from (checkpoint.old/ while it is replaced)
 *   best/, last/       params at the best validation and at the end
 *   val-episodes.json, test-episodes.json   the fixed episode sets (classification)
 *   results.json, report.html, curve-*.svg  the result and its report
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { formatCI } from '../engine/stats.js';
import type { StepInfo } from '../train/loop.js';
import { Progress } from './progress.js';
import type { RunConfig } from './config.js';

export interface RunFolder {
  root: string;
  config: string;
  metrics: string;
  checkpoint: string;
  best: string;
  last: string;
  results: string;
}

export function runFolder(out: string): RunFolder {
  const root = path.resolve(out);
  return {
    root,
    config: path.join(root, 'config.json'),
    metrics: path.join(root, 'metrics.jsonl'),
    checkpoint: path.join(root, 'checkpoint'),
    best: path.join(root, 'best'),
    last: path.join(root, 'last'),
    results: path.join(root, 'results.json'),
  };
}

/** A checkpoint, or the previous one kept while a new one is written. */
export const hasCheckpoint = (f: RunFolder): boolean =>
  existsSync(f.checkpoint) || existsSync(`${f.checkpoint}.old`);

/** A validation or test metric as printed: accuracy in percent, MSE as it is. */
export function formatMetric(metric: string, s: { mean: number; ci95: number; n: number }): string {
  const acc = metric === 'accuracy';
  return formatCI(s, acc ? 100 : 1, acc ? 2 : 4, acc ? '%' : '');
}

export const metricName = (metric: string): string => (metric === 'accuracy' ? 'accuracy' : 'MSE');

/** metrics.jsonl lines for every step, and progress (a bar on a terminal, plain lines elsewhere). */
export function stepLogger(
  cfg: RunConfig,
  metricsPath: string,
  unit: string,
  log: (s: string) => void,
): (s: StepInfo) => void {
  const progress = new Progress(cfg.steps, cfg.logEvery, unit, cfg.metaBatch, log);
  return (s) => {
    const rec: Record<string, unknown> = { step: s.step, loss: s.loss, seconds: s.seconds };
    if (s.val) rec.val = { mean: s.val.summary.mean, ci95: s.val.summary.ci95, n: s.val.summary.n };
    appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
    const rate = (s.step * cfg.metaBatch) / Math.max(1e-9, s.seconds);
    progress.update(s.step, rate, `loss ${s.loss.toFixed(4)}`);
    if (s.val) {
      progress.note(
        `step ${s.step}/${cfg.steps}  validation ${metricName(s.val.metric)} ${formatMetric(s.val.metric, s.val.summary)}`,
      );
    }
  };
}

/** Keep the metric lines of steps already in the checkpoint; drop any written after it. */
export function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return writeFileSync(file, '');
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      if (!l.trim()) return false;
      try {
        return (JSON.parse(l) as { step: number }).step <= step;
      } catch {
        return false; // a line cut short by a kill
      }
    });
  writeFileSync(file, kept.map((l) => l + '\n').join(''));
}
