import { tf } from './tf.js';
import { oneHotF32 } from './onehot.js';
import { nativeSoftmaxXent } from './kernels/native.js';

/**
 * Differentiable ops that tfjs provides only through `customGrad` (whose saved values break second-order
 * gradients). Built from primitives whose gradients are registered in gradients/.
 */

/**
 * `fn(x)` with a zero gradient. The computation runs inside one custom-gradient node, so none of its
 * ops (whose own gradients may be missing, like Max's Equal mask) reach the tape.
 */
export function stopGradient(fn: (x: tf.Tensor) => tf.Tensor): (x: tf.Tensor) => tf.Tensor {
  const f = (x: tf.Tensor) => ({ value: fn(x), gradFunc: () => tf.zerosLike(x) });
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
}

const maxLastAxis = stopGradient((x) => tf.max(x, -1, true));

/** log-sum-exp over `axis`, shifted by the (gradient-free) maximum for stability. */
export function logSumExp(x: tf.Tensor, axis = -1, keepDims = false): tf.Tensor {
  return tf.tidy(() => {
    const m =
      axis === -1 || axis === x.rank - 1 ? maxLastAxis(x) : stopGradient((t) => tf.max(t, axis, true))(x);
    const s = tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, m)), axis, true)), m);
    return keepDims ? s : tf.squeeze(s, [axis < 0 ? x.rank + axis : axis]);
  });
}

/** log softmax along `axis`, computed as x - logSumExp(x) for stability. */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => tf.sub(x, logSumExp(x, axis, true)));
}

/** Mean over the batch of -sum_c onehot_c log softmax(logits)_c. `labels` are one-hot or soft targets. */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, logSoftmax(logits, -1)), -1))) as tf.Scalar);
}

/**
 * Cross-entropy with integer class labels (shape [batch]) and logits [batch, classes]. With the native
 * kernels, one fused kernel forward and one backward (PyTorch's cross_entropy is fused the same way).
 */
export function sparseSoftmaxCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor | number[] | Int32Array,
): tf.Scalar {
  const numClasses = logits.shape[logits.rank - 1];
  return tf.tidy(() => {
    const lab =
      labels instanceof tf.Tensor
        ? labels.dtype === 'int32'
          ? labels
          : tf.cast(labels, 'int32')
        : tf.tensor1d(Array.from(labels), 'int32');
    return nativeSoftmaxXent(logits, lab) ?? softmaxCrossEntropy(logits, oneHotF32(lab, numClasses));
  });
}

/** Mean of (pred - target)^2 over every element. */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar);
}

/** Mean and (biased) variance over `axes`, kept as dims, from differentiable primitives. */
export function moments(x: tf.Tensor, axes: number[]): { mean: tf.Tensor; variance: tf.Tensor } {
  const mean = tf.mean(x, axes, true);
  const variance = tf.mean(tf.square(tf.sub(x, mean)), axes, true);
  return { mean, variance };
}

/** Fraction of rows whose argmax equals the integer label. */
export function accuracy(logits: tf.Tensor, labels: tf.Tensor | number[] | Int32Array): number {
  return tf.tidy(() => {
    const lab =
      labels instanceof tf.Tensor ? tf.cast(labels, 'int32') : tf.tensor1d(Array.from(labels), 'int32');
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), lab), 'float32')).dataSync()[0];
  });
}
