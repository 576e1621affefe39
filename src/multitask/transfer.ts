import { tf } from '../engine/tf.js';
import { disposeParams } from '../nn/params.js';
import { subsetTasks, validateTaskSet } from './data.js';
import { scoreExamples } from './evaluate.js';
import { makeArchitecture } from './conditioning/registry.js';
import { type MeanCI, type Verdict, formatMetric, meanOfMeans, seedRowCI, verdictOf } from './stats.js';
import { trainMultiTask } from './trainer.js';
import type { SamplerName } from './sampling.js';
import type { ArchSpec, MultiTaskNet, MultiTaskSet } from './types.js';
import type { WeightingName } from './weighting/registry.js';

/** One multi-task configuration to compare against independent models. */
export interface ReportSetting {
  /** Short name for tables and the chart, e.g. 'soft λ=0.01'. */
  label: string;
  architecture: string;
  architectureOptions?: object;
  weighting?: WeightingName;
  weightingOptions?: object;
  sampler?: SamplerName;
  tasksPerStep?: number;
  /** Hidden widths of this setting's network, instead of the report's (e.g. a wider shared trunk). */
  hidden?: readonly number[];
}

export interface ReportOptions {
  settings: readonly ReportSetting[];
  /** Training seeds; every seed trains every setting and every independent model once. */
  seeds: readonly number[];
  /** Optimiser steps; each step sees `batchSize` rows of every task, so every task gets `steps` batches. */
  steps: number;
  batchSize: number;
  lr: number;
  hidden: readonly number[];
  onProgress?: (message: string) => void;
}

export interface TaskComparison {
  readonly id: string;
  readonly nTest: number;
  readonly independent: MeanCI;
  readonly multi: MeanCI;
  /** Multi-task minus independent accuracy, or independent minus multi-task MSE: positive = multi-task better. */
  readonly gain: MeanCI;
  readonly verdict: Verdict;
}

export interface SettingResult {
  readonly setting: ReportSetting;
  readonly tasks: readonly TaskComparison[];
  /** Averages over tasks (each task counts once), intervals from the per-task ones. */
  readonly mean: { independent: MeanCI; multi: MeanCI; gain: MeanCI };
  readonly negative: readonly string[];
  readonly positive: readonly string[];
  readonly wallMs: number;
}

export interface TransferReport {
  readonly taskSet: string;
  readonly metric: 'accuracy' | 'mse';
  readonly targetName?: string;
  readonly numTasks: number;
  readonly options: Omit<ReportOptions, 'onProgress'>;
  readonly independentWallMs: number;
  readonly settings: readonly SettingResult[];
}

function specOf(set: MultiTaskSet, hidden: readonly number[]): ArchSpec {
  return {
    inputDim: set.inputDim,
    descriptorDim: set.tasks[0].descriptor.length,
    outDims: set.tasks.map((t) => t.outDim),
    hidden,
  };
}

/** Train `net` on `set` and return per-example test scores of every task. */
function trainAndScore(
  net: MultiTaskNet,
  set: MultiTaskSet,
  opts: ReportBudget,
  seed: number,
  s?: ReportSetting,
): Float64Array[] {
  const r = trainMultiTask(net, set, {
    steps: opts.steps,
    batchSize: opts.batchSize,
    lr: opts.lr,
    seed,
    weighting: s?.weighting,
    weightingOptions: s?.weightingOptions,
    sampler: s?.sampler,
    tasksPerStep: s?.tasksPerStep,
  });
  try {
    return scoreExamples(net, r.params, set, 'test').map((t) => t.perExample);
  } finally {
    disposeParams(r.params);
    disposeParams(r.weightingParams);
  }
}

/** What the combine step needs of a task set: its name, metric and the tasks' ids and test sizes. */
export interface TransferShape {
  readonly taskSet: string;
  readonly metric: 'accuracy' | 'mse';
  readonly targetName?: string;
  readonly tasks: readonly { readonly id: string; readonly nTest: number }[];
}

/** The budget every model of a report is trained with (ReportOptions less settings, seeds, progress). */
export type ReportBudget = Pick<ReportOptions, 'steps' | 'batchSize' | 'lr' | 'hidden'>;

