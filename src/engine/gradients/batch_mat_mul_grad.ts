import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';
import { nativeKernelsActive } from '../kernels/native.js';

/** Sum a broadcast gradient back down to `shape` (for batch-broadcast matmuls). */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

export const batchMatMulGradConfig: MetaGradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b], attrs) => {
    const ta = !!attrs.transposeA;
    const tb = !!attrs.transposeB;
    // The native GEMM reads either operand transposed at no cost, so there the gradients use the flags
    // (MANN's step lost 49 Transpose kernels, 16 ms of 79). With C = op(A) op(B):
    // dA = dC op(B)^T (transposed back when A was), dB = op(A)^T dC (likewise).
    if (nativeKernelsActive() && tf.getBackend() === 'wasm') {
      const mt = (p: tf.Tensor, q: tf.Tensor, tp: boolean, tq: boolean) => () => tf.matMul(p, q, tp, tq);
      const [ga, gb] = !ta
        ? [mt(dy, b, false, !tb), tb ? mt(dy, a, true, false) : mt(a, dy, true, false)]
        : [
            tb ? mt(b, dy, true, true) : mt(b, dy, false, true),
            tb ? mt(dy, a, true, true) : mt(a, dy, false, false),
          ];
      return { a: () => reduceTo(ga(), a.shape), b: () => reduceTo(gb(), b.shape) };
    }
    // Elsewhere explicit transposes instead of the flags: wasm's own transposed paths are many times
    // slower, and a plain matmul keeps the gradient's own gradient plain as well.
    const mm = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q);
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!ta && !tb) {
      da = () => mm(dy, swapLast(b));
      db = () => mm(swapLast(a), dy);
    } else if (!ta && tb) {
      da = () => mm(dy, b);
      db = () => mm(swapLast(dy), a);
    } else if (ta && !tb) {
      da = () => mm(b, swapLast(dy));
      db = () => mm(a, dy);
    } else {
      da = () => swapLast(mm(dy, b));
      db = () => swapLast(mm(a, dy));
    }
    return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
  },
};
