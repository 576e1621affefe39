import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { LossOracle, SampleLosses } from './types.js';

/**
 * Value and gradients of f with respect to `keys` (default all). Unlike tf.valueAndGrads, a key that f
 * does not reach gets no entry instead of an error: a task's loss never reaches another task's head, and
 * the trainer then leaves that head (and its optimiser moments) untouched, as PyTorch does.
 */
export function partialGrads(
  params: Params,
  f: (p: Params) => tf.Scalar,
  keys: readonly string[] = Object.keys(params),
): { value: number; grads: Params } {
  for (const k of keys) if (!(k in params)) throw new Error(`partialGrads: no parameter '${k}'`);
  if (keys.length === 0) {
    const v = f(params);
    const value = v.dataSync()[0];
    v.dispose();
    return { value, grads: {} };
  }
  const xs = keys.map((k) => params[k]);
  const { value, grads } = tf.engine().gradients(() => f(params), xs, undefined, true);
  const out: Params = {};
  keys.forEach((k, i) => {
    if (grads[i] != null) out[k] = grads[i];
  });
  const v = value.dataSync()[0];
  value.dispose();
  return { value: v, grads: out };
}

/**
 * Each task's loss value and its gradients over the model's params (partialGrads per task), on the
 * step's batch or on another of its mini-batches (LossOracle.samples).
 */
export function perTaskGrads(
  params: Params,
  oracle: LossOracle,
  batch: SampleLosses = oracle,
): { perTask: Params[]; losses: number[] } {
  const perTask: Params[] = [];
  const losses: number[] = [];
  for (let s = 0; s < oracle.tasks.length; s++) {
    const { value, grads } = partialGrads(params, (p) => batch.lossOf(s, p), oracle.modelKeys);
    perTask.push(grads);
    losses.push(value);
  }
  return { perTask, losses };
}

/** a + b key by key (keys of either); consumes both records. */
export function addGrads(a: Params, b: Params): Params {
  const out: Params = { ...a };
  for (const k of Object.keys(b)) {
    if (k in out) {
      const s = tf.add(out[k], b[k]);
      out[k].dispose();
      b[k].dispose();
      out[k] = s;
    } else out[k] = b[k];
  }
  return out;
}

/**
 * Gradients of sum_s w_s L_s + penalty from one forward and one backward pass, with the unweighted
 * per-segment losses read on the way. The common case of every loss-weighting strategy.
 */
export function weightedGrads(
  params: Params,
  oracle: LossOracle,
  weights: readonly number[],
  extra?: (p: Params, losses: tf.Scalar[]) => tf.Scalar,
): { grads: Params; losses: number[] } {
  let losses: number[] = [];
  const { grads } = partialGrads(params, (p) => {
    const ls = oracle.losses(p);
    losses = Array.from(tf.stack(ls).dataSync());
    let total: tf.Tensor = extra ? extra(p, ls) : tf.addN(ls.map((l, s) => tf.mul(l, weights[s])));
    const pen = oracle.penalty(p);
    if (pen) total = tf.add(total, pen);
    return total as tf.Scalar;
  });
  return { grads, losses };
}

/** Euclidean norm of a set of gradient tensors, as one number. */
export function gradNorm(g: Params): number {
  const ks = Object.keys(g);
  if (ks.length === 0) return 0;
  return tf.tidy(() => Math.sqrt(tf.addN(ks.map((k) => tf.sum(tf.square(g[k])))).dataSync()[0]));
}
