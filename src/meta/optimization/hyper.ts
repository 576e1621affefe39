import { tf } from '../../engine/tf.js';
import type { Module } from '../../nn/module.js';
import { TRAIN } from '../../nn/module.js';
import {
  type Params,
  disposeParams,
  mapParams,
  subParams,
  valueAndGrads,
  withPrefix,
} from '../../nn/params.js';
import { type CgOptions, gradOf, implicitGradient } from './implicit.js';
import { episodeLoss, meanLossGrads, taskLoss } from '../common.js';
import type { MetaLearner } from '../types.js';
import type { LabelledSet, SupportQuery } from '../../tasks/types.js';
import type { LossName } from '../../tasks/losses.js';

/*
 * Hyperparameters as meta-parameters (the AutoML reading of meta-learning): theta holds the
 * hyperparameters of an inner training process, phi the weights that process trains, and the
 * hypergradient d L_val(phi_T(theta)) / d theta is taken by differentiating through the unrolled inner
 * loop (Maclaurin et al. 2015; Franceschi et al. 2017, "forward and reverse gradient-based
 * hyperparameter optimization"), or, for inner loops too long to unroll, by implicit differentiation at
 * the inner optimum (Lorraine et al. 2020; conjugate gradient on Hessian-vector products as in iMAML,
 * Rajeswaran et al. 2019). The engine's second-order gradients make the unrolled derivative exact.
 */

/** How finely the inner learning rates are learned. */
export type HyperLrMode = 'global' | 'per-layer' | 'per-layer-per-step';

/** Keys of the hyperparameters inside theta. */
export const HYPER_PREFIX = 'hyper.';
export const WEIGHT_DECAY_KEY = 'hyper.wd';
export const MOMENTUM_KEY = 'hyper.momentum';

/** The key of the inner learning rate of parameter `param` at inner step `step` under `mode`. */
export function lrKey(mode: HyperLrMode, step: number, param: string): string {
  if (mode === 'global') return 'hyper.lr';
  if (mode === 'per-layer') return `hyper.lr.${param}`;
  return `hyper.lr.s${step}.${param}`;
}

/**
 * The inner training process: `steps` steps of SGD with heavy-ball momentum and L2 weight decay,
 *   g_t = grad L_train(phi_t) + wd * phi_t,  v_t = mu * v_{t-1} + g_t,  phi_{t+1} = phi_t - lr_{t,k} * v_t,
 * every hyperparameter either a number (fixed) or a scalar tensor (differentiable, so an outer tape sees
 * d phi_T / d hyperparameters). Hyperparameters are used raw, not squashed: the outer step may move a
 * rate or the decay below zero, and a learned value is reported as it is.
 */
export interface InnerHyperparams {
  steps: number;
  /** Learning rate of parameter `key` at inner step `step`. */
  lr: (step: number, key: string) => tf.Tensor | number;
  /** L2 strength: one for every parameter, or per parameter tensor (`key` => strength). */
  weightDecay: tf.Tensor | number | ((key: string) => tf.Tensor | number);
  momentum: tf.Tensor | number;
  /** Treat inner gradients as constants (no second-order terms; the hypergradient of lr stays exact to first order). */
  firstOrder?: boolean;
}

/** Weights after the inner loop, and every tensor it created (dispose them with disposeUnrolled). */
export interface UnrolledRun {
  params: Params;
  owned: tf.Tensor[];
  /** Training loss before each inner step. */
  losses: number[];
}

const isZero = (v: tf.Tensor | number) => typeof v === 'number' && v === 0;

/** The weight decay of parameter `key`. */
function decayOf(hp: Pick<InnerHyperparams, 'weightDecay'>, key: string): tf.Tensor | number {
  return typeof hp.weightDecay === 'function' ? hp.weightDecay(key) : hp.weightDecay;
}

