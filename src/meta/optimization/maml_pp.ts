import { tf } from '../../engine/tf.js';
import type { Module } from '../../nn/module.js';
import { type Ctx, TRAIN } from '../../nn/module.js';
import {
  type Params,
  type State,
  disposeParams,
  subParams,
  valueAndGrads,
  withPrefix,
} from '../../nn/params.js';
import { meanLossGrads, taskLoss } from '../common.js';
import type { MetaLearner, TrainProgress } from '../types.js';
import type { LabelledSet, SupportQuery } from '../../tasks/types.js';
import type { LossName } from '../../tasks/losses.js';

/**
 * The switches of MAML++ (Antoniou et al. 2019), each on by default but perStepBnStats (off, so that
 * theta, and the runs saved before it existed, keep their shape). The cosine-annealed outer rate is the
 * optimiser's: a run config's `lrSchedule: 'cosine'` (any learner can use it).
 */
export interface MamlPlusPlusSwitches {
  /** MSL: the query loss after every inner step, weighted, the weights annealed toward the last step. */
  multiStepLoss?: boolean;
  /** BNWB: batch-norm gamma and beta per inner step (meta-learned, not adapted in the inner loop). */
  perStepBatchNorm?: boolean;
  /** LSLR: a learned inner rate per parameter tensor (layer) and per step. */
  perStepLr?: boolean;
  /** DA: first-order meta-gradients early in training, second-order after. */
  derivativeAnnealing?: boolean;
  /**
   * BNRS: batch-norm running mean and variance per inner step, accumulated over meta-training and used
   * in adaptation and prediction at evaluation instead of the batch's statistics. Needs a model whose
   * batch norm tracks running statistics (`trackRunningStats`, e.g. `conv4({ batchNorm: { trackRunningStats: true } })`).
   * Default off.
   */
  perStepBnStats?: boolean;
}

/** Options of mamlPlusPlus. */
export interface MamlPlusPlusOptions extends MamlPlusPlusSwitches {
  /** The network adapted in the inner loop; its params live under `model.`. */
  model: Module;
  loss?: LossName;
  /** Inner steps (5 in the paper). */
  innerSteps?: number;
  /** The inner rate, and the initial value of every learned one. */
  innerLr?: number;
  /**
   * Fraction of training during which the multi-step loss is used: its non-final weights fall linearly
   * from 1/S to 0.03/S (the paper's floor) over it, and only the final step's loss counts after it.
   * Default 0.1 (the paper: 10 of 100 epochs).
   */
  mslFraction?: number;
  /** Fraction of training that uses first-order gradients under derivativeAnnealing. Default 1/3 (50 of 150 epochs). */
  firstOrderFraction?: number;
  /** Which model params are batch-norm weights (made per step by perStepBatchNorm). Default: names ending 'bn.gamma' or 'bn.beta'. */
  isNorm?: (name: string) => boolean;
  name?: string;
}

/** MAML++'s adapted state: the fine-tuned params (batch-norm weights of the last step included), and what adaptation created. */
export interface MamlPlusPlusPhi {
  params: Params;
  owned: tf.Tensor[];
}

/** The multi-step loss weights of steps 1..S at `progress` (MAML++ section 4, "multi-step loss"), or null: final step only. */
export function mslWeights(steps: number, fraction: number, progress?: TrainProgress): number[] | null {
  if (!progress || steps < 2) return null;
  const f = (progress.step - 1) / Math.max(1, fraction * progress.steps);
  if (f >= 1) return null;
  const other = Math.max((1 / steps) * (1 - f), 0.03 / steps);
  return Array.from({ length: steps }, (_, i) => (i === steps - 1 ? 1 - (steps - 1) * other : other));
}

/** The prefix of the per-step running statistics in theta (perStepBnStats). */
const STATS = 'bnrs';

/** A forward pass of the learner: training (batch statistics, optionally collecting BNRS updates) or evaluation. */
interface Pass {
  training: boolean;
  /** Under BNRS in training: receives, per slot s, the running statistics moved by this pass's batch. */
  collect?: State[];
}

