import { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import { type Params, cloneParams, disposeParams } from '../nn/params.js';
import { metaGrads } from '../meta/common.js';
import type { MetaLearner, TrainProgress } from '../meta/types.js';
import { type SupportQuery, disposeSupportQuery } from '../tasks/types.js';
import { type EvalResult, evaluate } from './evaluate.js';
import { type Optimizer, adam } from '../nn/optim.js';

/** Everything a run needs to continue exactly where it stopped. */
export interface Checkpoint {
  step: number;
  /** Training seconds up to this step, across earlier resumed segments. */
  elapsedSeconds: number;
  theta: Params;
  /** Optimiser tensors (e.g. Adam's m and v) and scalars (e.g. its step count). */
  optTensors: Params;
  optMeta: Record<string, unknown>;
  rngState: number[];
  best?: Params;
  bestStep?: number;
  bestScore?: Record<string, unknown>;
}

/** Options of metaTrain and metaTrainAsync. */
export interface MetaTrainOptions {
  learner: MetaLearner;
  /** Initial meta-parameters; ownership passes to the loop (they are updated and disposed). */
  theta: Params;
  /** Draws one training episode. */
  sample: (rng: Rng) => SupportQuery;
  rng: Rng;
  steps: number;
  metaBatch?: number;
  optimizer?: Optimizer<unknown>;
  /** Validate every `valEvery` steps on `validation()` (a fresh iterable of fixed episodes each time). */
  valEvery?: number;
  validation?: () => Iterable<SupportQuery>;
  /** Called after every step and validation, for logs and progress. */
  onStep?: (info: StepInfo) => void;
  /** Continue a run: the step already done, the optimiser state and best-so-far from a checkpoint. */
  resume?: {
    step: number;
    elapsedSeconds?: number;
    optState: unknown;
    best?: Params;
    bestStep?: number;
    bestVal?: EvalResult;
  };
  /** Call onCheckpoint every this many steps (and after the last). */
  checkpointEvery?: number;
  onCheckpoint?: (c: Checkpoint) => void;
  /**
   * Called when validation finds new best params (before that step's checkpoint), e.g. to write them
   * at once so they survive a later crash or divergence. The params stay owned by the loop.
   */
  onBest?: (best: Params, step: number, val: EvalResult) => void;
}

/**
 * Training diverged: the update of `step` made the parameters or the optimiser state non-finite (or
 * the query loss was). Thrown before that step is validated, logged or checkpointed, so what was
 * written before (the checkpoint of `lastCheckpointStep`, best params of `bestStep`) is the last good
 * state.
 */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly step: number,
    /** The step of the last checkpoint handed to onCheckpoint (or resumed from); 0 when none. */
    readonly lastCheckpointStep: number,
    /** The step of the best params so far; 0 when none. */
    readonly bestStep: number,
  ) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/**
 * The name of the first tensor of `tensors` holding NaN or +-Infinity, or null. One reduction for the
 * usual all-finite case (x * 0 is NaN exactly for non-finite x), then a per-tensor search.
 */
function firstNonFinite(tensors: Params): string | null {
  const names = Object.keys(tensors);
  if (names.length === 0) return null;
  const probe = tf.tidy(
    () => tf.addN(names.map((k) => tf.sum(tf.mul(tf.cast(tensors[k], 'float32'), 0)))).dataSync()[0],
  );
  if (probe === 0) return null;
  for (const k of names) {
    const ok = tf.tidy(() => tf.all(tf.isFinite(tensors[k])).dataSync()[0]);
    if (!ok) return k;
  }
  return names[0];
}

/** Progress after a step: mean query loss, validation (when run), elapsed seconds. */
export interface StepInfo {
  step: number;
  loss: number;
  val?: EvalResult;
  seconds: number;
}

/** What meta-training returns: the best and last parameters, and when the best was found. */
export interface MetaTrainResult {
  /** The parameters with the best validation score (or the last ones without validation). */
  best: Params;
  bestStep: number;
  bestVal?: EvalResult;
  last: Params;
  seconds: number;
}

function better(a: EvalResult, b: EvalResult | undefined): boolean {
  if (!b) return true;
  return a.metric === 'accuracy' ? a.summary.mean > b.summary.mean : a.summary.mean < b.summary.mean;
}