/** A copy with the same value and no connection to the gradient tape. */
function detached(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

/**
 * Run the inner loop from phi0 on `trainLoss`, adapting the parameters named in `keys` (others are held
 * fixed). Differentiable with respect to phi0 and to every tensor hyperparameter.
 */
export function unrolledSgd(
  phi0: Params,
  keys: readonly string[],
  trainLoss: (p: Params) => tf.Scalar,
  hp: InnerHyperparams,
): UnrolledRun {
  if (!Number.isInteger(hp.steps) || hp.steps < 0)
    throw new Error(`unrolledSgd: steps must be a non-negative integer, got ${hp.steps}`);
  for (const k of keys) if (!(k in phi0)) throw new Error(`unrolledSgd: no parameter '${k}' to adapt`);
  const owned: tf.Tensor[] = [];
  const losses: number[] = [];
  let phi = phi0;
  let velocity: Params | null = null;
  for (let s = 0; s < hp.steps; s++) {
    const current = phi;
    const sub: Params = {};
    for (const k of keys) sub[k] = current[k];
    const { value, grads } = valueAndGrads(sub, (q) => trainLoss({ ...current, ...q }));
    losses.push(value.dataSync()[0]);
    value.dispose();
    const next: Params = { ...current };
    const nextV: Params = {};
    for (const k of keys) {
      const g0 = hp.firstOrder ? detached(grads[k]) : grads[k];
      const v = tf.tidy(() => {
        let g = g0;
        const wd = decayOf(hp, k);
        if (!isZero(wd)) g = tf.add(g, tf.mul(current[k], wd));
        if (velocity !== null && !isZero(hp.momentum)) g = tf.add(g, tf.mul(velocity[k], hp.momentum));
        return g === g0 ? tf.clone(g0) : g;
      });
      nextV[k] = v;
      next[k] = tf.tidy(() => tf.sub(current[k], tf.mul(v, hp.lr(s, k))));
      owned.push(v, next[k]);
      // Safe under an outer tape too: the tape keeps its own references to what it saved.
      if (g0 !== grads[k]) g0.dispose();
      grads[k].dispose();
    }
    velocity = nextV;
    phi = next;
  }
  return { params: phi, owned, losses };
}

/** Free what unrolledSgd created (not phi0). */
export function disposeUnrolled(r: UnrolledRun): void {
  for (const t of r.owned) if (!t.isDisposed) t.dispose();
}

/** Value and hypergradient of a validation loss after the inner run. */
export interface Hypergradient {
  /** L_val(phi_T). */
  value: number;
  /** d L_val(phi_T) / d hyper, for every tensor of `hyper` (caller disposes). */
  grads: Params;
  /** Training loss before each inner step. */
  innerLosses: number[];
  /** 'implicit' only: the conjugate-gradient solve's iterations and final relative residual. */
  cg?: { iters: number; residual: number };
}

/** How the hypergradient is taken. */
export type HypergradientMethod = 'unrolled' | 'implicit';

/** Options of hypergradient. */
export interface HypergradientOptions extends CgOptions {
  /**
   * 'unrolled' (default): reverse-mode through every inner step, exact for the T steps taken, memory
   * growing with T. 'implicit': run the inner loop without a tape (constant memory), then take the
   * implicit-function-theorem gradient at its end point, exact when that point is a stationary point of
   * the inner objective L_train(phi) + sum_k wd_k / 2 ||phi_k||^2. Only hyperparameters that enter that
   * objective (the weight decays) get a non-zero implicit hypergradient: at an optimum the rates,
   * momentum and starting point no longer matter.
   */
  method?: HypergradientMethod;
}

/**
 * The inner objective whose stationary point the inner loop seeks: the training loss plus the L2 term
 * whose gradient is unrolledSgd's weight decay, wd_k * phi_k.
 */
export function innerObjective(
  phi0: Params,
  keys: readonly string[],
  trainLoss: (p: Params) => tf.Scalar,
  hp: Pick<InnerHyperparams, 'weightDecay'>,
): (p: Params) => tf.Scalar {
  return (p) =>
    tf.tidy(() => {
      let f: tf.Tensor = trainLoss({ ...phi0, ...p });
      for (const k of keys) {
        const wd = decayOf(hp, k);
        if (!isZero(wd)) f = tf.add(f, tf.mul(tf.mul(tf.sum(tf.square(p[k])), wd), 0.5));
      }
      return f as tf.Scalar;
    });
}

/**
 * The hypergradient of the generic bilevel problem min_h L_val(phi_T(h)), phi_T = unrolledSgd(phi0, h):
 * `hyperparams(h)` maps the differentiable tensors of `hyper` to the inner loop's settings. phi0 is held
 * fixed (pass its keys in `hyper` too to learn the initialisation, as MAML does).
 *
 * With `method: 'implicit'` (Lorraine et al. 2020) the inner loop runs without a tape to phi*, then
 *   v = H^-1 grad_phi L_val(phi*)            (conjugate gradient on Hessian-vector products),
 *   d L_val / d h = -(d^2 F / d h d phi) v   (F the inner objective, see innerObjective),
 * so memory does not grow with the number of inner steps. Give enough steps to converge: the result is
 * the hypergradient at a stationary point, and is only as good as phi_T is one.
 *
 * @example
 * // learn per-tensor L2 strengths of a 500-step inner loop by implicit differentiation
 * const hyper = { 'wd.w': tf.scalar(0.1), 'wd.b': tf.scalar(0.1) };
 * const { value, grads } = hypergradient(hyper, phi0, ['w', 'b'], trainLoss, valLoss,
 *   (h) => ({ steps: 500, lr: () => 0.1, momentum: 0.9, weightDecay: (k) => h[`wd.${k}`] }),
 *   { method: 'implicit', maxIters: 20 });
 */
export function hypergradient(
  hyper: Params,
  phi0: Params,
  keys: readonly string[],
  trainLoss: (p: Params) => tf.Scalar,
  valLoss: (p: Params) => tf.Scalar,
  hyperparams: (h: Params) => InnerHyperparams,
  opts: HypergradientOptions = {},
): Hypergradient {
  const method = opts.method ?? 'unrolled';
  if (method === 'implicit')
    return implicitHypergradient(hyper, phi0, keys, trainLoss, valLoss, hyperparams, opts);
  if (method !== 'unrolled')
    throw new Error(
      `hypergradient: option 'method' must be 'unrolled' or 'implicit', got '${String(method)}'`,
    );
  let run: UnrolledRun | null = null;
  try {
    const { value, grads } = valueAndGrads(hyper, (h) => {
      const start = { ...phi0, ...h };
      run = unrolledSgd(start, keys, trainLoss, hyperparams(h));
      return valLoss(run.params);
    });
    const v = value.dataSync()[0];
    value.dispose();
    return { value: v, grads, innerLosses: (run as UnrolledRun | null)?.losses ?? [] };
  } finally {
    if (run) disposeUnrolled(run);
  }
}

function implicitHypergradient(
  hyper: Params,
  phi0: Params,
  keys: readonly string[],
  trainLoss: (p: Params) => tf.Scalar,
  valLoss: (p: Params) => tf.Scalar,
  hyperparams: (h: Params) => InnerHyperparams,
  opts: CgOptions,
): Hypergradient {
  // The inner loop without a tape: nothing is recorded, so its length costs time, not memory.
  const start = { ...phi0, ...hyper };
  const run = unrolledSgd(start, keys, trainLoss, hyperparams(hyper));
  const star: Params = {};
  for (const k of keys) star[k] = tf.clone(run.params[k]);
  const rest: Params = { ...run.params };
  for (const k of keys) delete rest[k];
  disposeUnrolled(run);
  const fixed = { ...start, ...rest };
  let v: Params | null = null;
  let g: Params | null = null;
  let cross: Params | null = null;
  try {
    const { value, grads } = valueAndGrads(star, (p) => valLoss({ ...fixed, ...p }));
    g = grads;
    const val = value.dataSync()[0];
    value.dispose();
    const F = (p: Params, h: Params) => innerObjective(fixed, keys, trainLoss, hyperparams(h))(p);
    const solved = implicitGradient((p) => F(p, hyper), star, g, opts);
    v = solved.x;
    const vv = v;
    // The mixed term grad_h <grad_phi F(phi*, h), v> (implicit.ts crossVjp), with every tensor of `hyper`
    // touched: one that F does not use (a rate, momentum, the start) gets 0 rather than a tape error.
    cross = gradOf((h) => {
      const gp = gradOf((p) => F(p, h), star);
      const terms = Object.keys(star).map((k) => tf.sum(tf.mul(gp[k], vv[k])));
      for (const k of Object.keys(h)) terms.push(tf.mul(tf.sum(h[k]), 0));
      const s = tf.addN(terms) as tf.Scalar;
      disposeParams(gp);
      return s;
    }, hyper);
    const out = mapParams(cross, (t) => tf.neg(t));
    return {
      value: val,
      grads: out,
      innerLosses: run.losses,
      cg: { iters: solved.iters, residual: solved.residual },
    };
  } finally {
    disposeParams(star);
    if (g) disposeParams(g);
    if (v) disposeParams(v);
    if (cross) disposeParams(cross);
  }
}

/** Options of hyperMaml. */
export interface HyperMamlOptions {
  /** The network trained in the inner loop; its params live under `model.` in theta. */
  model: Module;
  loss?: LossName;
  innerSteps?: number;
  /** Initial inner learning rate(s). */
  innerLr?: number;
  /** Granularity of the learned rates (default 'per-layer-per-step', as in Antoniou et al. 2019's LSLR). */
  lrMode?: HyperLrMode;
  /** Initial L2 weight decay of the inner loop (default 0). */
  weightDecay?: number;
  /** Initial heavy-ball momentum of the inner loop (default 0). */
  momentum?: number;
  /** Which hyperparameters theta holds (default all three); the others are fixed at their initial values. */
  learn?: { lr?: boolean; weightDecay?: boolean; momentum?: boolean };
  /**
   * Also learn the inner loop's starting weights, as MAML does (default true). With false theta is only
   * hyperparameters: the inner loop starts every task from the same fixed random weights (drawn in
   * init and kept in theta under `init.`, where they get zero gradient).
   */
  learnInit?: boolean;
  firstOrder?: boolean;
  name?: string;
}

/** phi of hyperMaml: the trained weights and what the inner loop created. */
export type HyperPhi = { params: Params; owned: tf.Tensor[] };

function checkNumber(v: number, name: string, lo = -Infinity): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo)
    throw new Error(`hyperMaml: option '${name}' must be a finite number >= ${lo}, got ${v}`);
}

