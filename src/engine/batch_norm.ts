import * as tf from '@tensorflow/tfjs';
import { nativeBatchNorm, nativeBatchNormGrad, nativeHere } from './kernels/native.js';

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

/**
 * The batch-norm gradient from differentiable ops, the statistics recomputed from x so that their
 * dependence on x is differentiated too (Ioffe & Szegedy 2015): with xhat = (x - mean) invstd,
 * dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat)), dgamma = sum(dy xhat), dbeta = sum(dy).
 */
function batchNormGradOps(x: tf.Tensor, gamma: tf.Tensor, dy: tf.Tensor, eps: number): tf.Tensor[] {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const mean = tf.mean(x, axes, true);
  const xc = tf.sub(x, mean);
  const invstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), axes, true), eps));
  const xhat = tf.mul(xc, invstd);
  const dyx = tf.mul(dy, xhat);
  const inner = tf.sub(tf.sub(dy, tf.mean(dy, axes, true)), tf.mul(xhat, tf.mean(dyx, axes, true)));
  const dx = tf.mul(tf.mul(invstd, gamma), inner);
  return [dx, tf.sum(dyx, axes), tf.sum(dy, axes)];
}

/**
 * Training-mode batch normalisation of x over every axis but the last (channels), with the batch's own
 * statistics: (x - mean) / sqrt(var + eps) * gamma + beta, var the biased variance. One native kernel
 * forward, and one backward for a first-order gradient; when the backward pass is itself recorded (a
 * higher-order gradient, as MAML's meta-gradient through its inner steps), the gradient is built from
 * differentiable ops instead. Null unless the native kernels run this backend (the caller then uses
 * its ops, which compute the same function).
 */
export function fusedBatchNorm(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
): tf.Tensor | null {
  if (x.rank < 2 || x.size === 0 || gamma.rank !== 1 || gamma.shape[0] !== x.shape[x.rank - 1]) return null;
  if (!nativeHere(x, gamma, beta)) return null;
  const f = tf.customGrad(((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, invstd] = nativeBatchNorm(xx, g, b, eps)!;
    save([xx, g, mean, invstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xs, gs, ms, is]: tf.Tensor[]) =>
        tf.engine().isTapeOn() ? batchNormGradOps(xs, gs, dy, eps) : nativeBatchNormGrad(xs, gs, ms, is, dy),
    };
  }) as unknown as CustomGradFunc);
  return f(x, gamma, beta) as tf.Tensor;
}