/** The meta-gradient of a meta-batch: `metaGrads` in this thread, or e.g. WorkerPool.metaGrads. */
export type MetaGradsFn = (
  theta: Params,
  episodes: SupportQuery[],
  progress?: TrainProgress,
) => Promise<{ loss: number; grads: Params }>;

/**
 * One run's state between meta-gradients: the sync and async drivers below share it, so the two differ
 * only in where the gradient is computed.
 */
function session(opts: MetaTrainOptions) {
  const { learner, sample, rng } = opts;
  const metaBatch = opts.metaBatch ?? 1;
  const opt = opts.optimizer ?? (adam({ lr: 1e-3 }) as Optimizer<unknown>);
  let theta = opts.theta;
  // Running statistics (MetaLearner.isRunningStat) are assigned from metaGrads, not optimised.
  const isStat = learner.isRunningStat?.bind(learner);
  const split = (p: Params): { trained: Params; stats: Params } => {
    const trained: Params = {};
    const stats: Params = {};
    for (const [k, v] of Object.entries(p)) (isStat?.(k) ? stats : trained)[k] = v;
    return { trained, stats };
  };
  let state = opts.resume ? opts.resume.optState : opt.init(split(theta).trained);
  let best: Params | null = opts.resume?.best ?? null;
  let bestStep = opts.resume?.bestStep ?? 0;
  let bestVal: EvalResult | undefined = opts.resume?.bestVal;
  // A checkpoint written diverged (before these checks existed) cannot be resumed: say so at once.
  const badResumed = opts.resume ? (firstNonFinite(theta) ?? firstNonFinite(opt.save(state).tensors)) : null;
  if (opts.resume && badResumed !== null) {
    const bestOk = best !== null && firstNonFinite(best) === null;
    opt.dispose(state);
    disposeParams(theta);
    disposeParams(best ?? undefined);
    throw new TrainingDivergedError(
      `the state resumed from step ${opts.resume.step} holds non-finite values ('${badResumed}'): it was ` +
        `saved after training had diverged`,
      opts.resume.step,
      0,
      bestOk ? bestStep : 0,
    );
  }
  const t0 = Date.now() - 1000 * (opts.resume?.elapsedSeconds ?? 0);
  let lastCheckpoint = opts.resume?.step ?? 0;
  const diverged = (step: number, what: string) =>
    new TrainingDivergedError(
      `training diverged at step ${step}: ${what}; nothing of step ${step} was validated, logged or ` +
        `checkpointed` +
        (lastCheckpoint > 0
          ? `; the checkpoint of step ${lastCheckpoint} is the last with finite params`
          : '') +
        (best ? `, the best params are those of step ${bestStep}` : ''),
      step,
      lastCheckpoint,
      best ? bestStep : 0,
    );
  const checkpoint = (step: number) => {
    lastCheckpoint = step;
    const saved = opt.save(state);
    opts.onCheckpoint!({
      step,
      elapsedSeconds: (Date.now() - t0) / 1000,
      theta,
      optTensors: saved.tensors,
      optMeta: saved.meta,
      rngState: rng.getState(),
      best: best ?? undefined,
      bestStep,
      bestScore: bestVal ? { metric: bestVal.metric, ...bestVal.summary } : undefined,
    });
  };
  return {
    first: (opts.resume?.step ?? 0) + 1,
    get theta() {
      return theta;
    },
    batch: (): SupportQuery[] => Array.from({ length: metaBatch }, () => sample(rng)),
    /** The optimiser step with the meta-gradient of `step`, then validation, logging and checkpoint. */
    apply(step: number, loss: number, grads: Params): void {
      if (!Number.isFinite(loss)) {
        disposeParams(grads);
        throw diverged(step, `the query loss is ${loss} (non-finite)`);
      }
      if (isStat) {
        const t = split(theta);
        const g = split(grads);
        const missing = Object.keys(t.stats).find((k) => !(k in g.stats));
        if (missing !== undefined) {
          disposeParams(grads);
          throw new Error(
            `${learner.name}: metaGrads returned no new value of running statistic '${missing}'`,
          );
        }
        let trained: Params;
        ({ params: trained, state } = opt.step(t.trained, g.trained, state));
        disposeParams(g.trained);
        disposeParams(t.stats);
        theta = { ...trained, ...g.stats };
      } else {
        ({ params: theta, state } = opt.step(theta, grads, state));
        disposeParams(grads);
      }
      // A loss can stay finite with NaN params (ProtoNet's is then exactly ln N), so the updated params
      // and optimiser state are checked themselves, before anything sees them.
      const badParam = firstNonFinite(theta);
      const badState = badParam === null ? firstNonFinite(opt.save(state).tensors) : null;
      if (badParam !== null || badState !== null) {
        throw diverged(
          step,
          badParam !== null
            ? `the update made parameter '${badParam}' non-finite (NaN or Infinity)`
            : `the update made optimiser state '${badState}' non-finite (NaN or Infinity)`,
        );
      }
      let val: EvalResult | undefined;
      if (opts.validation && opts.valEvery && (step % opts.valEvery === 0 || step === opts.steps)) {
        val = evaluate(learner, theta, opts.validation(), { dispose: true });
        if (better(val, bestVal)) {
          disposeParams(best ?? undefined);
          best = cloneParams(theta);
          bestStep = step;
          bestVal = val;
          opts.onBest?.(best, step, val);
        }
      }
      opts.onStep?.({ step, loss, val, seconds: (Date.now() - t0) / 1000 });
      if (
        opts.onCheckpoint &&
        opts.checkpointEvery &&
        (step % opts.checkpointEvery === 0 || step === opts.steps)
      ) {
        checkpoint(step);
      }
    },
    /** A failed step: free what the loop owns (theta, optimiser state, best), and explain divergence. */
    abort(step: number, e: unknown): unknown {
      // The learners' own check (meta/common.ts metaGrads), also when rethrown from a worker thread.
      const m =
        e instanceof Error && !(e instanceof TrainingDivergedError)
          ? /the query loss is (NaN|-?Infinity)\b/.exec(e.message)
          : null;
      const err = m ? diverged(step, `the query loss is ${m[1]} (non-finite)`) : e;
      opt.dispose(state);
      disposeParams(theta);
      disposeParams(best ?? undefined);
      best = null;
      return err;
    },
    finish(): MetaTrainResult {
      opt.dispose(state);
      return {
        best: best ?? cloneParams(theta),
        bestStep: best ? bestStep : opts.steps,
        bestVal,
        last: theta,
        seconds: (Date.now() - t0) / 1000,
      };
    },
  };
}

