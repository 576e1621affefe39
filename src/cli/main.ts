#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import {
  CONFIG_KEYS,
  DEFAULTS,
  resolveConfig,
  readConfigFile,
  readRunConfig,
  suggest,
  type RunConfig,
} from './config.js';
import { evaluateRun, runExperiment } from './run.js';
import { writeRunReport } from '../report/run_report.js';
import { exportRun, predictFolder } from './predict.js';
import { fetchOmniglot } from '../data/download.js';

const HELP: Record<string, string> = {
  main: `metalearn: meta-learning and multi-task learning on TensorFlow.js

Usage: metalearn <command> [options]

Commands:
  demo     meta-train on the built-in synthetic alphabet and print meta-test accuracy (no data needed)
  train    meta-train a learner on a dataset, keep the best checkpoint, meta-test it
  resume   continue a killed or stopped run from its last checkpoint: metalearn resume <run folder>
  eval     meta-test a finished run on new fixed episodes: metalearn eval <run folder> --way 20 --shot 1
  report   (re)draw a run's learning curves and report.html: metalearn report <run folder>
  export   params + config of a run for inference: metalearn export <run folder> <out folder>
  predict  adapt on a support folder, label a query folder: metalearn predict <model> <support> <query>
  fetch    download the public Omniglot zips: metalearn fetch [--data-dir <folder>]
  transfer multi-task training and the negative-transfer report: metalearn transfer <benchmark> [...]
  bench    time the peer benchmark's workloads here and against PyTorch: metalearn bench [...]

Run 'metalearn <command> --help' for the options of a command.`,
  train: `metalearn train [--config run.json] [--<field> <value> ...]

Meta-trains a learner, validates every --val-every steps on fixed episodes, keeps the best
checkpoint, and meta-tests it on --test-episodes fixed episodes (mean and 95% CI).
Flags override the config file; the resolved config is saved as <out>/config.json.

Fields (flag form --kebab-case, config form camelCase), defaults in brackets:
  --learner        protonet | matching | maml | fomaml | anil | meta-sgd | reptile |
                   mann | snail | cnp                                               [protonet]
  --dataset        synthetic | omniglot | folder | sinusoid (regression)            [synthetic]
  --data-dir       folder holding omniglot/ (default $METALEARN_DATA or ../shared/data)
  --folder         for --dataset folder: a folder of class/file.png
  --way --shot --query        N-way K-shot episodes with Q queries per class     [5, 1, 15]
  --test-way --test-shot      episode shape at meta-test                          [= way, shot]
  --steps          meta-training steps                                             [300]
  --meta-batch     episodes per step                                               [1]
  --lr             Adam learning rate                                              [0.001]
  --inner-lr --inner-steps    inner loop of MAML-family learners and Reptile      [0.4, 1]
  --test-inner-steps          inner steps at meta-test                            [= inner-steps]
  --hidden         Conv4 filters                                                   [64]
  --val-every --val-episodes  validation schedule (0 = no validation)            [100, 100]
  --test-episodes  meta-test episodes                                              [1000]
  --seed           seed of everything sampled                                      [0]
  --out            run folder: config.json, metrics.jsonl, best/, last/, results.json [runs/latest]
  --backend        wasm | cpu | tensorflow | webgl | webgpu (default: best available)
  --log-every      print a line every this many steps                              [25]
  --checkpoint-every  write <out>/checkpoint every this many steps                  [50]
  --init-from      start from saved params (a model.json folder, e.g. runs/proto/best)
  --init-map       from=to: use the saved names starting with 'from', renamed to start with 'to'
                   (e.g. embed.=encoder. puts a ProtoNet's Conv4 into a SNAIL encoder)      [=]
  --snail-blocks   snail's block stack: 'attention' (two attention blocks of 64), 'paper' (the
                   paper's Omniglot stack) or JSON, e.g. '[{"kind":"attention","dim":32}]'  [attention]
  --lr-schedule    learning-rate changes, step:lr[,step:lr...] (e.g. 2001:0.001)
  --workers        worker threads sharing each meta-batch's meta-gradient (one core each) [1]

Example:
  metalearn train --dataset omniglot --learner protonet --way 20 --test-way 5 --steps 5000 --out runs/proto`,
  resume: `metalearn resume <run folder> [--steps N] [--lr-schedule step:lr[,step:lr...]] [--workers N]

Continues the run in <run folder> from <run folder>/checkpoint with its saved config.json: the same
parameters, optimiser state and random stream, so the finished run equals an uninterrupted one.
--steps N trains on to N steps in all (N at least the checkpoint's step); config.json records it.
--lr-schedule adds learning-rate changes at steps after the checkpoint (e.g. 12001:0.0003: Adam uses
0.0003 from step 12,001 on); config.json records them as lrSchedule.
--workers N moves the meta-gradient onto N worker threads (or back to 1): it changes speed, not what
is computed (up to float summation order).`,
  eval: `metalearn eval <run folder> [--way N] [--shot K] [--query Q] [--episodes E] [--which best|last] [--inner-steps S]

Meta-tests the run's best (or last) parameters on E fixed episodes of its meta-test classes, drawn
with a seed derived from the run's seed and the episode shape, and saved as test-episodes-<N>w<K>s.json.
Defaults: the run's test shape and test-episode count. Writes eval-<N>w<K>s.json.`,
  report: `metalearn report <run folder>

Draws curve-loss.svg (training loss) and curve-val.svg (validation metric with its 95% band) from
metrics.jsonl, PNG copies when rsvg-convert or chromium is installed, and report.html with the config,
the curves and the meta-test result. Works on a run still in progress.`,
  export: `metalearn export <run folder> <out folder> [--which best|last]

Writes <out folder>/model.json and weights.bin (the TensorFlow.js weights format) with the run's config
in userDefinedMetadata, so 'metalearn predict' or a web page can rebuild the learner from it alone.`,
  predict: `metalearn predict <model folder> <support folder> <query folder> [--no-invert]

Adapts the model (an exported folder or a run folder) on the support set, a folder of class/file.png
with a few drawings per class, and prints the predicted class and confidence of every PNG in the query
folder. Images are read as gray, resized to 28x28, and inverted (dark ink on light paper becomes
ink = 1, the training convention) unless --no-invert is given.`,
  fetch: `metalearn fetch [--data-dir <folder>]

Downloads images_background.zip and images_evaluation.zip of Omniglot (and the Vinyals split lists)
into <folder>/omniglot, checking sizes, writing through temporary files. Default folder: .cache.`,
  transfer: `metalearn transfer <omniglot|youtube-spam|parkinsons> [--seeds 1,2,3] [--steps N] [--batch N]
    [--lr X] [--hidden 64,64] [--settings label,label] [--backend wasm|cpu] [--data-dir DIR]
    [--out results/multitask] [--quick] [--render]

Trains the multi-task settings of the benchmark (conditioning architecture x loss weighting, e.g.
'multihead', 'soft λ=0.01', 'multihead + pcgrad') and one independent model per task on the same data and
budget, and writes <out>/<benchmark>.md (per-task metrics with 95% intervals, gains, negative transfer),
<out>/<benchmark>.svg and <out>/<benchmark>.json. Runs bench/transfer_report.ts.`,
  bench: `metalearn bench [--workloads protonet:train,maml:first_order,...] [--iters N] [--maml-iters N]
    [--warmup N] [--backend wasm] [--no-peer] [--json]

Times the workloads of ../shared/peer/bench.py here (median, p10, p90 ms per step) and, when python3-torch is
installed, runs the PyTorch peer in the same invocation and prints ours/peer. Runs bench/bench.ts.`,
  demo: `metalearn demo [--<field> <value> ...]

Meta-trains a prototypical network on the synthetic alphabet (no data files needed) for 300
5-way 1-shot episodes and meta-tests it on 1,000 fixed episodes of unseen characters.
Accepts the same flags as 'train'. 'npm start' runs the black-box version:
  metalearn demo --learner snail --meta-batch 8 --query 5 --steps 500`,
};

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseFlags(argv: string[]): {
  flags: Record<string, string>;
  config?: string;
  help: boolean;
} {
  const flags: Record<string, string> = {};
  let config: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'; options look like --name value`);
    const key = camel(a.slice(2));
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`option ${a} needs a value`);
    i++;
    if (key === 'config') config = value;
    else if (!(CONFIG_KEYS as string[]).includes(key)) {
      const kebab = CONFIG_KEYS.map((k) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()));
      throw new Error(`unknown option ${a}${suggest(a.slice(2), kebab).replace("'", "'--")}`);
    } else flags[key] = value;
  }
  return { flags, config, help };
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP.main);
    return cmd ? 0 : 1;
  }
  if (!(cmd in HELP) || cmd === 'main') {
    console.error(
      `unknown command '${cmd}'${suggest(cmd, ['demo', 'train', 'resume', 'eval', 'report', 'export', 'predict', 'fetch', 'transfer', 'bench'])}\n\n${HELP.main}`,
    );
    return 2;
  }
  if (cmd === 'resume') {
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(HELP.resume);
      return 0;
    }
    const usage =
      'usage: metalearn resume <run folder> [--steps N] [--lr-schedule step:lr[,step:lr...]] [--workers N]';
    const [dir, ...opts] = rest;
    if (!dir || dir.startsWith('-') || opts.length % 2 !== 0) throw new Error(usage);
    const flags: Record<string, string> = {};
    for (let i = 0; i < opts.length; i += 2) {
      if (!['--steps', '--lr-schedule', '--workers'].includes(opts[i]))
        throw new Error(`${usage}\n(got ${opts[i]})`);
      flags[opts[i].slice(2)] = opts[i + 1];
    }
    // --steps and --workers are config fields (same name in both forms); --lr-schedule is added to it.
    const { 'lr-schedule': addLrSchedule, ...fields } = flags;
    const cfg = readRunConfig(dir, fields);
    await runExperiment({ ...cfg, out: dir }, console.log, { resume: true, addLrSchedule });
    return 0;
  }
  if (cmd === 'transfer' || cmd === 'bench') {
    const script = new URL(
      `../../bench/${cmd === 'transfer' ? 'transfer_report' : 'bench'}.ts`,
      import.meta.url,
    ).pathname;
    if (rest.includes('--help') || (cmd === 'transfer' && rest.length === 0)) {
      console.log(HELP[cmd]);
      return rest.includes('--help') ? 0 : 1;
    }
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...rest], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  if (cmd === 'export') {
    if (rest.length < 2 || rest[0].startsWith('-')) {
      console.log(HELP.export);
      return rest[0] === '--help' ? 0 : 1;
    }
    const which = rest[2] === '--which' ? rest[3] : 'best';
    if (which !== 'best' && which !== 'last')
      throw new Error(`export: --which must be 'best' or 'last', got '${which}'`);
    console.log(exportRun(rest[0], rest[1], which));
    return 0;
  }
  if (cmd === 'predict') {
    const pos = rest.filter((a) => !a.startsWith('--'));
    if (pos.length !== 3 || rest.includes('--help')) {
      console.log(HELP.predict);
      return rest.includes('--help') ? 0 : 1;
    }
    const preds = await predictFolder(pos[0], pos[1], pos[2], { invert: !rest.includes('--no-invert') });
    for (const p of preds) console.log(`${p.file}\t${p.label}\t${(p.confidence * 100).toFixed(1)}%`);
    return 0;
  }
  if (cmd === 'fetch') {
    if (rest.includes('--help')) {
      console.log(HELP.fetch);
      return 0;
    }
    const i = rest.indexOf('--data-dir');
    const dir = await fetchOmniglot(i >= 0 ? rest[i + 1] : undefined, { log: console.log });
    console.log(`Omniglot is in ${dir}; use --data-dir ${dir}`);
    return 0;
  }
  if (cmd === 'report') {
    if (rest.length !== 1 || rest[0].startsWith('-')) {
      console.log(HELP.report);
      return rest[0] === '--help' ? 0 : 1;
    }
    const r = writeRunReport(rest[0]);
    console.log([r.html, r.loss, r.val, ...r.png].join('\n'));
    return 0;
  }
  if (cmd === 'eval') {
    if (rest.includes('--help') || rest.includes('-h') || rest.length === 0) {
      console.log(HELP.eval);
      return rest.length === 0 ? 1 : 0;
    }
    const [dir, ...opts] = rest;
    const over: Record<string, string> = {};
    for (let i = 0; i < opts.length; i += 2) {
      const k = opts[i].replace(/^--/, '');
      if (
        !['way', 'shot', 'query', 'episodes', 'which', 'inner-steps'].includes(k) ||
        opts[i + 1] === undefined
      ) {
        throw new Error(
          `eval: unknown option or missing value '${opts[i]}'; options: --way --shot --query --episodes --which --inner-steps`,
        );
      }
      over[k] = opts[i + 1];
    }
    const num = (k: string) => {
      if (over[k] === undefined) return undefined;
      const v = Number(over[k]);
      if (!Number.isInteger(v) || v <= 0)
        throw new Error(`eval: --${k} must be a positive integer, got '${over[k]}'`);
      return v;
    };
    if (over.which !== undefined && over.which !== 'best' && over.which !== 'last') {
      throw new Error(`eval: --which must be 'best' or 'last', got '${over.which}'`);
    }
    await evaluateRun(dir, {
      way: num('way'),
      shot: num('shot'),
      query: num('query'),
      episodes: num('episodes'),
      which: over.which as 'best' | 'last' | undefined,
      innerSteps: num('inner-steps'),
    });
    return 0;
  }
  const { flags, config, help } = parseFlags(rest);
  if (help) {
    console.log(HELP[cmd]);
    return 0;
  }
  const file = config ? readConfigFile(config) : undefined;
  const base: Record<string, unknown> = cmd === 'demo' ? { out: 'runs/demo', ...(file ?? {}) } : (file ?? {});
  const cfg: RunConfig = resolveConfig(base, config ?? '(defaults)', flags);
  await runExperiment(cfg);
  return 0;
}

export { DEFAULTS };

const invoked =
  process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      console.error(`error: ${e.message}`);
      process.exit(1);
    },
  );
}
