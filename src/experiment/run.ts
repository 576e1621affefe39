/**
 * One experiment path for every problem: meta-train with checkpoints (resumable), keep the best
 * validation params, meta-test them on fixed episodes, and write the run folder (run_folder.ts) and its
 * report. Also `evaluateRun`, the meta-test of a finished run with another episode shape (Node: files).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../engine/tf.js';
import { formatCI } from '../engine/stats.js';
import { initEngine } from '../engine/backend.js';
import { nativeKernelsHint } from '../engine/kernels/native.js';
import { Rng } from '../engine/rng.js';
import { disposeParams, type Params } from '../nn/params.js';
import { fileError, replaceParamsDir, settledDir } from '../nn/io_files.js';
import type { MetaLearner } from '../meta/types.js';
import {
  TrainingDivergedError,
  metaTrain,
  metaTrainAsync,
  type MetaTrainOptions,
  type MetaTrainResult,
} from '../train/loop.js';
import { WorkerPool } from '../train/workers.js';
import {
  evaluate,
  evaluatePresentations,
  formatUncertainty,
  uncertaintyRecord,
  type EvalResult,
  type PresentationResult,
} from '../train/evaluate.js';
import { adam, type Optimizer } from '../nn/optim.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { writeRunReport } from '../report/run_report.js';
import {
  DEFAULTS,
  cosineFloor,
  learningRate,
  parseLrSchedule,
  takesBlockStack,
  type RunConfig,
} from './config.js';
import { readRunConfig } from './config_file.js';
import { LEARNERS_MODULE } from './learners.js';
import {
  evalProblemOf,
  problemOf,
  saveEpisodes,
  testEpisodesDigest,
  type EvalOverrides,
  type PerEpisodeScores,
  type Problem,
} from './problem.js';
import {
  acquireRunLock,
  clearRun,
  formatMetric,
  hasCheckpoint,
  makeRunDir,
  metricName,
  removeStaleTemps,
  runEntries,
  runFolder,
  stepLogger,
  truncateMetrics,
  writeRunFile,
  type RunFolder,
} from './run_folder.js';
import { trainingSeed } from './seeds.js';
import { initFromFolder } from './warm_start.js';
import { checkDataFingerprint, keepDataFingerprint } from './data_fingerprint.js';
import { checkCheckpointFits, evalHint, loadParamsFor } from './params_fit.js';

export interface RunSummary {
  config: RunConfig;
  backend: string;
  data: string;
  stepsTrained: number;
  trainSeconds: number;
  bestStep: number;
  val?: { mean: number; ci95: number; n: number };
  test: { metric: string; mean: number; ci95: number; n: number };
  /** Scores of the predictive distribution (see UncertaintyResult), when the learner has one. */
  uncertainty?: Record<string, unknown>;
  /** Each meta-test episode's score, for paired comparisons (`metalearn compare`). */
  perEpisode?: PerEpisodeScores;
  testSeconds: number;
}

function perEpisodeOf(
  test: EvalResult,
  problem: Pick<Problem, 'episodeFiles' | 'testDigest'>,
): PerEpisodeScores {
  const episodes = testEpisodesDigest(problem.episodeFiles) ?? problem.testDigest?.();
  return { scores: test.perEpisode, ...(episodes ? { episodes } : {}) };
}