/** Meta-training: meta-batches of episodes, an optimiser step on theta, periodic validation, best kept. */
export function metaTrain(opts: MetaTrainOptions): MetaTrainResult {
  const s = session(opts);
  let step = s.first;
  try {
    for (; step <= opts.steps; step++) {
      const episodes = s.batch();
      let r: { loss: number; grads: Params };
      try {
        r = metaGrads(opts.learner, s.theta, episodes, { step, steps: opts.steps });
      } finally {
        episodes.forEach(disposeSupportQuery);
      }
      s.apply(step, r.loss, r.grads);
    }
  } catch (e) {
    throw s.abort(step, e);
  }
  return s.finish();
}

/**
 * metaTrain with the meta-gradient computed by `metaGrads` (e.g. a WorkerPool's, to use several cores).
 * Same episodes, optimiser steps, validation and checkpoints as metaTrain; the gradient equals
 * metaTrain's up to float summation order.
 */
export async function metaTrainAsync(
  opts: MetaTrainOptions & { metaGrads: MetaGradsFn },
): Promise<MetaTrainResult> {
  const s = session(opts);
  let step = s.first;
  try {
    for (; step <= opts.steps; step++) {
      const episodes = s.batch();
      let r: { loss: number; grads: Params };
      try {
        r = await opts.metaGrads(s.theta, episodes, { step, steps: opts.steps });
      } finally {
        episodes.forEach(disposeSupportQuery);
      }
      s.apply(step, r.loss, r.grads);
    }
  } catch (e) {
    throw s.abort(step, e);
  }
  return s.finish();
}
