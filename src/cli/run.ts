import { mkdirSync, writeFileSync, appendFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { Rng } from '../engine/rng.js';
import { disposeParams } from '../nn/params.js';
import { loadParams, saveParams } from '../nn/io_files.js';
import { EpisodeSampler, EpisodeSet } from '../tasks/episodes.js';
import { saveEpisodeSet } from '../tasks/episode_files.js';
import type { SupportQuery } from '../tasks/types.js';
import {
  metaTrain,
  metaTrainAsync,
  type MetaTrainOptions,
  type MetaTrainResult,
  type StepInfo,
} from '../train/loop.js';
import { WorkerPool } from '../train/workers.js';
import type { MetaLearner } from '../meta/types.js';
import type { Params } from '../nn/params.js';
import { Progress } from './progress.js';
import { evaluate } from '../train/evaluate.js';
import { adam, type Optimizer } from '../nn/optim.js';
import { formatCI } from '../engine/stats.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import type { EvalResult } from '../train/evaluate.js';
import { learningRate, parseLrSchedule, readRunConfig, type RunConfig } from './config.js';
import { loadMetaDatasets } from './datasets.js';
import { LEARNERS_MODULE, makeLearner, makeRegressionLearner } from './learners.js';
import { SinusoidTasks } from '../tasks/sinusoid.js';
import { writeRunReport } from '../report/run_report.js';
import type { Checkpoint } from '../train/checkpoint.js';

export interface RunSummary {
  config: RunConfig;
  backend: string;
  data: string;
  stepsTrained: number;
  trainSeconds: number;
  bestStep: number;
  val?: { mean: number; ci95: number; n: number };
  test: { metric: string; mean: number; ci95: number; n: number };
  testSeconds: number;
}

function* fromSet(set: EpisodeSet, sampler: EpisodeSampler): Iterable<SupportQuery> {
  for (let i = 0; i < set.length; i++) yield set.build(i, sampler);
}

/** results.json and the HTML report at the end of a run. */
function writeRunSummary(
  out: string,
  cfg: RunConfig,
  backend: string,
  data: string,
  result: {
    seconds: number;
    bestStep: number;
    bestVal?: { summary: { mean: number; ci95: number; n: number } } | null;
  },
  test: EvalResult,
  testSeconds: number,
  log: (s: string) => void,
): RunSummary {
  const summary: RunSummary = {
    config: cfg,
    backend,
    data,
    stepsTrained: cfg.steps,
    trainSeconds: result.seconds,
    bestStep: result.bestStep,
    val: result.bestVal ? { ...result.bestVal.summary } : undefined,
    test: { metric: test.metric, ...test.summary },
    testSeconds,
  };
  writeFileSync(path.join(out, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
  const rep = writeRunReport(out);
  log(`report: ${path.relative(process.cwd(), rep.html)} (curves as SVG${rep.png.length ? ' and PNG' : ''})`);
  return summary;
}

/**
 * Overwrite entries of a fresh theta with saved params (a warm start: e.g. a SNAIL encoder from a trained
 * ProtoNet's Conv4). `map` is 'from=to': saved names starting with `from` are used, renamed to start with
 * `to`; each must land on a param of the same shape, and at least one must be used.
 */
async function initFromFolder(
  theta: Params,
  dir: string,
  map: string,
  log: (s: string) => void,
): Promise<void> {
  const eq = map.indexOf('=');
  if (eq < 0) throw new Error(`field 'initMap': expected 'from=to' (e.g. 'embed.=encoder.'), got '${map}'`);
  const [from, to] = [map.slice(0, eq), map.slice(eq + 1)];
  const { params: saved } = await loadParams(dir);
  const used = Object.keys(saved).filter((k) => k.startsWith(from));
  try {
    if (used.length === 0) {
      throw new Error(
        `field 'initFrom': no param in '${dir}' starts with '${from}' (field 'initMap' is '${map}'); it holds ${Object.keys(saved).slice(0, 4).join(', ')}, ...`,
      );
    }
    for (const k of used) {
      const name = to + k.slice(from.length);
      if (!(name in theta)) {
        throw new Error(
          `field 'initFrom': '${dir}' holds '${k}', but this learner has no param '${name}' (field 'initMap' is '${map}'; its params start ${Object.keys(theta).slice(0, 4).join(', ')}, ...)`,
        );
      }
      const a = saved[k].shape.join(', ');
      const b = theta[name].shape.join(', ');
      if (a !== b)
        throw new Error(`field 'initFrom': '${dir}' '${k}' is [${a}], this learner's '${name}' is [${b}]`);
    }
  } catch (e) {
    disposeParams(saved);
    throw e;
  }
  for (const k of Object.keys(saved)) {
    if (!k.startsWith(from)) {
      saved[k].dispose();
      continue;
    }
    const name = to + k.slice(from.length);
    theta[name].dispose();
    theta[name] = saved[k];
  }
  log(`initialised ${used.length} of ${Object.keys(theta).length} params from ${dir} (${map})`);
}

/**
 * metaTrain, or with `cfg.workers` > 1 metaTrainAsync on a WorkerPool whose workers build the learner
 * with `factory` (an export of learners.ts) from the same config.
 */
async function trainOn(
  cfg: RunConfig,
  backend: string,
  factory: { name: 'learnerForWorker' | 'regressionLearnerForWorker'; arg: unknown },
  log: (s: string) => void,
  opts: MetaTrainOptions,
): Promise<MetaTrainResult> {
  const n = cfg.workers ?? 1;
  if (n <= 1) return metaTrain(opts);
  const pool = await WorkerPool.create(n, {
    backend,
    factoryModule: LEARNERS_MODULE,
    factoryName: factory.name,
    factoryArg: factory.arg,
  });
  log(`meta-gradients on ${n} worker threads`);
  try {
    return await metaTrainAsync({ ...opts, metaGrads: (theta, episodes) => pool.metaGrads(theta, episodes) });
  } finally {
    await pool.terminate();
  }
}

/** A fresh start (seeded Rng, initial theta) or the state of a checkpoint, ready for metaTrain. */
async function startOrResume(
  cfg: RunConfig,
  learner: MetaLearner,
  optimizer: Optimizer<unknown>,
  ckpt: Checkpoint | null,
  log: (s: string) => void,
): Promise<{ rng: Rng; theta: Params; resume?: MetaTrainOptions['resume'] }> {
  if (!ckpt) {
    const rng = new Rng(cfg.seed);
    const theta = learner.init(rng.fork());
    if (cfg.initFrom) await initFromFolder(theta, cfg.initFrom, cfg.initMap ?? '=', log);
    return { rng, theta };
  }
  const s = ckpt.bestScore as
    { metric: EvalResult['metric']; mean: number; ci95: number; n: number } | undefined;
  log(`resuming from step ${ckpt.step}`);
  return {
    rng: Rng.fromState(ckpt.rngState),
    theta: ckpt.theta,
    resume: {
      step: ckpt.step,
      elapsedSeconds: ckpt.elapsedSeconds,
      optState: optimizer.restore(ckpt.optTensors, ckpt.optMeta),
      best: ckpt.best,
      bestStep: ckpt.bestStep,
      bestVal: s
        ? { metric: s.metric, summary: { mean: s.mean, ci95: s.ci95, n: s.n }, perEpisode: [] }
        : undefined,
    },
  };
}

/** metrics.jsonl lines for every step, and progress (a bar on a terminal, plain lines elsewhere). */
function stepLogger(cfg: RunConfig, metricsPath: string, log: (s: string) => void): (s: StepInfo) => void {
  const unit = cfg.dataset === 'sinusoid' ? 'tasks' : 'episodes';
  const progress = new Progress(cfg.steps, cfg.logEvery, unit, cfg.metaBatch, log);
  return (s) => {
    const rec: Record<string, unknown> = { step: s.step, loss: s.loss, seconds: s.seconds };
    if (s.val) rec.val = { mean: s.val.summary.mean, ci95: s.val.summary.ci95, n: s.val.summary.n };
    appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
    const rate = (s.step * cfg.metaBatch) / Math.max(1e-9, s.seconds);
    progress.update(s.step, rate, `loss ${s.loss.toFixed(4)}`);
    if (s.val) {
      const acc = s.val.metric === 'accuracy';
      progress.note(
        `step ${s.step}/${cfg.steps}  validation ${acc ? 'accuracy' : 'MSE'} ${formatCI(s.val.summary, acc ? 100 : 1, acc ? 2 : 4, acc ? '%' : '')}`,
      );
    }
  };
}

/** Keep the metric lines of steps already in the checkpoint; drop any written after it. */
function truncateMetrics(file: string, step: number): void {
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

/**
 * Meta-train, keep the best validation checkpoint, meta-test it on fixed episodes. Writes into cfg.out.
 * With `resume`, continues from <out>/checkpoint (written every cfg.checkpointEvery steps).
 */
export async function runExperiment(
  cfg: RunConfig,
  log: (s: string) => void = console.log,
  opts: {
    resume?: boolean;
    /** Resume only: learning-rate changes ('step:lr,...') to add, each after the checkpoint's step. */
    addLrSchedule?: string;
  } = {},
): Promise<RunSummary> {
  const backend = await initEngine({ backend: cfg.backend });
  const out = path.resolve(cfg.out);
  const ckptDir = path.join(out, 'checkpoint');
  const metricsPath = path.join(out, 'metrics.jsonl');
  const ckpt = opts.resume ? loadCheckpoint(ckptDir) : null;
  if (opts.resume && !ckpt) throw new Error(`${ckptDir}: no checkpoint to resume from`);
  if (ckpt && ckpt.step > cfg.steps) {
    throw new Error(
      `--steps: the checkpoint is at step ${ckpt.step}; a resumed run cannot end before it (got ${cfg.steps})`,
    );
  }
  if (!opts.resume && (existsSync(ckptDir) || existsSync(`${ckptDir}.old`))) {
    throw new Error(
      `${out} already holds a run with a checkpoint; resume it with 'metalearn resume ${cfg.out}' or choose another --out`,
    );
  }
  if (opts.addLrSchedule !== undefined) {
    if (!ckpt) throw new Error('--lr-schedule: only a resumed run takes added learning-rate changes');
    const added = opts.addLrSchedule;
    const early = parseLrSchedule(added).find((p) => !(p.from > ckpt.step));
    if (early !== undefined) {
      throw new Error(
        `--lr-schedule: the checkpoint is at step ${ckpt.step}; a change at step ${early.from} would rewrite steps already trained`,
      );
    }
    cfg = { ...cfg, lrSchedule: cfg.lrSchedule ? `${cfg.lrSchedule},${added}` : added };
  }
  mkdirSync(out, { recursive: true });
  // The stack is recorded so that a later change of the default cannot change what a saved run means.
  if (cfg.learner === 'snail' && cfg.snailBlocks === undefined) cfg = { ...cfg, snailBlocks: 'attention' };
  // Written on resume too: `resume --steps` changes the total.
  writeFileSync(path.join(out, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  if (ckpt) truncateMetrics(metricsPath, ckpt.step);
  else writeFileSync(metricsPath, '');
  if (cfg.dataset === 'sinusoid') return runRegression(cfg, backend, out, metricsPath, ckptDir, ckpt, log);

  const data = loadMetaDatasets(cfg, log);
  const shape = data.train.exampleShape;
  const learner = makeLearner(cfg, shape);
  const testWay = cfg.testWay ?? cfg.way;
  // Meta-test adapts with testInnerSteps (validation, part of training, with innerSteps).
  const testSteps = cfg.testInnerSteps ?? cfg.innerSteps;
  const testLearner =
    testWay === cfg.way && testSteps === cfg.innerSteps
      ? learner
      : makeLearner({ ...cfg, way: testWay, innerSteps: testSteps }, shape);
  log(`backend ${backend}; ${data.description}`);
  log(
    `${learner.name}: ${cfg.way}-way ${cfg.shot}-shot, ${cfg.query} queries/class, meta-batch ${cfg.metaBatch}, ${cfg.steps} steps`,
  );

  const trainSampler = new EpisodeSampler(data.train, { nWay: cfg.way, kShot: cfg.shot, nQuery: cfg.query });
  const valSampler = new EpisodeSampler(data.val, { nWay: cfg.way, kShot: cfg.shot, nQuery: cfg.query });
  const testSampler = new EpisodeSampler(data.test, {
    nWay: testWay,
    kShot: cfg.testShot ?? cfg.shot,
    nQuery: cfg.query,
  });
  // Fixed, saved episode sets: every model evaluated on this data sees the same episodes.
  const valSet = EpisodeSet.generate(valSampler, cfg.valEpisodes, cfg.seed + 1000);
  const testSet = EpisodeSet.generate(testSampler, cfg.testEpisodes, cfg.seed + 2000);
  saveEpisodeSet(valSet, path.join(out, 'val-episodes.json'));
  saveEpisodeSet(testSet, path.join(out, 'test-episodes.json'));

  const optimizer = adam({ lr: learningRate(cfg) }) as Optimizer<unknown>;
  const { rng, theta, resume } = await startOrResume(cfg, learner, optimizer, ckpt, log);
  const result = await trainOn(cfg, backend, { name: 'learnerForWorker', arg: { cfg, shape } }, log, {
    resume,
    checkpointEvery: cfg.checkpointEvery,
    onCheckpoint: (c) => saveCheckpoint(ckptDir, c),
    learner,
    theta,
    rng,
    steps: cfg.steps,
    metaBatch: cfg.metaBatch,
    optimizer,
    sample: (r) => trainSampler.sample(r),
    valEvery: cfg.valEvery > 0 ? cfg.valEvery : undefined,
    validation: () => fromSet(valSet, valSampler),
    onStep: stepLogger(cfg, metricsPath, log),
  });
  await saveParams(path.join(out, 'best'), result.best, { learner: cfg.learner, step: result.bestStep });
  await saveParams(path.join(out, 'last'), result.last, { learner: cfg.learner, step: cfg.steps });

  const t0 = Date.now();
  const test = evaluate(testLearner, result.best, fromSet(testSet, testSampler), { dispose: true });
  const testSeconds = (Date.now() - t0) / 1000;
  disposeParams(result.best);
  disposeParams(result.last);
  const acc = test.metric === 'accuracy';
  log(
    `meta-test ${acc ? 'accuracy' : 'MSE'} (${testWay}-way ${cfg.testShot ?? cfg.shot}-shot, best checkpoint at step ${result.bestStep}): ` +
      formatCI(test.summary, acc ? 100 : 1, acc ? 2 : 4, acc ? '%' : ''),
  );
  const summary = writeRunSummary(out, cfg, backend, data.description, result, test, testSeconds, log);
  log(
    `run written to ${out} (train ${result.seconds.toFixed(0)} s, test ${testSeconds.toFixed(0)} s, ${tf.memory().numTensors} tensors live)`,
  );
  return summary;
}

export interface EvalSummary {
  run: string;
  checkpoint: string;
  way: number;
  shot: number;
  query: number;
  /** Inner steps the learner adapted with (MAML family and Reptile; others ignore it). */
  innerSteps: number;
  test: { metric: string; mean: number; ci95: number; n: number };
  seconds: number;
}

/**
 * Meta-test a finished run's best (or last) params on a fresh fixed episode set of any shape: the run's
 * learner and data, with `way`/`shot` overridden. The episode set is saved beside the result.
 */
export async function evaluateRun(
  runDir: string,
  over: {
    way?: number;
    shot?: number;
    query?: number;
    episodes?: number;
    which?: 'best' | 'last';
    innerSteps?: number;
  },
  log: (s: string) => void = console.log,
): Promise<EvalSummary> {
  const cfg = readRunConfig(runDir);
  await initEngine({ backend: cfg.backend });
  const which = over.which ?? 'best';
  if (cfg.dataset === 'sinusoid') return evaluateRegressionRun(runDir, cfg, over, which, log);
  const way = over.way ?? cfg.testWay ?? cfg.way;
  const shot = over.shot ?? cfg.testShot ?? cfg.shot;
  const query = over.query ?? cfg.query;
  const episodes = over.episodes ?? cfg.testEpisodes;
  const innerSteps = over.innerSteps ?? cfg.testInnerSteps ?? cfg.innerSteps;
  const data = loadMetaDatasets(cfg, log);
  const learner = makeLearner({ ...cfg, way, innerSteps }, data.test.exampleShape);
  const { params } = await loadParams(path.join(runDir, which));
  const sampler = new EpisodeSampler(data.test, { nWay: way, kShot: shot, nQuery: query });
  const set = EpisodeSet.generate(sampler, episodes, cfg.seed + 3000 + 97 * way + shot);
  const tag = `${way}w${shot}s${innerSteps === cfg.innerSteps ? '' : `-${innerSteps}steps`}${which === 'last' ? '-last' : ''}`;
  saveEpisodeSet(set, path.join(runDir, `test-episodes-${way}w${shot}s.json`));
  const t0 = Date.now();
  const test = evaluate(learner, params, fromSet(set, sampler), { dispose: true });
  disposeParams(params);
  const seconds = (Date.now() - t0) / 1000;
  const acc = test.metric === 'accuracy';
  log(
    `${learner.name} (${which}) ${way}-way ${shot}-shot${learner.family === 'optimization' ? `, ${innerSteps} inner steps` : ''}: ${formatCI(test.summary, acc ? 100 : 1, acc ? 2 : 4, acc ? '%' : '')}`,
  );
  const summary: EvalSummary = {
    run: runDir,
    checkpoint: which,
    way,
    shot,
    query,
    innerSteps,
    test: { metric: test.metric, ...test.summary },
    seconds,
  };
  writeFileSync(path.join(runDir, `eval-${tag}.json`), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** The same run on sinusoid regression (MAML paper): fixed seeded validation/test tasks, MSE. */
async function runRegression(
  cfg: RunConfig,
  backend: string,
  out: string,
  metricsPath: string,
  ckptDir: string,
  ckpt: Checkpoint | null,
  log: (s: string) => void,
): Promise<RunSummary> {
  const tasks = new SinusoidTasks();
  const learner = makeRegressionLearner(cfg);
  const testLearner = makeRegressionLearner(cfg, cfg.testInnerSteps ?? cfg.innerSteps);
  const testShot = cfg.testShot ?? cfg.shot;
  const fixed = (seed: number, n: number, shot: number) =>
    function* (): Iterable<SupportQuery> {
      const r = new Rng(seed);
      for (let i = 0; i < n; i++) yield tasks.sample(r).source.supportQuery(shot, cfg.query, r);
    };
  log(`backend ${backend}; sinusoid regression (amplitude 0.1-5, phase 0-pi, x in [-5, 5])`);
  log(
    `${learner.name}: ${cfg.shot}-shot, ${cfg.query} query points, meta-batch ${cfg.metaBatch}, ${cfg.steps} steps`,
  );
  const optimizer = adam({ lr: learningRate(cfg) }) as Optimizer<unknown>;
  const { rng, theta, resume } = await startOrResume(cfg, learner, optimizer, ckpt, log);
  const result = await trainOn(cfg, backend, { name: 'regressionLearnerForWorker', arg: { cfg } }, log, {
    learner,
    theta,
    rng,
    resume,
    steps: cfg.steps,
    metaBatch: cfg.metaBatch,
    optimizer,
    checkpointEvery: cfg.checkpointEvery,
    onCheckpoint: (c) => saveCheckpoint(ckptDir, c),
    sample: (r) => tasks.sample(r).source.supportQuery(cfg.shot, cfg.query, r),
    valEvery: cfg.valEvery > 0 ? cfg.valEvery : undefined,
    validation: fixed(cfg.seed + 1000, cfg.valEpisodes, cfg.shot),
    onStep: stepLogger(cfg, metricsPath, log),
  });
  await saveParams(path.join(out, 'best'), result.best, { learner: cfg.learner, step: result.bestStep });
  await saveParams(path.join(out, 'last'), result.last, { learner: cfg.learner, step: cfg.steps });
  const t0 = Date.now();
  const test = evaluate(testLearner, result.best, fixed(cfg.seed + 2000, cfg.testEpisodes, testShot)(), {
    dispose: true,
  });
  const testSeconds = (Date.now() - t0) / 1000;
  disposeParams(result.best);
  disposeParams(result.last);
  const steps = cfg.testInnerSteps ?? cfg.innerSteps;
  log(
    `meta-test MSE (${testShot}-shot${['cnp'].includes(cfg.learner) ? '' : `, ${steps} inner step${steps === 1 ? '' : 's'}`}, best checkpoint at step ${result.bestStep}): ` +
      formatCI(test.summary, 1, 4, ''),
  );
  const summary = writeRunSummary(
    out,
    cfg,
    backend,
    'sinusoid regression (amplitude 0.1-5, phase 0-pi, x in [-5, 5])',
    result,
    test,
    testSeconds,
    log,
  );
  return summary;
}

async function evaluateRegressionRun(
  runDir: string,
  cfg: RunConfig,
  over: { shot?: number; query?: number; episodes?: number; innerSteps?: number },
  which: 'best' | 'last',
  log: (s: string) => void,
): Promise<EvalSummary> {
  const shot = over.shot ?? cfg.testShot ?? cfg.shot;
  const query = over.query ?? cfg.query;
  const n = over.episodes ?? cfg.testEpisodes;
  const steps = over.innerSteps ?? cfg.testInnerSteps ?? cfg.innerSteps;
  const learner = makeRegressionLearner(cfg, steps);
  const { params } = await loadParams(path.join(runDir, which));
  const tasks = new SinusoidTasks();
  // The same fixed test tasks as the run's own meta-test when the shapes match (seed + 2000).
  const r = new Rng(cfg.seed + 2000);
  const eps = function* (): Iterable<SupportQuery> {
    for (let i = 0; i < n; i++) yield tasks.sample(r).source.supportQuery(shot, query, r);
  };
  const t0 = Date.now();
  const test = evaluate(learner, params, eps(), { dispose: true });
  disposeParams(params);
  const seconds = (Date.now() - t0) / 1000;
  log(
    `${learner.name} (${which}) ${shot}-shot, ${steps} inner steps: MSE ${formatCI(test.summary, 1, 4, '')}`,
  );
  const summary: EvalSummary = {
    run: runDir,
    checkpoint: which,
    way: 0,
    shot,
    query,
    innerSteps: steps,
    test: { metric: test.metric, ...test.summary },
    seconds,
  };
  writeFileSync(
    path.join(runDir, `eval-${shot}shot-${steps}steps.json`),
    JSON.stringify(summary, null, 2) + '\n',
  );
  return summary;
}
