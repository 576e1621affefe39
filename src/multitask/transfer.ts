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
  opts: ReportOptions,
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

/**
 * The negative-transfer report. For every seed it trains one independent single-task network per task
 * (a one-task multi-head model: the same trunk and head, alone) and every multi-task setting, all with
 * the same optimiser, learning rate, batch size and number of steps per task, and scores each task's
 * held-out rows. Per task it gives both metrics and the paired difference (both models scored on the
 * same rows, seed by seed); 95% intervals combine the spread over test rows and over seeds (seedRowCI).
 * A task transfers negatively when the interval of its gain lies entirely below zero.
 */
export function runTransferReport(set: MultiTaskSet, opts: ReportOptions): TransferReport {
  validateTaskSet(set, { needTest: true });
  if (opts.settings.length === 0) throw new Error('runTransferReport: no settings to compare');
  if (opts.seeds.length === 0) throw new Error('runTransferReport: no seeds');
  const kinds = new Set(set.tasks.map((t) => t.kind));
  if (kinds.size > 1)
    throw new Error(
      'runTransferReport: every task must be of one kind (all classification or all regression)',
    );
  const metric = set.tasks[0].kind === 'classification' ? 'accuracy' : 'mse';
  const better = metric === 'accuracy' ? 1 : -1;
  const say = opts.onProgress ?? (() => {});
  const T = set.tasks.length;

  // Independent models: scores[seed][task]
  let t0 = performance.now();
  const ind: Float64Array[][] = opts.seeds.map((seed) =>
    set.tasks.map((task, t) => {
      const one = subsetTasks(set, [t], `${set.name}/${task.id}`);
      const net = makeArchitecture('multihead', specOf(one, opts.hidden));
      const [scores] = trainAndScore(net, one, opts, seed);
      return scores;
    }),
  );
  const independentWallMs = performance.now() - t0;
  say(
    `independent models: ${T} tasks x ${opts.seeds.length} seeds in ${(independentWallMs / 1000).toFixed(1)} s`,
  );

  const settings: SettingResult[] = opts.settings.map((s) => {
    t0 = performance.now();
    const before = tf.memory().numTensors;
    const mt = opts.seeds.map((seed) => {
      const net = makeArchitecture(
        s.architecture,
        specOf(set, s.hidden ?? opts.hidden),
        (s.architectureOptions ?? {}) as never,
      );
      return trainAndScore(net, set, opts, seed, s);
    });
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) say(`warning: setting '${s.label}' left ${leaked} tensors allocated`);
    const tasks: TaskComparison[] = set.tasks.map((task, t) => {
      const a = opts.seeds.map((_, k) => ind[k][t]);
      const b = opts.seeds.map((_, k) => mt[k][t]);
      const d = b.map((row, k) => row.map((v, j) => better * (v - a[k][j])));
      const gain = seedRowCI(d);
      return {
        id: task.id,
        nTest: task.test.n,
        independent: seedRowCI(a),
        multi: seedRowCI(b),
        gain,
        verdict: verdictOf(gain),
      };
    });
    const wallMs = performance.now() - t0;
    const r: SettingResult = {
      setting: s,
      tasks,
      mean: {
        independent: meanOfMeans(tasks.map((x) => x.independent)),
        multi: meanOfMeans(tasks.map((x) => x.multi)),
        gain: meanOfMeans(tasks.map((x) => x.gain)),
      },
      negative: tasks.filter((x) => x.verdict === 'negative').map((x) => x.id),
      positive: tasks.filter((x) => x.verdict === 'positive').map((x) => x.id),
      wallMs,
    };
    say(
      `${s.label}: mean gain ${formatMetric(r.mean.gain, metric)}, negative ${r.negative.length}, positive ${r.positive.length} (${(wallMs / 1000).toFixed(1)} s)`,
    );
    return r;
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
    taskSet: set.name,
    metric,
    targetName: set.targetName,
    numTasks: T,
    options,
    independentWallMs,
    settings,
  };
}