/**
 * One piece of a report: the models of one seed (all independent ones, or one setting's multi-task
 * network) and every task's per-example test scores (`scores[task][row]`: 1/0 correct or squared error).
 */
export interface TransferPiece {
  readonly scores: readonly (readonly number[] | Float64Array)[];
  /** Milliseconds spent training and scoring this piece. */
  readonly wallMs: number;
  /** Tensors left allocated by the piece (0 unless something leaks). */
  readonly leaked: number;
}

/**
 * Check that `set` can be reported on (test rows, tasks of one kind) and return the shape the combine
 * step needs. Every piece and the combine step start with it, so a bad set fails before any training.
 */
export function transferShape(set: MultiTaskSet): TransferShape {
  validateTaskSet(set, { needTest: true });
  const kinds = new Set(set.tasks.map((t) => t.kind));
  if (kinds.size > 1)
    throw new Error(
      'runTransferReport: every task must be of one kind (all classification or all regression)',
    );
  return {
    taskSet: set.name,
    metric: set.tasks[0].kind === 'classification' ? 'accuracy' : 'mse',
    targetName: set.targetName,
    tasks: set.tasks.map((t) => ({ id: t.id, nTest: t.test.n })),
  };
}

function piece(run: () => Float64Array[]): TransferPiece {
  const t0 = performance.now();
  const before = tf.memory().numTensors;
  const scores = run();
  return { scores, wallMs: performance.now() - t0, leaked: tf.memory().numTensors - before };
}

/** The independent baselines of one seed: one single-task network per task, trained alone and scored. */
export function trainIndependentPiece(set: MultiTaskSet, budget: ReportBudget, seed: number): TransferPiece {
  transferShape(set);
  return piece(() =>
    set.tasks.map((task, t) => {
      const one = subsetTasks(set, [t], `${set.name}/${task.id}`);
      const net = makeArchitecture('multihead', specOf(one, budget.hidden));
      const [scores] = trainAndScore(net, one, budget, seed);
      return scores;
    }),
  );
}

/** One multi-task setting trained with one seed and scored on every task's test rows. */
export function trainSettingPiece(
  set: MultiTaskSet,
  budget: ReportBudget,
  s: ReportSetting,
  seed: number,
): TransferPiece {
  transferShape(set);
  return piece(() => {
    const net = makeArchitecture(
      s.architecture,
      specOf(set, s.hidden ?? budget.hidden),
      (s.architectureOptions ?? {}) as never,
    );
    return trainAndScore(net, set, budget, seed, s);
  });
}

/**
 * The report from its pieces, a pure step: `independent[k]` is seed `opts.seeds[k]`'s independent
 * piece, `settings[i][k]` setting `opts.settings[i]` with that seed. Per task it gives both metrics
 * and the paired difference (both models scored on the same rows, seed by seed); 95% intervals combine
 * the spread over test rows and over seeds (seedRowCI). Times are the pieces' summed over seeds.
 */
