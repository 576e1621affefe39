import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

/**
 * Spread dy back over the axes a Sum or Mean reduced, times `scale`, by a broadcasting multiply with a
 * tensor made by the Fill kernel: tfjs's own ones(x.shape) is filled in JavaScript and uploaded on every
 * backward pass (5% of a Conv4 step on wasm), and broadcastTo's Tile kernel is slower still on wasm.
 */
export function spreadOverReduced(
  dy: tf.Tensor,
  x: tf.Tensor,
  axis: number | number[],
  scale: (axes: number[]) => number,
): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.mul(tf.reshape(dy, kept), tf.fill(x.shape, scale(axes)));
}

export const sumGradConfig: MetaGradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({
    x: () => spreadOverReduced(dy, x, attrs.axis as number | number[], () => 1),
  }),
};
