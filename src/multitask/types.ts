import type { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import type { Ctx } from '../nn/module.js';
import type { Params } from '../nn/params.js';

/** What a task predicts: a class, or real-valued targets. */
export type TaskKind = 'classification' | 'regression';

/**
 * Rows of one task, row-major. Classification stores class indices (0..outDim-1) in `y`, one per row;
 * regression stores `outDim` targets per row.
 */
export interface TaskRows {
  readonly n: number;
  /** [n, inputDim] */
  readonly x: Float32Array;
  /** [n] class indices, or [n, outDim] targets */
  readonly y: Float32Array;
}

/** T_i with its own held-out rows: what multi-task training and the transfer report consume. */
export interface MultiTaskTask {
  readonly id: string;
  readonly kind: TaskKind;
  /** Number of classes, or of regression targets. */
  readonly outDim: number;
  /** z_i: one-hot index, metadata or an embedded specification; all tasks of a set share its length. */
  readonly descriptor: Float32Array;
  readonly train: TaskRows;
  readonly test: TaskRows;
}

/** A set of tasks with shared inputs, each with train and test rows. */
export interface MultiTaskSet {
  readonly name: string;
  /** Length of one flattened input row. */
  readonly inputDim: number;
  readonly tasks: readonly MultiTaskTask[];
  /**
   * Regression targets are trained standardised; the report multiplies squared errors by scale^2 so
   * MSE reads in the target's own units (e.g. UPDRS points squared).
   */
  readonly targetScale?: number;
  /** Name of the target for reports, e.g. 'motor_UPDRS'. */
  readonly targetName?: string;
}

/** A contiguous run of rows of one task inside a multi-task batch. */
export interface Segment {
  readonly task: number;
  readonly start: number;
  readonly size: number;
}

/**
 * The input of every conditioning architecture: rows of several tasks stacked, grouped by task.
 * `z` repeats each row's task descriptor, so descriptor-conditioned layers are plain row-wise ops;
 * `segments` gives the task index of each row range, which heads, gates and task columns need.
 */
export interface MultiTaskInput {
  /** [n, inputDim] */
  readonly x: tf.Tensor;
  /** [n, descriptorDim] */
  readonly z: tf.Tensor;
  readonly segments: readonly Segment[];
}

/** Sizes every architecture is built from. */
export interface ArchSpec {
  readonly inputDim: number;
  readonly descriptorDim: number;
  /** Output width of each task (classes or targets); its length is the number of tasks. */
  readonly outDims: readonly number[];
  /** Widths of the hidden layers (default [64, 64]). */
  readonly hidden?: readonly number[];
}

/** Who a parameter belongs to: every task's loss may reach it ('shared'), or only task t's. */
export type Owner = 'shared' | number;

/**
 * A network conditioned on the task. One interface for every architecture: `apply(params, input, ctx)`
 * maps a batch of rows from several tasks to one output tensor per segment, [size, outDims[task]].
 * Task-specific parameters theta_i and shared theta_sh live in one flat Params record; `owner` tells
 * them apart (PCGrad projects only shared gradients; soft sharing ties task copies together).
 */
export interface MultiTaskNet {
  readonly name: string;
  readonly numTasks: number;
  readonly spec: Required<ArchSpec>;
  init(rng: Rng): Params;
  apply(params: Params, input: MultiTaskInput, ctx?: Ctx): tf.Tensor[];
  owner(key: string): Owner;
  /** Keys of the last layer that all tasks share: GradNorm balances gradient norms there. */
  readonly lastShared: readonly string[];
  /** A regulariser of the parameters added to the training loss (soft sharing, sluice orthogonality). */
  penalty?(params: Params): tf.Scalar | null;
  /**
   * Called by the trainer after every optimiser step with that step's tasks and unweighted losses, for
   * parts that learn outside backpropagation (a routing network's router).
   */
  observe?(o: StepObservation): void;
}

/** What a training step tells an architecture's observe hook. */
export interface StepObservation {
  readonly step: number;
  readonly tasks: readonly number[];
  readonly losses: readonly number[];
}
