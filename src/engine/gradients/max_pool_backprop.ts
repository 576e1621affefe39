import * as tf from '@tensorflow/tfjs';
import { oneHotF32 } from '../onehot.js';
import { nativePoolRoute } from '../kernels/native.js';

/**
 * Gradient of a tiling max-pool, in differentiable ops: the windows are reshaped into a trailing axis,
 * the first maximum of each window is marked by a one-hot mask, and dy is routed through the mask.
 * The result is linear in dy, so its gradient (second order) exists; with respect to x it is zero almost
 * everywhere, as for the true max. Floor pooling drops trailing rows/columns, which get zero gradient.
 */
export function maxPoolTilingGrad(dy: tf.Tensor4D, x: tf.Tensor4D, kh: number, kw: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ho = dy.shape[1];
  const wo = dy.shape[2];
  const k = kh * kw;
  // No tidy here: when this runs under an outer gradient tape, its intermediates must outlive it.
  const fast = nativePoolRoute(x, dy, kh, kw);
  if (fast) return fast;
  const xs = ho * kh === h && wo * kw === w ? x : tf.slice(x, [0, 0, 0, 0], [n, ho * kh, wo * kw, c]);
  const win = tf.reshape(tf.transpose(tf.reshape(xs, [n, ho, kh, wo, kw, c]), [0, 1, 3, 5, 2, 4]), [
    n,
    ho,
    wo,
    c,
    k,
  ]);
  const mask = oneHotF32(tf.argMax(win, -1), k);
  const routed = tf.mul(mask, tf.expandDims(dy, -1));
  const back = tf.reshape(tf.transpose(tf.reshape(routed, [n, ho, wo, c, kh, kw]), [0, 1, 4, 2, 5, 3]), [
    n,
    ho * kh,
    wo * kw,
    c,
  ]) as tf.Tensor4D;
  return padTo(back, h, w);
}

/** Zero rows and columns after the windows, back to the input's height and width. */
function padTo(g: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  if (g.shape[1] === h && g.shape[2] === w) return g;
  return tf.pad(g, [
    [0, 0],
    [0, h - g.shape[1]],
    [0, w - g.shape[2]],
    [0, 0],
  ]);
}
