import { readFileSync } from 'node:fs';
import { TRANSFER_PRESETS, runTransfer } from '../../experiment/transfer.js';
import { BACKENDS } from '../../experiment/config.js';
import { flag, oneOf, str, type Command, type ParsedArgs } from '../schema.js';

/** Comma-separated numbers of an option, or undefined. */
function numbers(a: ParsedArgs, name: string): number[] | undefined {
  const s = str(a, name);
  if (s === undefined) return undefined;
  const v = s.split(',').map(Number);
  if (v.some((x) => !Number.isFinite(x)))
    throw new Error(`--${name}: expected comma-separated numbers, got '${s}'`);
  return v;
}

/** An argument as a POSIX shell reads it back: bare when safe, else in single quotes. */
const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export const transfer: Command = {
  name: 'transfer',
  summary: 'multi-task training and the negative-transfer report: metalearn transfer <benchmark> [...]',
  positionals: { names: [Object.keys(TRANSFER_PRESETS).join('|')], required: 1 },
  options: {
    seeds: {
      type: 'string',
      value: '1,2,3',
      help: 'seeds to train every setting with',
      shown: "the benchmark's",
    },
    steps: { type: 'string', value: 'N', help: 'training steps per model', shown: "the benchmark's" },
    batch: { type: 'string', value: 'N', help: 'examples per task per step', shown: "the benchmark's" },
    lr: { type: 'string', value: 'X', help: 'Adam learning rate', shown: "the benchmark's" },
    hidden: { type: 'string', value: '64,64', help: 'hidden layer sizes', shown: "the benchmark's" },
    settings: { type: 'string', value: 'label,label', help: 'the settings to run, by label', shown: 'all' },
    backend: { type: 'string', value: 'wasm|cpu', help: 'tfjs backend', shown: 'wasm' },
    'data-dir': { type: 'string', value: 'DIR', help: 'data folder' },
    out: { type: 'string', value: 'DIR', help: 'output folder', shown: 'results/multitask' },
    quick: { type: 'boolean', help: 'one seed, 20 steps: a smoke test' },
    render: { type: 'boolean', help: 'redraw <out>/<benchmark>.md and .svg from its .json without training' },
    redis: {
      type: 'string',
      value: 'URL',
      help: "train on the queue of 'metalearn worker' processes: one job per setting and seed",
    },
    queue: { type: 'string', value: 'NAME', help: 'queue name (with --redis)', shown: 'metalearn' },
  },
  description: `Trains the multi-task settings of the benchmark (conditioning architecture x loss weighting, e.g.
'multihead', 'soft λ=0.01', 'multihead + pcgrad') and one independent model per task on the same data and
budget, and writes <out>/<benchmark>.md (per-task metrics with 95% intervals, gains, negative transfer),
<out>/<benchmark>.svg and <out>/<benchmark>.json. With --redis the models are trained by 'metalearn
worker' processes instead: one job per (setting, seed) and per seed of the independent models, each
writing its test scores to <out>/<benchmark>-pieces/ (so running the command again trains nothing that
is there), and a last job that writes the same report as one process would. <out> must be the same path
on every worker.`,
  run: async (a) => {
    const name = a.positionals[0];
    const one = (k: string) => numbers(a, k)?.[0];
    const opts = {
      seeds: numbers(a, 'seeds'),
      steps: one('steps'),
      batch: one('batch'),
      lr: one('lr'),
      hidden: numbers(a, 'hidden'),
      settings: str(a, 'settings')
        ?.split(',')
        .map((s) => s.trim()),
      backend: oneOf('transfer', a, 'backend', BACKENDS),
      dataDir: str(a, 'data-dir'),
      out: str(a, 'out'),
      quick: flag(a, 'quick'),
      render: flag(a, 'render'),
      // Quoted where a shell needs it (setting labels have spaces), so the report's command can be pasted.
      command: ['metalearn transfer', ...a.argv.map(shellQuote)].join(' '),
      log: console.log,
    };
    const redis = str(a, 'redis');
    if (redis !== undefined) {
      if (opts.render) throw new Error('--render redraws from the .json; it takes no --redis');
      // Loaded on use: the queue client (bullmq, ioredis) is not part of every command's start-up.
      const { enqueueTransfer, waitForTransfer } = await import('../../experiment/sweep_queue.js');
      const { planTransferJobs } = await import('../../experiment/transfer_jobs.js');
      const plan = planTransferJobs(name, opts);
      const conn = { redis, queue: str(a, 'queue') };
      const n = await enqueueTransfer(plan, conn);
      console.log(`transfer report ${plan.name}: ${n} jobs on ${redis}; waiting for the workers`);
      const r = await waitForTransfer(plan, conn);
      console.log(readFileSync(r.files.md, 'utf8'));
      console.log(`wrote ${r.files.md} and ${r.files.svg} in ${(r.wallMs / 1000).toFixed(0)} s`);
      return 0;
    }
    const r = await runTransfer(name, opts);
    console.log(r.markdown);
    console.log(`wrote ${r.files.md} and ${r.files.svg} in ${(r.wallMs / 1000).toFixed(0)} s`);
    return 0;
  },
};
