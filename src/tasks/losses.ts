import { tf } from '../engine/tf.js';
import { meanSquaredError, sparseSoftmaxCrossEntropy } from '../engine/ops.js';

/** L_i(prediction, target) -> scalar; built from ops with second-order gradients (see engine/ops.ts). */
export type LossFn = (pred: tf.Tensor, target: tf.Tensor) => tf.Scalar;

export interface TaskLoss {
  readonly name: string;
  readonly kind: 'regression' | 'classification';
  readonly fn: LossFn;
}

/** Mean squared error over every element. */
export const mseLoss: TaskLoss = { name: 'mse', kind: 'regression', fn: meanSquaredError };

/** Mean softmax cross-entropy of logits [n, classes] against integer labels [n]. */
export const crossEntropyLoss: TaskLoss = {
  name: 'cross-entropy',
  kind: 'classification',
  fn: (logits, labels) => sparseSoftmaxCrossEntropy(logits, labels),
};
