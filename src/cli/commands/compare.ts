import { writeFileAtomic } from '../../data/cache.js';
import { compareResults, readScoredResult } from '../../experiment/compare.js';
import { formatMetric, metricName } from '../../experiment/run_folder.js';
import { str, type Command } from '../schema.js';

export const compare: Command = {
  name: 'compare',
  summary: 'two results on the same fixed episodes, paired: metalearn compare <run or result A> <B>',
  positionals: { names: ['run or result A', 'run or result B'], required: 2 },
  options: {
    out: { type: 'string', value: 'FILE', help: 'also write the comparison as JSON here' },
  },
  description: `Reads each side's per-episode scores (a run folder's results.json, or a result file such as
eval-5w1s.json) and prints B - A episode by episode: its mean with a 95% interval, and on how many
episodes B scored higher, the same or lower. The two must have been scored on the same saved episode
set (the same sha256): two runs of one seed and data set share their meta-test episodes, and
'metalearn eval' of one shape gives them the same episodes too. A paired interval is narrower than the two separate ones
when the episodes' difficulty is shared.`,
  run: async (a) => {
    const c = compareResults(readScoredResult(a.positionals[0]), readScoredResult(a.positionals[1]));
    const d = c.difference;
    console.log(`A ${c.a.file}: ${metricName(c.metric)} ${formatMetric(c.metric, c.a.summary)}`);
    console.log(`B ${c.b.file}: ${metricName(c.metric)} ${formatMetric(c.metric, c.b.summary)}`);
    console.log(
      `B - A, paired over the same ${d.n} episodes (sha256 ${c.a.episodes!.sha256.slice(0, 16)}): ` +
        `${formatMetric(c.metric, d, true)}; B higher on ${d.higher}, ` +
        `the same on ${d.equal}, lower on ${d.lower}`,
    );
    const out = str(a, 'out');
    if (out !== undefined) {
      writeFileAtomic(out, JSON.stringify(c, null, 2) + '\n');
      console.log(`wrote ${out}`);
    }
    return 0;
  },
};
