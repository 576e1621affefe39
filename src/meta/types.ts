import type { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import type { Params } from '../nn/params.js';

/** Inputs and targets of one set: class labels as int32 [n], or regression targets as float32 [n, d]. */
export interface LabelledSet {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** What a meta-learner needs of an episode D_i = (D_i^tr, D_i^ts). Structurally matches tasks' Episode. */
export interface EpisodeData {
  support: LabelledSet;
  query: LabelledSet;
}

export type LearnerFamily = 'black-box' | 'optimization' | 'metric';

/**
 * One interface for every meta-learner, black-box, optimisation-based and metric alike (one frame for
 * all three as in Gordon et al. 2019, ML-PIP): adaptation computes phi_i = f_theta(D_i^tr), prediction
 * uses phi_i on new inputs. theta is a flat Params record.
 */
export interface MetaLearner<Phi = unknown> {
  readonly name: string;
  readonly family: LearnerFamily;
  /** Meta-parameters theta. */
  init(rng: Rng): Params;
  /** phi_i = f_theta(D_i^tr): fine-tuned weights, prototypes, or an activation/memory state. */
  adapt(theta: Params, support: LabelledSet): Phi;
  /** Predictions (logits, or regression outputs) for x under phi. */
  predict(theta: Params, phi: Phi, x: tf.Tensor): tf.Tensor;
  disposePhi(phi: Phi): void;
  /**
   * Query predictions of a whole episode. Defaults to predict(adapt(support), query.x); learners that
   * see support and query together (a joint batch-norm pass, a sequence model) override it.
   */
  episodeOutputs?(theta: Params, episode: EpisodeData): tf.Tensor;
  /**
   * Meta-gradient over a meta-batch and its mean query loss. Defaults to the gradient of the mean
   * query loss; Reptile, which is not the gradient of a loss, overrides it.
   */
  metaGrads?(theta: Params, episodes: EpisodeData[]): { loss: number; grads: Params };
  /** Task loss L_i on outputs and targets: cross-entropy for classification, MSE for regression. */
  readonly loss: TaskLoss;
}

export type TaskLoss = 'cross-entropy' | 'mse';