/** A tensor with the same value and no connection to the gradient tape. */
function detached(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

/**
 * MAML++ (Antoniou et al. 2019, "How to train your MAML"): MAML with the paper's fixes, each a switch
 * (MamlPlusPlusSwitches): multi-step loss, per-step batch-norm weights, learned per-layer per-step inner
 * rates, first- to second-order annealing; the cosine outer rate is `lrSchedule: 'cosine'`. Params:
 * `model.*` (the network), `bn.step{s}.*` (batch-norm weights of step s = 0..S, for the pass with the
 * params after s updates), `lr.step{s}.*` (one scalar per adapted tensor and step s = 0..S-1).
 * Batch norm uses the statistics of the batch it sees, as in maml(), unless perStepBnStats is on: then
 * theta also holds `bnrs.step{s}.*` (running mean and var of every batch-norm layer for the pass with
 * the params after s updates), which are running statistics, not trained (`isRunningStat`): in
 * training, step s's support pass (s < S) and the final query pass (s = S) normalise with their batch
 * and move slot s by the model's batch-norm momentum; metaGrads returns the meta-batch mean of those
 * moved values, which the training loop assigns. Evaluation (adapt, predict) normalises every pass with
 * its step's running statistics, so it is not transductive (MAML++ section 4, "BNRS").
 * The annealed switches read TrainProgress; a metaGrads call without it (outside training) uses their
 * end-of-training setting (final-step loss, second order).
 */
export function mamlPlusPlus(opts: MamlPlusPlusOptions): MetaLearner<MamlPlusPlusPhi> {
  const model = opts.model;
  const steps = opts.innerSteps ?? 5;
  const lr0 = opts.innerLr ?? 0.1;
  const loss = opts.loss ?? 'cross-entropy';
  const msl = opts.multiStepLoss ?? true;
  const bnPerStep = opts.perStepBatchNorm ?? true;
  const lslr = opts.perStepLr ?? true;
  const da = opts.derivativeAnnealing ?? true;
  const bnrs = opts.perStepBnStats ?? false;
  const mslFraction = opts.mslFraction ?? 0.1;
  const foFraction = opts.firstOrderFraction ?? 1 / 3;
  const isNorm = opts.isNorm ?? ((k: string) => /(^|\.)bn\.(gamma|beta)$/.test(k));
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`mamlpp: option 'innerSteps' must be a positive integer, got ${steps}`);
  if (!(lr0 >= 0)) throw new Error(`mamlpp: option 'innerLr' must be a non-negative number, got ${lr0}`);
  for (const [k, v] of [
    ['mslFraction', mslFraction],
    ['firstOrderFraction', foFraction],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new Error(`mamlpp: option '${k}' must be in [0, 1], got ${v}`);
  }
  const initialState = bnrs ? (model.initState?.() ?? {}) : {};
  const stateKeys = Object.keys(initialState);
  tf.dispose(Object.values(initialState));
  if (bnrs && stateKeys.length === 0) {
    throw new Error(
      "mamlpp: option 'perStepBnStats' needs a model with batch-norm running statistics (batchNorm's " +
        'trackRunningStats); this model keeps none',
    );
  }
  const forward = (p: Params, x: tf.Tensor, ctx: Ctx = TRAIN) => model.apply(p, x, ctx);
  const perStep = (k: string) => bnPerStep && isNorm(k);
  const isStat = (k: string) => k.startsWith(`${STATS}.`);
  /** The running statistics of pass s (after s updates), keyed as the model's state. */
  const statsAt = (theta: Params, s: number): State => subParams(theta, `${STATS}.step${s}`);

  /**
   * How pass s runs: in training, with batch statistics (and, under BNRS with `collect`, slot s moved by
   * this batch's statistics written to `collect[s]`); in evaluation under BNRS, with slot s's running
   * statistics. Without BNRS, always with batch statistics (transductive, as maml()).
   */
  const ctxAt = (theta: Params, s: number, pass: Pass): Ctx => {
    if (!bnrs) return TRAIN;
    if (!pass.training) return { training: false, state: statsAt(theta, s) };
    if (!pass.collect) return TRAIN;
    pass.collect[s] ??= {};
    return { training: true, state: statsAt(theta, s), stateOut: pass.collect[s] };
  };

  /** The params of the forward pass after s updates: phi, with step s's batch-norm weights. */
  const at = (theta: Params, phi: Params, s: number): Params =>
    bnPerStep ? { ...phi, ...subParams(theta, `bn.step${s}`) } : phi;

  /**
   * S inner steps from theta on `support`; after each, `afterStep(s, params)` sees the params of the
   * pass after s + 1 updates. Every tensor created is pushed to `owned`.
   */
  const unroll = (
    theta: Params,
    support: LabelledSet,
    firstOrder: boolean,
    owned: tf.Tensor[],
    pass: Pass,
    afterStep?: (s: number, p: Params) => void,
  ): Params => {
    let phi: Params = {};
    for (const [k, v] of Object.entries(subParams(theta, 'model'))) if (!perStep(k)) phi[k] = v;
    const keys = Object.keys(phi);
    for (let s = 0; s < steps; s++) {
      const current = phi;
      const { value, grads } = valueAndGrads(current, (q) =>
        taskLoss(loss, forward(at(theta, q, s), support.x, ctxAt(theta, s, pass)), support.y),
      );
      value.dispose();
      const next: Params = {};
      for (const k of keys) {
        const g = firstOrder ? detached(grads[k]) : grads[k];
        const rate = lslr ? theta[`lr.step${s}.${k}`] : null;
        next[k] = tf.tidy(() => tf.sub(current[k], rate ? tf.mul(rate, g) : tf.mul(g, lr0)));
        owned.push(next[k]);
        // Safe under an outer tape too: the tape keeps its own references to what it saved.
        g.dispose();
        grads[k].dispose();
      }
      phi = next;
      afterStep?.(s, at(theta, phi, s + 1));
    }
    return at(theta, phi, steps);
  };

  /** The meta-objective of one episode: the final query loss, or the weighted multi-step loss. */
  const episodeObjective = (
    theta: Params,
    ep: SupportQuery,
    progress?: TrainProgress,
    collect?: State[],
  ): tf.Scalar => {
    const weights = msl ? mslWeights(steps, mslFraction, progress) : null;
    const firstOrder = da && progress !== undefined && progress.step <= foFraction * progress.steps;
    const owned: tf.Tensor[] = [];
    const terms: tf.Tensor[] = [];
    try {
      const pass: Pass = { training: true, collect };
      const last = unroll(theta, ep.support, firstOrder, owned, pass, (s, p) => {
        if (weights && s < steps - 1)
          terms.push(tf.tidy(() => tf.mul(taskLoss(loss, forward(p, ep.query.x), ep.query.y), weights[s])));
      });
      const final = taskLoss(loss, forward(last, ep.query.x, ctxAt(theta, steps, pass)), ep.query.y);
      if (weights) {
        terms.push(tf.mul(final, weights[steps - 1]));
        final.dispose();
      } else terms.push(final);
      // First order, the batch-norm weights of the inner passes only reach the objective through the
      // inner gradients, which are constants: a zero term gives them their zero gradient (tfjs refuses
      // to differentiate with respect to a disconnected input).
      if (firstOrder) {
        const trained = Object.keys(theta).filter((k) => !isStat(k));
        terms.push(tf.mul(tf.addN(trained.map((k) => tf.sum(theta[k]))), 0));
      }
      const out = (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
      if (terms.length > 1) tf.dispose(terms);
      return out;
    } finally {
      for (const t of owned) if (!t.isDisposed) t.dispose();
    }
  };

  return {
    name: opts.name ?? 'mamlpp',
    family: 'optimization',
    loss,
    init: (rng) => {
      const p = model.init(rng);
      const theta: Params = {};
      for (const [k, v] of Object.entries(p)) {
        if (!perStep(k)) theta[`model.${k}`] = v;
        else {
          for (let s = 0; s <= steps; s++) theta[`bn.step${s}.${k}`] = s === steps ? v : tf.clone(v);
        }
      }
      if (lslr) {
        for (const k of Object.keys(p)) {
          if (perStep(k)) continue;
          for (let s = 0; s < steps; s++)
            Object.assign(theta, withPrefix(`lr.step${s}`, { [k]: tf.scalar(lr0) }));
        }
      }
      if (bnrs) {
        for (let s = 0; s <= steps; s++)
          Object.assign(theta, withPrefix(`${STATS}.step${s}`, model.initState!()));
      }
      return theta;
    },
    ...(bnrs ? { isRunningStat: isStat } : {}),
    adapt: (theta, support) => {
      const owned: tf.Tensor[] = [];
      return { params: unroll(theta, support, false, owned, { training: false }), owned };
    },
    predict: (theta, phi, x) => forward(phi.params, x, ctxAt(theta, steps, { training: false })),
    disposePhi: (phi) => {
      for (const t of phi.owned) if (!t.isDisposed) t.dispose();
    },
    metaGrads: (theta, episodes, progress) => {
      const who = opts.name ?? 'mamlpp';
      if (!bnrs) return meanLossGrads(who, theta, episodes, (p, ep) => episodeObjective(p, ep, progress));
      // The running statistics are not differentiated: the gradient is of the trained params, and each
      // statistic's entry is the mean over the meta-batch of its per-episode moved value, which is the
      // moving average moved once by the meta-batch's mean batch statistics (the update is linear in them).
      const trained: Params = {};
      const stats: Params = {};
      for (const [k, v] of Object.entries(theta)) (isStat(k) ? stats : trained)[k] = v;
      const moved: State[][] = [];
      try {
        const r = meanLossGrads(who, trained, episodes, (p, ep) => {
          const collect: State[] = [];
          moved.push(collect);
          return episodeObjective({ ...p, ...stats }, ep, progress, collect);
        });
        const grads: Params = { ...r.grads };
        for (const k of Object.keys(stats)) {
          const [, step, ...rest] = k.split('.');
          const s = Number(step.slice('step'.length));
          const name = rest.join('.');
          const values = moved.map((c) => c[s]?.[name]);
          if (values.some((v) => v === undefined)) {
            disposeParams(grads);
            throw new Error(
              `${who}: batch-norm statistic '${name}' of pass ${s} was not computed in training`,
            );
          }
          grads[k] = tf.tidy(() => tf.div(tf.addN(values as tf.Tensor[]), values.length));
        }
        return { loss: r.loss, grads };
      } finally {
        for (const c of moved) for (const slot of c) if (slot) tf.dispose(Object.values(slot));
      }
    },
  };
}
