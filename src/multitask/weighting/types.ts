import type { tf } from '../../engine/tf.js';
import type { Rng } from '../../engine/rng.js';
import type { Params } from '../../nn/params.js';
import type { TaskKind } from '../types.js';

/** Keys of a strategy's own learnable tensors start with this, so they never collide with a model's. */
export const WEIGHTING_PREFIX = 'weighting.';

/** The losses of one mini-batch of the step's tasks (see LossOracle.samples). */
export interface SampleLosses {
  /** Per-segment losses from one forward pass over every row of this batch. */
  losses(params: Params): tf.Scalar[];
  /** The loss of segment s from a forward pass over its rows of this batch alone. */
  lossOf(segment: number, params: Params): tf.Scalar;
}

/**
 * What a weighting strategy may ask of the current step, without knowing the architecture: the task of
 * each segment, the per-task losses (one forward pass for all, or one segment alone when it needs
 * per-task gradients), the architecture's regulariser, and which parameters are shared.
 */
export interface LossOracle {
  readonly numTasks: number;
  /** Task index of each segment of this step (distinct tasks). */
  readonly tasks: readonly number[];
  readonly kinds: readonly TaskKind[];
  /** Per-segment losses from one forward pass over every row of the step. */
  losses(params: Params): tf.Scalar[];
  /** The loss of segment s from a forward pass over its rows alone. */
  lossOf(segment: number, params: Params): tf.Scalar;
  /** The architecture's parameter penalty, if any (added unweighted). */
  penalty(params: Params): tf.Scalar | null;
  /** Model parameters (not the strategy's). */
  readonly modelKeys: readonly string[];
  /** Model parameters that more than one task's loss reaches. */
  readonly sharedKeys: readonly string[];
  /** The last layer shared by every task (may be empty, e.g. for independent networks). */
  readonly lastSharedKeys: readonly string[];
  /**
   * Per-segment losses on a second batch of the same tasks, drawn from their training rows
   * independently of this step's rows; present only for a weighting with `needsValidation`
   * (Auto-Lambda's validation loss).
   */
  validationLosses?(params: Params): tf.Scalar[];
  /**
   * The step's independent mini-batches of the same tasks, `samples` of them, present only for a
   * weighting that declares `samples` > 1 (MoDo and SDMGrad need three unbiased gradient estimates per
   * step). samples[0] is the batch of `losses` and `lossOf` above.
   */
  readonly samples?: readonly SampleLosses[];
}

/** Where training is: the step and the total number of steps. */
export interface WeightingStepInfo {
  readonly step: number;
  readonly totalSteps: number;
}

/** What a weighting step returns: gradients, losses and weights of each segment, and the next state. */
export interface WeightingResult<S> {
  /** Gradients of the parameters this step reached (model and strategy); absent keys are left alone. */
  readonly grads: Params;
  /** Unweighted loss of each segment. */
  readonly losses: number[];
  /** Effective weight of each segment's loss. */
  readonly weights: number[];
  readonly state: S;
}

/** A weighting's initial state and learnable tensors. */
export interface WeightingInit<S> {
  readonly state: S;
  /** Learnable tensors of the strategy, keyed under WEIGHTING_PREFIX; trained by the model's optimiser. */
  readonly params: Params;
}

/**
 * A loss-weighting strategy. It turns the step's per-task losses (and, if it needs them, per-task
 * gradients) into one gradient for every parameter. It is a function of (params, oracle, state) that
 * returns the next state, so any strategy composes with any architecture and nothing is inherited.
 */
export interface Weighting<S = unknown> {
  readonly name: string;
  /** Ask the trainer for LossOracle.validationLosses (a second batch every step). */
  readonly needsValidation?: boolean;
  /**
   * Independent mini-batches this weighting needs each step (a positive integer, default 1). With k > 1
   * the trainer draws k batches of the step's tasks, one after another from each task's rows as
   * LibMTL's trainer takes them from its loader, and hands them over as LossOracle.samples; one step
   * then reads k times the rows.
   */
  readonly samples?: number;
  init(ctx: { numTasks: number; kinds: readonly TaskKind[]; rng: Rng }): WeightingInit<S>;
  step(params: Params, oracle: LossOracle, state: S, info: WeightingStepInfo): WeightingResult<S>;
  /**
   * Optional: called after the optimiser has applied the step's gradients, with the updated parameters
   * and the same batch (FAMO learns its weights from the losses after the update). Returns the state.
   */
  afterStep?(params: Params, oracle: LossOracle, state: S, info: WeightingStepInfo): S;
}
