import { tf } from '../engine/tf.js';
import { meanSquaredError, sparseSoftmaxCrossEntropy } from '../engine/ops.js';

/** L_i(prediction, target) -> scalar; built from ops with second-order gradients (see engine/ops.ts). */
export type LossFn = (pred: tf.Tensor, target: tf.Tensor) => tf.Scalar;

/** Names of the task losses; a MetaLearner's `loss` is one of these, a Task's `loss` carries one. */
export type LossName = 'cross-entropy' | 'mse';

/** A task's loss L_i: its name, whether it scores a regression or a classification, and the function. */
export interface TaskLoss {
  readonly name: LossName;
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

/** Each loss by name: the one dispatch that meta-learners (by name) and multi-task training (by kind) share. */
export const LOSSES: Readonly<Record<LossName, TaskLoss>> = {
  'cross-entropy': crossEntropyLoss,
  mse: mseLoss,
};

/** The loss of each kind of task, for learners that pick it from the task (multi-task training). */
export const LOSS_OF_KIND: Readonly<Record<TaskLoss['kind'], TaskLoss>> = {
  classification: crossEntropyLoss,
  regression: mseLoss,
};