export interface RunOptions {
  /** Continue from <out>/checkpoint instead of starting afresh. */
  resume?: boolean;
  /** Resume only: learning-rate changes ('step:lr,...') to add, each after the checkpoint's step. */
  addLrSchedule?: string;
  /** A new run only: replace a run already in cfg.out (its run files are deleted) instead of refusing. */
  overwrite?: boolean;
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
  problem: Pick<Problem, 'episodeFiles' | 'testDigest'>,
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
    ...(test.uncertainty ? { uncertainty: uncertaintyRecord(test.uncertainty) } : {}),
    perEpisode: perEpisodeOf(test, problem),
    testSeconds,
  };
  writeRunFile(path.join(out, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
  const rep = writeRunReport(out);
  log(`report: ${path.relative(process.cwd(), rep.html)} (curves as SVG${rep.png.length ? ' and PNG' : ''})`);
  return summary;
}

/**
 * metaTrain, or with `cfg.workers` > 1 metaTrainAsync on a WorkerPool whose workers build the learner
 * with `factory` (an export of learners.ts) from the same config.
 */
async function trainOn(
  cfg: RunConfig,
  backend: string,
  factory: Problem['worker'],
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
    return await metaTrainAsync({
      ...opts,
      metaGrads: (theta, episodes, progress) => pool.metaGrads(theta, episodes, progress),
    });
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
    const rng = new Rng(trainingSeed(cfg.seed));
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

/**
 * Meta-train, keep the best validation checkpoint, meta-test it on fixed episodes. Writes into cfg.out.
 * With `resume`, continues from <out>/checkpoint (written every cfg.checkpointEvery steps). The problem
 * (classification or regression) is the one `cfg` describes (problem.ts).
 */
export async function runExperiment(
  cfg: RunConfig,
  log: (s: string) => void = console.log,
  opts: RunOptions = {},
): Promise<RunSummary> {
  const backend = await initEngine({ backend: cfg.backend });
  const folder = runFolder(cfg.out);
  // Everything that can be checked without the folder is checked before anything is written to it.
  if (opts.addLrSchedule !== undefined) {
    if (!opts.resume) throw new Error('--lr-schedule: only a resumed run takes added learning-rate changes');
    parseLrSchedule(opts.addLrSchedule);
  }
  if (opts.resume && !hasCheckpoint(folder))
    throw new Error(`${folder.checkpoint}: no checkpoint to resume from`);
  // The stack is recorded so that a later change of the default cannot change what a saved run means.
  if (takesBlockStack(cfg.learner) && cfg.snailBlocks === undefined)
    cfg = { ...cfg, snailBlocks: 'attention' };
  adam({ lr: learningRate(cfg) });
  makeRunDir(folder.root);
  const release = acquireRunLock(folder, log);
  try {
    return await runLocked(cfg, backend, folder, log, opts);
  } catch (e) {
    throw explainFailure(e, cfg, folder);
  } finally {
    release();
  }
}

/** What to do after a failed run, added to its error: resume, with a lower rate after divergence. */
function explainFailure(e: unknown, cfg: RunConfig, folder: RunFolder): unknown {
  if (e instanceof TrainingDivergedError) {
    const lr = learningRate(cfg);
    const rate = typeof lr === 'number' ? lr : lr(e.step);
    const lower = Number(Math.min(rate / 10, DEFAULTS.lr).toPrecision(2));
    const restart =
      e.bestStep > 0
        ? `start a new run from the best params (step ${e.bestStep}): 'metalearn train --config ${path.join(cfg.out, 'config.json')} --init-from ${path.join(cfg.out, 'best')} --lr-schedule 1:${lower} --out <new folder>'`
        : `start again with a lower rate and --overwrite, e.g. '--lr ${lower}'`;
    // A finite checkpoint can still hold blown-up params (a huge rate moves them by ~rate, finitely).
    const todo =
      e.lastCheckpointStep > 0
        ? `resume with a lower rate from there, e.g. 'metalearn resume ${cfg.out} --lr-schedule ${e.lastCheckpointStep + 1}:${lower}'; if that diverges at once, its params have blown up too: ${restart}`
        : restart;
    return new Error(`${folder.root}: ${e.message}. To go on, ${todo}`, { cause: e });
  }
  const err = e as NodeJS.ErrnoException;
  if (err instanceof Error && typeof err.code === 'string' && typeof err.syscall === 'string') {
    // A raw fs error (a metrics line, an episode file, the report): name the file and the way on.
    const wrapped = fileError(err.path ?? folder.root, err.syscall, err);
    return hasCheckpoint(folder) ? resumeAfter(wrapped, cfg) : wrapped;
  }
  if (err instanceof Error && /: cannot .* and try again$/.test(err.message) && hasCheckpoint(folder))
    return resumeAfter(err, cfg);
  return e;
}

/** An fs failure of a run with a checkpoint: after the fix, resume (nothing before it was lost). */
function resumeAfter(e: Error, cfg: RunConfig): Error {
  const fix = e.message.replace(/ and try again$/, '');
  return new Error(`${fix}, then resume the run: 'metalearn resume ${cfg.out}'`, { cause: e });
}

/** runExperiment's work, holding the run folder's lock. */
async function runLocked(
  cfg: RunConfig,
  backend: string,
  folder: RunFolder,
  log: (s: string) => void,
  opts: RunOptions,
): Promise<RunSummary> {
  const out = folder.root;
  const temps = removeStaleTemps(folder);
  if (temps.length) log(`removed temporary files of an interrupted write: ${temps.join(', ')}`);
  const ckpt = opts.resume ? loadCheckpoint(folder.checkpoint) : null;
  if (opts.resume && !ckpt) throw new Error(`${folder.checkpoint}: no checkpoint to resume from`);
  if (ckpt && ckpt.step > cfg.steps) {
    throw new Error(
      `--steps: the checkpoint is at step ${ckpt.step}; a resumed run cannot end before it (got ${cfg.steps})`,
    );
  }
  if (!opts.resume && !opts.overwrite) {
    if (hasCheckpoint(folder)) {
      throw new Error(
        `${out} already holds a run with a checkpoint; resume it with 'metalearn resume ${cfg.out}', choose another --out, or pass --overwrite to delete it and start afresh`,
      );
    }
    const entries = runEntries(folder);
    if (entries.length) {
      throw new Error(
        `${out} already holds a run (${entries.slice(0, 4).join(', ')}${entries.length > 4 ? ', ...' : ''}); choose another --out, or pass --overwrite to delete it and start afresh`,
      );
    }
  }
  if (!opts.resume && opts.overwrite) clearRun(folder);
  if (opts.addLrSchedule !== undefined && ckpt) {
    const added = opts.addLrSchedule;
    if (cfg.lrSchedule !== undefined && cosineFloor(cfg.lrSchedule) !== null)
      throw new Error(
        `--lr-schedule: this run's lrSchedule is '${cfg.lrSchedule}', which takes no added changes`,
      );
    const early = parseLrSchedule(added).find((p) => !(p.from > ckpt.step));
    if (early !== undefined) {
      throw new Error(
        `--lr-schedule: the checkpoint is at step ${ckpt.step}; a change at step ${early.from} would rewrite steps already trained`,
      );
    }
    cfg = { ...cfg, lrSchedule: cfg.lrSchedule ? `${cfg.lrSchedule},${added}` : added };
  }
  // Written on resume too: `resume --steps` changes the total. Atomically: it is the run's config.
  writeRunFile(folder.config, JSON.stringify(cfg, null, 2) + '\n');
  if (ckpt) truncateMetrics(folder.metrics, ckpt.step);
  else writeRunFile(folder.metrics, '');

  const problem = problemOf(cfg, log);
  keepDataFingerprint(out, problem.fingerprint, !!ckpt);
  if (ckpt) checkCheckpointFits(problem.learner, ckpt, folder.checkpoint, cfg);
  log(`backend ${backend}; ${problem.description}`);
  const hint = backend === 'wasm' ? nativeKernelsHint() : null;
  if (hint) log(hint);
  log(problem.headline);
  saveEpisodes(out, problem.episodeFiles);

  const optimizer = adam({ lr: learningRate(cfg) }) as Optimizer<unknown>;
  const { rng, theta, resume } = await startOrResume(cfg, problem.learner, optimizer, ckpt, log);
  const result = await trainOn(cfg, backend, problem.worker, log, {
    resume,
    checkpointEvery: cfg.checkpointEvery,
    onCheckpoint: (c) => saveCheckpoint(folder.checkpoint, c),
    // Written as soon as validation improves, so a later crash or divergence cannot lose them.
    onBest: (best, step) => replaceParamsDir(folder.best, best, { learner: cfg.learner, step }),
    learner: problem.learner,
    theta,
    rng,
    steps: cfg.steps,
    metaBatch: cfg.metaBatch,
    optimizer,
    sample: (r) => problem.sample(r),
    valEvery: cfg.valEvery > 0 ? cfg.valEvery : undefined,
    validation: () => problem.validation(),
    onStep: stepLogger(cfg, folder.metrics, problem.unit, log),
  });
  try {
    replaceParamsDir(folder.best, result.best, { learner: cfg.learner, step: result.bestStep });
    replaceParamsDir(folder.last, result.last, { learner: cfg.learner, step: cfg.steps });
  } catch (e) {
    disposeParams(result.best);
    disposeParams(result.last);
    throw e;
  }

  const t0 = Date.now();
  const test = evaluate(problem.testLearner, result.best, problem.test(), { dispose: true });
  const testSeconds = (Date.now() - t0) / 1000;
  disposeParams(result.best);
  disposeParams(result.last);
  log(
    `meta-test ${metricName(test.metric)} (${problem.testLabel}, best checkpoint at step ${result.bestStep}): ` +
      formatMetric(test.metric, test.summary),
  );
  if (test.uncertainty) log(`meta-test ${formatUncertainty(test.uncertainty)}`);
  const summary = writeRunSummary(
    out,
    cfg,
    backend,
    problem.description,
    result,
    test,
    testSeconds,
    log,
    problem,
  );
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
  /** Scores of the predictive distribution (NLL, ECE or 95%-interval coverage, with 95% CIs), when the learner has one. */
  uncertainty?: Record<string, unknown>;
  /** Each episode's score, for paired comparisons (`metalearn compare`). */
  perEpisode?: PerEpisodeScores;
  seconds: number;
}

/**
 * Meta-test a finished run's best (or last) params on a fresh fixed episode set of any shape: the run's
 * learner and data, with `way`/`shot`/... overridden. The episode set is saved beside the result.
 */
export async function evaluateRun(
  runDir: string,
  over: EvalOverrides,
  log: (s: string) => void = console.log,
): Promise<EvalSummary> {
  const cfg = readRunConfig(runDir);
  await initEngine({ backend: cfg.backend });
  const which = over.which ?? 'best';
  if (over.presentations !== undefined) {
    throw new Error('evaluateRun: presentations is for evaluatePresentationsRun (sequence learners)');
  }
  const problem = evalProblemOf(cfg, over, log);
  if (problem.fingerprint) checkDataFingerprint(runDir, problem.fingerprint, 'eval');
  const params = await loadParamsFor(
    problem.learner,
    settledDir(path.join(runDir, which)),
    { ...cfg, way: problem.way || cfg.way },
    evalHint(cfg, problem.way || cfg.way),
  );
  saveEpisodes(runDir, problem.episodeFiles);
  const t0 = Date.now();
  const test = evaluate(problem.learner, params, problem.episodes(), { dispose: true });
  disposeParams(params);
  const seconds = (Date.now() - t0) / 1000;
  log(`${problem.learner.name} (${which}) ${problem.line(formatMetric(test.metric, test.summary))}`);
  if (test.uncertainty) log(`${problem.learner.name} (${which}) ${formatUncertainty(test.uncertainty)}`);
  const summary: EvalSummary = {
    run: runDir,
    checkpoint: which,
    way: problem.way,
    shot: problem.shot,
    query: problem.query,
    innerSteps: problem.innerSteps,
    test: { metric: test.metric, ...test.summary },
    ...(test.uncertainty ? { uncertainty: uncertaintyRecord(test.uncertainty) } : {}),
    perEpisode: perEpisodeOf(test, problem),
    seconds,
  };
  writeFileSync(path.join(runDir, problem.resultFile), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** What `eval --presentations` writes: accuracy at each presentation of a class, with 95% intervals. */
export interface PresentationEvalSummary {
  run: string;
  checkpoint: string;
  way: number;
  /** Presentations of each class per sequence; sequences are way x presentations steps. */
  presentations: number;
  /** Sequences scored. */
  episodes: number;
  /** accuracy[k - 1]: at the k-th presentation, mean over sequences with its 95% interval. */
  accuracy: PresentationResult['accuracy'];
  seconds: number;
}

/**
 * `eval --presentations P` of a sequence learner: fixed episodes of `way` classes x P images of the
 * run's meta-test classes (drawn as P - 1 shots and 1 query, saved as test-episodes-<N>w<P>p.json), each
 * shuffled into one sequence; writes eval-presentations-<N>w<P>p[-last].json.
 */
export async function evaluatePresentationsRun(
  runDir: string,
  over: EvalOverrides & { presentations: number },
  log: (s: string) => void = console.log,
): Promise<PresentationEvalSummary> {
  const p = over.presentations;
  if (over.shot !== undefined || over.query !== undefined) {
    throw new Error('eval: --presentations replaces --shot and --query (each class is shown P times)');
  }
  if (!Number.isInteger(p) || p < 2)
    throw new Error(`eval: --presentations must be an integer of at least 2, got ${p}`);
  const cfg = readRunConfig(runDir);
  if (cfg.dataset === 'sinusoid')
    throw new Error('eval: --presentations needs a classification run, not sinusoid');
  await initEngine({ backend: cfg.backend });
  const which = over.which ?? 'best';
  const problem = evalProblemOf(cfg, { ...over, shot: p - 1, query: 1 }, log);
  if (!problem.learner.sequenceLogits) {
    throw new Error(
      `eval: --presentations needs a learner that reads labelled sequences (mann-memory), not '${cfg.learner}'`,
    );
  }
  if (problem.fingerprint) checkDataFingerprint(runDir, problem.fingerprint, 'eval');
  const params = await loadParamsFor(
    problem.learner,
    settledDir(path.join(runDir, which)),
    { ...cfg, way: problem.way },
    evalHint(cfg, problem.way),
  );
  const tag = `${problem.way}w${p}p`;
  saveEpisodes(
    runDir,
    problem.episodeFiles.map((f) => ({ ...f, file: `test-episodes-${tag}.json` })),
  );
  const t0 = Date.now();
  const res = evaluatePresentations(problem.learner, params, problem.episodes(), { dispose: true });
  disposeParams(params);
  const seconds = (Date.now() - t0) / 1000;
  const n = res.accuracy[0].n;
  log(
    `${problem.learner.name} (${which}) ${problem.way}-way, ${p} presentations per class, ${n} sequences of ${res.steps} steps:`,
  );
  res.accuracy.forEach((a, k) => log(`  presentation ${k + 1}: ${formatCI(a)}`));
  const summary: PresentationEvalSummary = {
    run: runDir,
    checkpoint: which,
    way: problem.way,
    presentations: p,
    episodes: n,
    accuracy: res.accuracy,
    seconds,
  };
  const file = `eval-presentations-${tag}${which === 'last' ? '-last' : ''}.json`;
  writeFileSync(path.join(runDir, file), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
