import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { TRAIN } from '../nn/module.js';
import { type Params, disposeParams } from '../nn/params.js';
import { type Optimizer, adam } from '../nn/optim.js';
import { buildBatch, disposeBatch, validateTaskSet, type MultiTaskBatch, type RowPick } from './data.js';
import { LOSS_OF_KIND } from '../tasks/losses.js';
import { GroupedOptimizer } from './optimizer.js';
import { type SamplerName, type TaskSampler, makeSampler, sampleTasks } from './sampling.js';
import type { MultiTaskNet, MultiTaskSet } from './types.js';
import { makeWeighting, type WeightingName } from './weighting/registry.js';
import { type LossOracle, type SampleLosses, type Weighting, WEIGHTING_PREFIX } from './weighting/types.js';

/** Options of trainMultiTask. */
export interface TrainOptions {
  steps: number;
  /** Rows drawn from each task in a step (all of a task's rows when it has fewer). */
  batchSize: number;
  /** Tasks per step; default every task in every step (then the sampler is not used). */
  tasksPerStep?: number;
  /** How tasks are drawn when tasksPerStep is below the number of tasks; default 'uniform'. */
  sampler?: TaskSampler | SamplerName;
  /** Loss weighting; default 'equal'. */
  weighting?: Weighting<unknown> | WeightingName;
  /** Options of a weighting given by name. */
  weightingOptions?: object;
  /** Default Adam with `lr`. */
  optimizer?: Optimizer<unknown>;
  lr?: number;
  seed?: number;
  /** Called after every step with its unweighted per-task losses. */
  onStep?: (info: StepRecord) => void;
}

/** One training step: the tasks it drew, their unweighted losses and the weights applied. */
export interface StepRecord {
  readonly step: number;
  readonly tasks: readonly number[];
  readonly losses: readonly number[];
  readonly weights: readonly number[];
}

/** What trainMultiTask returns: trained params, step history and wall time. */
export interface TrainResult {
  /** The trained model parameters (caller disposes). */
  readonly params: Params;
  /** The strategy's learned tensors, e.g. uncertainty log-variances (caller disposes). */
  readonly weightingParams: Params;
  readonly history: readonly StepRecord[];
  readonly wallMs: number;
}

/**
 * Cycles through a task's training rows in seeded shuffled passes, so every row is used equally
 * often whatever the batch size.
 */
class RowCycler {
  private order: number[] = [];
  private at = 0;
  constructor(
    private readonly n: number,
    private readonly rng: Rng,
  ) {}

  next(k: number): number[] {
    const take = Math.min(k, this.n);
    const out: number[] = [];
    while (out.length < take) {
      if (this.at >= this.order.length) {
        this.order = this.rng.shuffle(Array.from({ length: this.n }, (_, i) => i));
        this.at = 0;
      }
      out.push(this.order[this.at++]);
    }
    return out;
  }
}

function checkTrainOptions(o: TrainOptions, T: number): void {
  const posInt = (v: unknown, name: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new Error(
        `trainMultiTask: option '${name}' must be a positive integer, got ${JSON.stringify(v)}`,
      );
  };
  posInt(o.steps, 'steps');
  posInt(o.batchSize, 'batchSize');
  if (o.tasksPerStep !== undefined) {
    posInt(o.tasksPerStep, 'tasksPerStep');
    if (o.tasksPerStep > T)
      throw new Error(`trainMultiTask: tasksPerStep ${o.tasksPerStep} exceeds the ${T} tasks`);
  }
}

/**
 * The multi-task training loop: pick a mini-batch of tasks, draw rows from each, combine the task losses
 * with the weighting strategy, backpropagate, step the optimiser. A weighting that declares `samples` k > 1
 * (MoDo, SDMGrad: k = 3) gets k mini-batches of the step's tasks as LossOracle.samples. Seeded end to end;
 * tensors are freed every step, so memory stays flat however long it runs.
 */
