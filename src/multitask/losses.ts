import type { tf } from '../engine/tf.js';
import { meanSquaredError, sparseSoftmaxCrossEntropy } from '../engine/ops.js';
import type { TaskKind } from './types.js';

/** L_i by task kind: softmax cross-entropy on class indices, or mean squared error on targets. */
export function multiTaskLoss(kind: TaskKind, out: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return kind === 'classification' ? sparseSoftmaxCrossEntropy(out, target) : meanSquaredError(out, target);
}
