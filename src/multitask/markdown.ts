import { type Verdict, formatMetric } from './stats.js';
import type { TransferReport } from './transfer.js';

function median(xs: readonly number[]): number {
  const a = xs.slice().sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

const MARK: Record<Verdict, string> = { negative: '▼', positive: '▲', 'n.s.': '' };

export interface ReportContext {
  /** The command that reproduces the run. */
  command: string;
  wallMs: number;
  machine: string;
  /** Extra lines (data split, model) printed under the setup. */
  notes?: readonly string[];
}

/** The report as Markdown: setup, one summary row per setting, and per-task gains of every setting. */
export function formatTransferMarkdown(r: TransferReport, ctx: ReportContext, title: string): string {
  const unit =
    r.metric === 'accuracy'
      ? 'accuracy, %'
      : `MSE${r.targetName ? ` of ${r.targetName}` : ''}, target units²`;
  const gainUnit = r.metric === 'accuracy' ? 'percentage points' : 'units²';
  const o = r.options;
  const L: string[] = [];
  L.push(`# ${title}`, '');
  L.push('Reproduce:', '', '```', ctx.command, '```', '');
  L.push(
    `- task set: \`${r.taskSet}\`, ${r.numTasks} tasks; metric: ${unit} on each task's held-out test rows`,
  );
  L.push(
    `- training: ${o.steps} steps, each with ${o.batchSize} rows of every task (so every model sees ${o.steps} batches of each of its tasks), Adam lr ${o.lr}, hidden layers [${o.hidden.join(', ')}] (ReLU)`,
  );
  L.push(
    `- independent baseline: one single-task network per task (the same trunk and head), same steps, batch size and optimiser`,
  );
  L.push(
    `- seeds: ${o.seeds.join(', ')}; wall time ${(ctx.wallMs / 1000).toFixed(0)} s (independent models ${(r.independentWallMs / 1000).toFixed(0)} s); machine: ${ctx.machine}`,
  );
  for (const n of ctx.notes ?? []) L.push(`- ${n}`);
  L.push(
    `- 95% intervals: mean ± 1.96 standard errors, where the squared standard error adds the test-row term (variance over a task's test rows of each row's seed-averaged value / rows) and the seed term (variance over seeds of each seed's task mean / seeds). The gain is paired: with each seed both models are scored on the same rows, gain = ${r.metric === 'accuracy' ? 'multi-task − independent accuracy' : 'independent − multi-task squared error'} (positive = multi-task better). ▼ marks negative transfer (the whole interval below 0), ▲ positive transfer. Summary means weight every task equally; their intervals combine the per-task ones. The median task gain is robust to one task with a huge error. There is no correction for multiple comparisons: with ${r.numTasks} tasks about ${(r.numTasks * 0.025).toFixed(1)} per setting are expected below zero (and as many above) by chance alone when nothing differs; the \`independent (control)\` setting, where present, shows the observed rate.`,
  );
  L.push('');
  L.push('## Summary', '');
  L.push(
    `| setting | architecture | weighting | mean ${r.metric} (multi-task) | mean ${r.metric} (independent) | mean gain (${gainUnit}) | median task gain | tasks ▼ | tasks ▲ | time (s) |`,
  );
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.settings) {
    const ao =
      s.setting.architectureOptions && Object.keys(s.setting.architectureOptions).length > 0
        ? ` ${JSON.stringify(s.setting.architectureOptions)}`
        : '';
    const opts = ao + (s.setting.hidden ? ` hidden [${s.setting.hidden.join(', ')}]` : '');
    L.push(
      `| ${s.setting.label} | ${s.setting.architecture}${opts} | ${s.setting.weighting ?? 'equal'} | ${formatMetric(s.mean.multi, r.metric)} | ${formatMetric(s.mean.independent, r.metric)} | ${formatMetric(s.mean.gain, r.metric)} | ${formatMetric({ mean: median(s.tasks.map((t) => t.gain.mean)), ci95: 0, n: 0 }, r.metric, false)} | ${s.negative.length} | ${s.positive.length} | ${(s.wallMs / 1000).toFixed(0)} |`,
    );
  }
  L.push('');
  const neg = r.settings.filter((s) => s.negative.length > 0);
  L.push('## Negative transfer', '');
  if (neg.length === 0) {
    L.push(
      'No setting transfers negatively on any task at this budget (no gain interval lies entirely below zero).',
    );
  } else {
    const clean = r.settings.filter((s) => s.negative.length === 0).map((s) => s.setting.label);
    L.push(
      `Negative transfer on at least one task: ${neg.map((s) => `${s.setting.label} (${s.negative.length})`).join(', ')}. ` +
        `No task below zero: ${clean.length > 0 ? clean.join(', ') : 'none of the settings'}.`,
    );
  }
  const best = r.settings.reduce((a, b) => (b.mean.gain.mean > a.mean.gain.mean ? b : a));
  L.push(
    `Largest mean gain: ${best.setting.label} (${formatMetric(best.mean.gain, r.metric)} ${gainUnit}).`,
    '',
  );
  for (const s of r.settings) {
    L.push(`- **${s.setting.label}**: ${s.negative.length === 0 ? 'none' : s.negative.join(', ')}`);
  }
  L.push('');
  L.push(`## Per task: gain over independent (${gainUnit}, 95% CI)`, '');
  L.push(
    `| task | test rows | independent ${r.metric} | ${r.settings.map((s) => s.setting.label).join(' | ')} |`,
  );
  L.push(`|---|---|---|${r.settings.map(() => '---').join('|')}|`);
  r.settings[0].tasks.forEach((t, i) => {
    const cells = r.settings.map((s) => {
      const c = s.tasks[i];
      return `${formatMetric(c.gain, r.metric)} ${MARK[c.verdict]}`.trim();
    });
    L.push(`| ${t.id} | ${t.nTest} | ${formatMetric(t.independent, r.metric)} | ${cells.join(' | ')} |`);
  });
  L.push('');
  L.push(`## Per task: multi-task ${r.metric} (95% CI)`, '');
  L.push(`| task | ${r.settings.map((s) => s.setting.label).join(' | ')} |`);
  L.push(`|---|${r.settings.map(() => '---').join('|')}|`);
  r.settings[0].tasks.forEach((t, i) => {
    L.push(`| ${t.id} | ${r.settings.map((s) => formatMetric(s.tasks[i].multi, r.metric)).join(' | ')} |`);
  });
  L.push('');
  return L.join('\n');
}
