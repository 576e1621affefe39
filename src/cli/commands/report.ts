import { writeRunReport } from '../../report/run_report.js';
import type { Command } from '../schema.js';

export const report: Command = {
  name: 'report',
  summary: "(re)draw a run's learning curves and report.html: metalearn report <run folder>",
  positionals: { names: ['run folder'], required: 1 },
  options: {},
  description: `Draws curve-loss.svg (training loss) and curve-val.svg (validation metric with its 95% band) from
metrics.jsonl, PNG copies when rsvg-convert or chromium is installed, and report.html with the config,
the curves and the meta-test result. Works on a run still in progress.`,
  run: async (a) => {
    const r = writeRunReport(a.positionals[0]);
    if (r.skipped) console.error(`note: left out ${r.skipped}, the last line of a run that was killed`);
    console.log([r.html, r.loss, r.val, ...r.png].join('\n'));
    return 0;
  },
};