/**
 * A few-shot learner whose meta-parameters include the inner loop's hyperparameters: per-layer (and
 * per-step) learning rates, weight decay and momentum, meta-learned by unrolled hypergradients on the
 * query loss, with or without MAML's learned initialisation. With `learn` all false and learnInit true
 * it is MAML with a fixed inner weight decay and momentum, the hand-tuned baseline of the same code.
 */
export function hyperMaml(opts: HyperMamlOptions): MetaLearner<HyperPhi> {
  const model = opts.model;
  const steps = opts.innerSteps ?? 1;
  const lr0 = opts.innerLr ?? 0.01;
  const wd0 = opts.weightDecay ?? 0;
  const mu0 = opts.momentum ?? 0;
  const mode = opts.lrMode ?? 'per-layer-per-step';
  const learn = { lr: true, weightDecay: true, momentum: true, ...(opts.learn ?? {}) };
  const learnInit = opts.learnInit ?? true;
  const loss = opts.loss ?? 'cross-entropy';
  if (!Number.isInteger(steps) || steps < 0)
    throw new Error(`hyperMaml: option 'innerSteps' must be a non-negative integer, got ${steps}`);
  checkNumber(lr0, 'innerLr', 0);
  checkNumber(wd0, 'weightDecay');
  checkNumber(mu0, 'momentum');
  if (!['global', 'per-layer', 'per-layer-per-step'].includes(mode))
    throw new Error(
      `hyperMaml: option 'lrMode' must be 'global', 'per-layer' or 'per-layer-per-step', got '${mode}'`,
    );
  const start = learnInit ? 'model' : 'init';
  const forward = (p: Params, x: tf.Tensor) => model.apply(p, x, TRAIN);
  const name = opts.name ?? (learnInit ? 'hyper-maml' : 'hyper-sgd');

  const settings = (theta: Params): InnerHyperparams => ({
    steps,
    lr: learn.lr ? (s, k) => theta[lrKey(mode, s, k)] : () => lr0,
    weightDecay: learn.weightDecay ? theta[WEIGHT_DECAY_KEY] : wd0,
    momentum: learn.momentum ? theta[MOMENTUM_KEY] : mu0,
    firstOrder: opts.firstOrder,
  });

  const learner: MetaLearner<HyperPhi> = {
    name,
    family: 'optimization',
    loss,
    init: (rng) => {
      const p = model.init(rng);
      const theta: Params = withPrefix(start, p);
      if (learn.lr) {
        const names = mode === 'global' ? ['-'] : Object.keys(p);
        const perStep = mode === 'per-layer-per-step' ? steps : 1;
        for (let s = 0; s < perStep; s++) for (const k of names) theta[lrKey(mode, s, k)] ??= tf.scalar(lr0);
      }
      if (learn.weightDecay) theta[WEIGHT_DECAY_KEY] = tf.scalar(wd0);
      if (learn.momentum) theta[MOMENTUM_KEY] = tf.scalar(mu0);
      return theta;
    },
    adapt: (theta, support: LabelledSet) => {
      const phi0 = subParams(theta, start);
      const run = unrolledSgd(
        phi0,
        Object.keys(phi0),
        (p) => taskLoss(loss, forward(p, support.x), support.y),
        settings(theta),
      );
      return { params: run.params, owned: run.owned };
    },
    predict: (_theta, phi, x) => forward(phi.params, x),
    disposePhi: (phi) => {
      for (const t of phi.owned) if (!t.isDisposed) t.dispose();
    },
  };
  if (!learnInit) {
    // theta's fixed starting weights get zero gradient (Adam then leaves them exactly as they are).
    learner.metaGrads = (theta: Params, episodes: SupportQuery[]) => {
      if (episodes.length === 0) throw new Error(`${name}: the meta-batch is empty`);
      const hyper: Params = {};
      for (const k of Object.keys(theta)) if (k.startsWith(HYPER_PREFIX)) hyper[k] = theta[k];
      const { loss, grads: out } = meanLossGrads(name, hyper, episodes, (h, ep) =>
        episodeLoss(learner, { ...theta, ...h }, ep),
      );
      for (const k of Object.keys(theta)) if (!(k in out)) out[k] = tf.zerosLike(theta[k]);
      return { loss, grads: out };
    };
  }
  return learner;
}

/** The learned hyperparameters of a hyperMaml theta as plain numbers, for reports. */
export function readHyperparams(theta: Params): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(theta).sort()) {
    if (k.startsWith(HYPER_PREFIX)) out[k.slice(HYPER_PREFIX.length)] = theta[k].dataSync()[0];
  }
  return out;
}