export function combineTransferReport(
  shape: TransferShape,
  opts: Omit<ReportOptions, 'onProgress'>,
  independent: readonly TransferPiece[],
  settings: readonly (readonly TransferPiece[])[],
): TransferReport {
  const S = opts.seeds.length;
  const T = shape.tasks.length;
  const check = (p: TransferPiece, what: string) => {
    if (p.scores.length !== T) throw new Error(`${what}: scores of ${p.scores.length} tasks, expected ${T}`);
    p.scores.forEach((row, t) => {
      if (row.length !== shape.tasks[t].nTest)
        throw new Error(
          `${what}: task ${shape.tasks[t].id} has ${row.length} scores, expected ${shape.tasks[t].nTest}`,
        );
    });
  };
  if (independent.length !== S)
    throw new Error(`combineTransferReport: ${independent.length} independent pieces for ${S} seeds`);
  if (settings.length !== opts.settings.length)
    throw new Error(
      `combineTransferReport: ${settings.length} settings' pieces for ${opts.settings.length} settings`,
    );
  independent.forEach((p, k) => check(p, `independent models, seed ${opts.seeds[k]}`));
  const better = shape.metric === 'accuracy' ? 1 : -1;
  const ind = independent.map((p) => p.scores);
  const results: SettingResult[] = opts.settings.map((s, i) => {
    const pieces = settings[i];
    if (pieces.length !== S)
      throw new Error(
        `combineTransferReport: setting '${s.label}' has ${pieces.length} pieces for ${S} seeds`,
      );
    pieces.forEach((p, k) => check(p, `setting '${s.label}', seed ${opts.seeds[k]}`));
    const mt = pieces.map((p) => p.scores);
    const tasks: TaskComparison[] = shape.tasks.map((task, t) => {
      const a = opts.seeds.map((_, k) => Float64Array.from(ind[k][t]));
      const b = opts.seeds.map((_, k) => Float64Array.from(mt[k][t]));
      const d = b.map((row, k) => row.map((v, j) => better * (v - a[k][j])));
      const gain = seedRowCI(d);
      return {
        id: task.id,
        nTest: task.nTest,
        independent: seedRowCI(a),
        multi: seedRowCI(b),
        gain,
        verdict: verdictOf(gain),
      };
    });
    return {
      setting: s,
      tasks,
      mean: {
        independent: meanOfMeans(tasks.map((x) => x.independent)),
        multi: meanOfMeans(tasks.map((x) => x.multi)),
        gain: meanOfMeans(tasks.map((x) => x.gain)),
      },
      negative: tasks.filter((x) => x.verdict === 'negative').map((x) => x.id),
      positive: tasks.filter((x) => x.verdict === 'positive').map((x) => x.id),
      wallMs: pieces.reduce((a, p) => a + p.wallMs, 0),
    };
  });
  const options = {
    settings: opts.settings,
    seeds: opts.seeds,
    steps: opts.steps,
    batchSize: opts.batchSize,
    lr: opts.lr,
    hidden: opts.hidden,
  };
  return {
    taskSet: shape.taskSet,
    metric: shape.metric,
    targetName: shape.targetName,
    numTasks: T,
    options,
    independentWallMs: independent.reduce((a, p) => a + p.wallMs, 0),
    settings: results,
  };
}

/**
 * The negative-transfer report. For every seed it trains one independent single-task network per task
 * (a one-task multi-head model: the same trunk and head, alone) and every multi-task setting, all with
 * the same optimiser, learning rate, batch size and number of steps per task, and scores each task's
 * held-out rows (trainIndependentPiece, trainSettingPiece), then combines them (combineTransferReport).
 * A task transfers negatively when the interval of its gain lies entirely below zero. The same pieces
 * run as queue jobs (experiment/transfer_jobs.ts) give the same report.
 */
export function runTransferReport(set: MultiTaskSet, opts: ReportOptions): TransferReport {
  const shape = transferShape(set);
  if (opts.settings.length === 0) throw new Error('runTransferReport: no settings to compare');
  if (opts.seeds.length === 0) throw new Error('runTransferReport: no seeds');
  const say = opts.onProgress ?? (() => {});
  const independent = opts.seeds.map((seed) => trainIndependentPiece(set, opts, seed));
  const indMs = independent.reduce((a, p) => a + p.wallMs, 0);
  say(
    `independent models: ${set.tasks.length} tasks x ${opts.seeds.length} seeds in ${(indMs / 1000).toFixed(1)} s`,
  );
  const settings = opts.settings.map((s) => {
    const pieces = opts.seeds.map((seed) => trainSettingPiece(set, opts, s, seed));
    const leaked = pieces.reduce((a, p) => a + p.leaked, 0);
    if (leaked !== 0) say(`warning: setting '${s.label}' left ${leaked} tensors allocated`);
    // Combined here only for the progress line; the report below combines every setting at once.
    const r = combineTransferReport(shape, { ...opts, settings: [s] }, independent, [pieces]).settings[0];
    say(
      `${s.label}: mean gain ${formatMetric(r.mean.gain, shape.metric)}, negative ${r.negative.length}, positive ${r.positive.length} (${(r.wallMs / 1000).toFixed(1)} s)`,
    );
    return pieces;
  });
  return combineTransferReport(shape, opts, independent, settings);
}
