import type { Rng } from '../engine/rng.js';
import { type Params, cloneParams, disposeParams } from '../nn/params.js';
import { metaGrads } from '../meta/common.js';
import type { MetaLearner } from '../meta/types.js';
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
  let state = opts.resume ? opts.resume.optState : opt.init(theta);
  let best: Params | null = opts.resume?.best ?? null;
  let bestStep = opts.resume?.bestStep ?? 0;
  let bestVal: EvalResult | undefined = opts.resume?.bestVal;
  const t0 = Date.now() - 1000 * (opts.resume?.elapsedSeconds ?? 0);
  const checkpoint = (step: number) => {
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
      ({ params: theta, state } = opt.step(theta, grads, state));
      disposeParams(grads);
      let val: EvalResult | undefined;
      if (opts.validation && opts.valEvery && (step % opts.valEvery === 0 || step === opts.steps)) {
        val = evaluate(learner, theta, opts.validation(), { dispose: true });
        if (better(val, bestVal)) {
          disposeParams(best ?? undefined);
          best = cloneParams(theta);
          bestStep = step;
          bestVal = val;
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
  for (let step = s.first; step <= opts.steps; step++) {
    const episodes = s.batch();
    let r: { loss: number; grads: Params };
    try {
      r = metaGrads(opts.learner, s.theta, episodes);
    } finally {
      episodes.forEach(disposeSupportQuery);
    }
    s.apply(step, r.loss, r.grads);
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
  for (let step = s.first; step <= opts.steps; step++) {
    const episodes = s.batch();
    let r: { loss: number; grads: Params };
    try {
      r = await opts.metaGrads(s.theta, episodes);
    } finally {
      episodes.forEach(disposeSupportQuery);
    }
    s.apply(step, r.loss, r.grads);
  }
  return s.finish();
}
