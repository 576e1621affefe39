import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { evaluatePresentationsRun, evaluateRun } from '../../experiment/run.js';
import { evaluateModel } from '../../experiment/model_eval.js';
import { resolveModelArg } from '../../experiment/shipped_models.js';
import { writeFileAtomic } from '../../data/cache.js';
import { formatMetric, metricName } from '../../experiment/run_folder.js';
import { DEFAULT_QUEUE } from '../../experiment/sweep.js';
import { oneOf, posInt, str, type Command } from '../schema.js';

const yesNo = (v: 'yes' | 'no' | undefined): boolean | undefined =>
  v === undefined ? undefined : v === 'yes';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'meta-test a finished run on new fixed episodes: metalearn eval <run folder> --way 20 --shot 1',
  positionals: { names: ['run or model folder'], required: 1 },
  options: {
    way: { type: 'string', value: 'N', help: 'N-way episodes', shown: "the run's test way" },
    shot: { type: 'string', value: 'K', help: 'K-shot episodes', shown: "the run's test shot" },
    query: { type: 'string', value: 'Q', help: 'queries per class', shown: "the run's" },
    episodes: { type: 'string', value: 'E', help: 'fixed episodes', shown: "the run's test episodes" },
    which: { type: 'string', value: 'best|last', help: 'which params to test', shown: 'best' },
    'inner-steps': {
      type: 'string',
      value: 'S',
      help: 'inner steps to adapt with',
      shown: "the run's test inner steps",
    },
    shards: {
      type: 'string',
      value: 'N',
      help: "split the episodes into N jobs on the queue of 'metalearn worker' (needs --redis)",
    },
    redis: {
      type: 'string',
      value: 'URL',
      help: 'Redis of the queue (with --shards)',
      shown: '$METALEARN_REDIS',
    },
    queue: { type: 'string', value: 'NAME', help: 'queue name (with --shards)', shown: DEFAULT_QUEUE },
    'within-group': {
      type: 'string',
      value: 'yes|no',
      help: "draw each episode's N classes from one alphabet (Lake et al. 2015's within-alphabet episodes)",
      shown: "as the run's meta-test",
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      help: 'for an exported model folder: the data folder (holds omniglot/)',
      shown: '$METALEARN_DATA, else ~/.local/share/metalearn',
    },
    out: {
      type: 'string',
      value: 'FILE',
      help: 'for an exported model folder: also write the result as JSON here',
    },
    presentations: {
      type: 'string',
      value: 'P',
      help: 'sequence learners (mann-memory): accuracy at each of P presentations per class (in place of --shot/--query)',
    },
  },
  description: `Meta-tests the run's best (or last) parameters on E fixed episodes of its meta-test classes, drawn
with a seed derived from the run's seed and the episode shape, and saved as test-episodes-<N>w<K>s.json.
Writes eval-<N>w<K>s.json (eval-<N>w<K>s-within.json for within-alphabet episodes).
With --shards N the episodes are split into N contiguous ranges, each a job for the workers of the
queue ('metalearn worker'), and combined exactly (accuracy from the sums of correct answers) into
eval-shards-<shape>.json: the same result as one process. The run folder must be on storage every
worker reaches.
With --presentations P (sequence learners: mann-memory) each fixed episode is N classes x P images
shuffled into one sequence, read with labels one step late as in Santoro et al. 2016, and scored by
accuracy at the 1st, 2nd, ..., P-th presentation of a class (95% CIs over sequences); writes
eval-presentations-<N>w<P>p.json.
An exported model folder ('metalearn export', or a shipped model by name: 'metalearn eval
omniglot-protonet-vinyals'; the package's models/ has their cards) is meta-tested on the
same episodes the run it came from would get, and prints the result with the episode set's sha256;
nothing is written into the folder (--out FILE writes the result there).`,
  run: async (a) => {
    const over = {
      way: posInt('eval', a, 'way'),
      shot: posInt('eval', a, 'shot'),
      query: posInt('eval', a, 'query'),
      episodes: posInt('eval', a, 'episodes'),
      which: oneOf('eval', a, 'which', ['best', 'last'] as const),
      innerSteps: posInt('eval', a, 'inner-steps'),
      withinGroup: yesNo(oneOf('eval', a, 'within-group', ['yes', 'no'] as const)),
    };
    const presentations = posInt('eval', a, 'presentations');
    const shards = posInt('eval', a, 'shards');
    const dir = resolveModelArg(a.positionals[0]);
    if (!existsSync(path.join(dir, 'config.json')) && existsSync(path.join(dir, 'model.json'))) {
      for (const f of ['which', 'shards', 'presentations'] as const) {
        if (a.values[f] !== undefined)
          throw new Error(`eval: --${f} is for run folders; ${dir} is an exported model folder`);
      }
      const r = await evaluateModel(dir, { ...over, dataDir: str(a, 'data-dir') }, console.log);
      const extra = r.correct !== undefined ? `, ${r.correct}/${r.queries} correct` : '';
      console.log(
        `${r.way}-way ${r.shot}-shot${r.withinGroup ? ' within-alphabet' : ''}, ${r.episodes} episodes: ${metricName(r.test.metric)} ${formatMetric(r.test.metric, r.test)}${extra}`,
      );
      console.log(`episodes sha256 ${r.episodesSha256}`);
      const out = str(a, 'out');
      if (out !== undefined) {
        writeFileAtomic(out, JSON.stringify(r, null, 2) + '\n');
        console.log(`wrote ${out}`);
      }
      return 0;
    }
    for (const f of ['data-dir', 'out'] as const) {
      if (a.values[f] !== undefined)
        throw new Error(`eval: --${f} is for exported model folders, not run folders`);
    }
    if (presentations !== undefined) {
      if (shards !== undefined) throw new Error('eval: --presentations runs in one process (no --shards)');
      await evaluatePresentationsRun(dir, { ...over, presentations });
      return 0;
    }
    if (shards === undefined) {
      await evaluateRun(dir, over);
      return 0;
    }
    // Loaded on use: the queue client (bullmq, ioredis) is not part of every command's start-up.
    const { evaluateOnQueue } = await import('../../experiment/sweep_queue.js');
    const redis = str(a, 'redis') ?? process.env.METALEARN_REDIS;
    if (!redis) throw new Error('eval: --shards needs the queue: --redis URL (or $METALEARN_REDIS)');
    const r = await evaluateOnQueue(path.resolve(dir), over, shards, {
      redis,
      queue: str(a, 'queue'),
    });
    const s = r.summary;
    const extra = s.correct !== undefined ? `, ${s.correct}/${s.queries} correct` : '';
    console.log(
      `${s.episodes} episodes in ${s.shards} shards: ${metricName(s.metric)} ${formatMetric(s.metric, { ...s.test, n: s.episodes })}${extra}`,
    );
    console.log(`wrote ${r.file}`);
    return 0;
  },
};
