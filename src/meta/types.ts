import type { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import type { Params } from '../nn/params.js';
import type { LabelledSet, SupportQuery } from '../tasks/types.js';
import type { LossName } from '../tasks/losses.js';

/**
 * A Gaussian predictive distribution of regression targets: its mean and std ([n, d], moment-matched
 * when it is a mixture), and the mixture's components when there are several (K latent samples of a
 * neural process: means and stds [K, n, d], equal weights), from which NLL and interval coverage are
 * computed exactly.
 */
export interface GaussianPredictive {
  kind: 'gaussian';
  mean: tf.Tensor;
  std: tf.Tensor;
  components?: { means: tf.Tensor; stds: tf.Tensor };
}

/** A categorical predictive distribution: class probabilities [n, ways]. */
export interface CategoricalPredictive {
  kind: 'categorical';
  probs: tf.Tensor;
}

/** What predictDistribution returns: p(y* | x*, D_tr, theta) for a regression or a classification learner. */
export type PredictiveDistribution = GaussianPredictive | CategoricalPredictive;

/** The three families of meta-learners: black-box, optimisation-based, metric. */
export type LearnerFamily = 'black-box' | 'optimization' | 'metric';

/**
 * Where meta-training is: step (1-based) of steps. Learners whose meta-gradient is annealed over training
 * (MAML++) read it; the training loop passes it to every metaGrads call.
 */
export interface TrainProgress {
  step: number;
  steps: number;
}

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
   * The predictive distribution at x under phi, for learners that have one (the probabilistic view:
   * phi is a posterior, and predict gives its point summary). Optional; classifiers without it are
   * scored on softmax(predict).
   */
  predictDistribution?(theta: Params, phi: Phi, x: tf.Tensor): PredictiveDistribution;
  /**
   * The predictive distribution of an episode's queries, for learners whose episodeOutputs see support
   * and query together; defaults to predictDistribution(adapt(support), query.x).
   */
  episodePredictive?(theta: Params, episode: SupportQuery): PredictiveDistribution;
  /**
   * Query predictions of a whole episode. Defaults to predict(adapt(support), query.x); learners that
   * see support and query together (a joint batch-norm pass, a sequence model) override it.
   */
  episodeOutputs?(theta: Params, episode: SupportQuery): tf.Tensor;
  /**
   * Meta-gradient over a meta-batch and its mean query loss. Defaults to the gradient of the mean
   * query loss; Reptile, which is not the gradient of a loss, overrides it.
   */
  metaGrads?(
    theta: Params,
    episodes: SupportQuery[],
    progress?: TrainProgress,
  ): { loss: number; grads: Params };
  /**
   * Which theta entries are running statistics rather than trained params (MAML++'s per-step batch-norm
   * statistics). For them, metaGrads's `grads` holds their new values (the meta-batch mean of each
   * episode's update, which worker threads average as they average gradients), and the training loop
   * assigns those instead of taking an optimiser step. Absent: every entry is trained.
   */
  isRunningStat?(key: string): boolean;
  /**
   * Logits at every step of labelled sequences read with each label one step late (Santoro et al.
   * 2016): step t sees x_t and the label of step t - 1, so its output predicts x_t's class before that
   * label is shown. x [B, T, ...] and labels int [B, T] -> logits [B, T, ways]. Only sequence learners
   * (mann-memory) have it; `evaluatePresentations` uses it.
   */
  sequenceLogits?(theta: Params, x: tf.Tensor, labels: tf.Tensor): tf.Tensor;
  /** Task loss L_i on outputs and targets: cross-entropy for classification, MSE for regression. */
  readonly loss: LossName;
}