export function trainMultiTask(net: MultiTaskNet, set: MultiTaskSet, opts: TrainOptions): TrainResult {
  validateTaskSet(set);
  const T = set.tasks.length;
  if (net.numTasks !== T)
    throw new Error(
      `trainMultiTask: architecture '${net.name}' was built for ${net.numTasks} tasks, the set has ${T}`,
    );
  if (net.spec.inputDim !== set.inputDim)
    throw new Error(
      `trainMultiTask: architecture expects inputDim ${net.spec.inputDim}, the set has ${set.inputDim}`,
    );
  if (net.spec.descriptorDim !== set.tasks[0].descriptor.length) {
    throw new Error(
      `trainMultiTask: architecture expects descriptors of length ${net.spec.descriptorDim}, the set's have ${set.tasks[0].descriptor.length}`,
    );
  }
  set.tasks.forEach((t, i) => {
    if (net.spec.outDims[i] !== t.outDim)
      throw new Error(
        `trainMultiTask: task '${t.id}' has outDim ${t.outDim}, the architecture was built with ${net.spec.outDims[i]}`,
      );
  });
  checkTrainOptions(opts, T);
  if (typeof opts.weighting === 'object' && opts.weightingOptions !== undefined) {
    throw new Error(
      'trainMultiTask: weightingOptions only apply to a weighting given by name; pass them to its constructor',
    );
  }
  const t0 = performance.now();
  const rng = new Rng(opts.seed ?? 0);
  const initRng = rng.fork();
  const dataRng = rng.fork();
  const weighting =
    typeof opts.weighting === 'string' || opts.weighting === undefined
      ? makeWeighting(opts.weighting ?? 'equal', (opts.weightingOptions ?? {}) as never)
      : opts.weighting;
  const sampler =
    typeof opts.sampler === 'string' || opts.sampler === undefined
      ? makeSampler(opts.sampler ?? 'uniform')
      : opts.sampler;
  const kinds = set.tasks.map((t) => t.kind);
  const nSamples = weighting.samples ?? 1;
  if (!Number.isInteger(nSamples) || nSamples < 1) {
    throw new Error(
      `trainMultiTask: weighting '${weighting.name}' asks for ${String(nSamples)} samples per step; it must be a positive integer`,
    );
  }

  // The strategy first: its option checks (e.g. one fixed weight per task) fail before any tensor exists.
  const winit = weighting.init({ numTasks: T, kinds, rng: rng.fork() });
  const model = net.init(initRng);
  let params: Params = { ...model, ...winit.params };
  const modelKeys = Object.keys(model);
  const reserved = modelKeys.find((k) => k.startsWith(WEIGHTING_PREFIX));
  const missing = net.lastShared.find((k) => !(k in model));
  if (reserved !== undefined || missing !== undefined) {
    disposeParams(params);
    throw new Error(
      reserved !== undefined
        ? `architecture '${net.name}': parameter '${reserved}' uses the reserved prefix '${WEIGHTING_PREFIX}'`
        : `architecture '${net.name}': lastShared names '${missing}', which is not a parameter`,
    );
  }
  const sharedKeys = modelKeys.filter((k) => net.owner(k) === 'shared');
  let wstate = winit.state;
  // Grouped by owner: a task absent from a step keeps its own parameters and optimiser state untouched.
  const optimizer = new GroupedOptimizer(
    (opts.optimizer ?? adam({ lr: opts.lr ?? 1e-3 })) as Optimizer<unknown>,
    (k) => (k.startsWith(WEIGHTING_PREFIX) ? 'weighting' : `owner:${net.owner(k)}`),
  );
  const cyclers = set.tasks.map((t) => new RowCycler(t.train.n, dataRng.fork()));
  // A second, independent stream of training rows for weightings that learn on a validation loss; forked
  // only for them, so every other weighting sees exactly the rows it saw before.
  const valCyclers = weighting.needsValidation
    ? set.tasks.map((t) => new RowCycler(t.train.n, rng.fork()))
    : null;
  const sizes = set.tasks.map((t) => t.train.n);
  const history: StepRecord[] = [];
  try {
    for (let step = 0; step < opts.steps; step++) {
      const tasks =
        opts.tasksPerStep === undefined || opts.tasksPerStep === T
          ? Array.from({ length: T }, (_, i) => i)
          : sampleTasks(sampler.probabilities(sizes, step, opts.steps), opts.tasksPerStep, dataRng);
      // A weighting that asks for k samples gets k batches drawn one after another from the same rows,
      // as LibMTL's trainer takes MoDo's and SDMGrad's three from its loader; the first is the batch that
      // every other weighting would see.
      const batches = Array.from({ length: nSamples }, () => {
        const picks: RowPick[] = tasks.map((t) => ({ task: t, rows: cyclers[t].next(opts.batchSize) }));
        return buildBatch(set, picks, 'train');
      });
      const batch = batches[0];
      const lossesOn = (b: MultiTaskBatch): SampleLosses => ({
        losses: (p: Params) =>
          net.apply(p, b.input, TRAIN).map((o, s) => LOSS_OF_KIND[kinds[tasks[s]]].fn(o, b.targets[s])),
        lossOf: (s: number, p: Params) =>
          LOSS_OF_KIND[kinds[tasks[s]]].fn(net.apply(p, b.single[s], TRAIN)[0], b.targets[s]),
      });
      const valBatch = valCyclers
        ? buildBatch(
            set,
            tasks.map((t) => ({ task: t, rows: valCyclers[t].next(opts.batchSize) })),
            'train',
          )
        : null;
      try {
        const oracle: LossOracle = {
          numTasks: T,
          tasks,
          kinds: tasks.map((t) => kinds[t]),
          ...lossesOn(batch),
          penalty: (p) => (net.penalty ? net.penalty(p) : null),
          modelKeys,
          sharedKeys,
          lastSharedKeys: net.lastShared,
          ...(valBatch && {
            validationLosses: (p: Params) =>
              net
                .apply(p, valBatch.input, TRAIN)
                .map((o, s) => LOSS_OF_KIND[kinds[tasks[s]]].fn(o, valBatch.targets[s])),
          }),
          ...(nSamples > 1 && { samples: batches.map(lossesOn) }),
        };
        const info = { step, totalSteps: opts.steps };
        const r = weighting.step(params, oracle, wstate, info);
        wstate = r.state;
        for (const l of r.losses) {
          if (!Number.isFinite(l)) {
            tf.dispose(Object.values(r.grads));
            throw new Error(
              `trainMultiTask: loss became ${l} at step ${step} (architecture '${net.name}', weighting '${weighting.name}'); lower the learning rate`,
            );
          }
        }
        params = optimizer.step(params, r.grads);
        tf.dispose(Object.values(r.grads));
        if (weighting.afterStep) wstate = weighting.afterStep(params, oracle, wstate, info);
        net.observe?.({ step, tasks, losses: r.losses });
        const rec: StepRecord = { step, tasks, losses: r.losses, weights: r.weights };
        history.push(rec);
        opts.onStep?.(rec);
      } finally {
        batches.forEach(disposeBatch);
        if (valBatch) disposeBatch(valBatch);
      }
    }
  } catch (e) {
    disposeParams(params);
    throw e;
  } finally {
    optimizer.dispose();
  }
  const out: Params = {};
  const wparams: Params = {};
  for (const k of Object.keys(params)) (k.startsWith(WEIGHTING_PREFIX) ? wparams : out)[k] = params[k];
  return { params: out, weightingParams: wparams, history, wallMs: performance.now() - t0 };
}
