import { tf } from '../../engine/tf.js';
import { oneHotF32 } from '../../engine/onehot.js';
import { solveSpd } from '../../engine/linalg.js';
import { type Module, TRAIN, positiveInt } from '../../nn/module.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import type { MetaLearner } from '../types.js';
import type { LabelledSet, SupportQuery } from '../../tasks/types.js';

/** Options of r2d2. */
export interface R2d2Options {
  /** Embedding network (e.g. conv4()); its params live under `embed.`. */
  embed: Module;
  ways: number;
  /** Initial ridge lambda (learned, as log lambda under `head.logLambda`). Default 1. */
  lambda?: number;
  /** Initial logit scale alpha (learned, as log alpha under `head.logScale`). Default 10. */
  scale?: number;
}

/** R2D2's adapted state: the ridge weights of the support set, [d + 1, ways] (last row: the bias). */
export interface RidgeWeights {
  w: tf.Tensor;
}

/**
 * Ridge weights W = argmin ||X W - Y||^2 + lambda ||W||^2 of features X [n, d] onto targets Y [n, m]:
 * W = X^T (X X^T + lambda I_n)^-1 Y (the Woodbury form, an n x n solve) when n < d, else
 * (X^T X + lambda I_d)^-1 X^T Y. Both are one differentiable solveSpd, so gradients reach X and lambda.
 */
export function ridgeWeights(x: tf.Tensor, y: tf.Tensor, lambda: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [n, d] = x.shape as number[];
    if (n < d) {
      const k = tf.add(tf.matMul(x, x, false, true), tf.mul(tf.eye(n), lambda));
      return tf.matMul(x, solveSpd(k, y), true, false);
    }
    const g = tf.add(tf.matMul(x, x, true, false), tf.mul(tf.eye(d), lambda));
    return solveSpd(g, tf.matMul(x, y, true, false));
  });
}

/**
 * R2D2 (Bertinetto et al. 2019): a closed-form ridge-regression head on embeddings, solved per episode
 * and differentiated through, so the embedding is meta-learned for it. Support features get a column of
 * ones (the head's bias); targets are one-hot labels; query logits are alpha X_q W + beta with learned
 * alpha, beta and lambda (kept positive as logs). The paper's beta is kept although a shared offset
 * cancels in softmax cross-entropy (its gradient is zero there). Support and query share one pass through
 * the embedding (transductive batch norm, as protoNet). The initial alpha and lambda are choices made
 * here, not the paper's. MetaOptNet's SVM head (Lee et al. 2019) is not included: it needs a
 * differentiable QP solver.
 */
export function r2d2(opts: R2d2Options): MetaLearner<RidgeWeights> {
  const ways = positiveInt(opts.ways, 'ways', 'r2d2');
  const lambda0 = opts.lambda ?? 1;
  const scale0 = opts.scale ?? 10;
  if (!(lambda0 > 0)) throw new Error(`r2d2: option 'lambda' must be a positive number, got ${lambda0}`);
  if (!(scale0 > 0)) throw new Error(`r2d2: option 'scale' must be a positive number, got ${scale0}`);
  const embed = opts.embed;
  const features = (theta: Params, x: tf.Tensor) =>
    tf.tidy(() => {
      const f = embed.apply(subParams(theta, 'embed'), x, TRAIN);
      return tf.concat([f, tf.ones([f.shape[0], 1])], 1);
    });
  const fit = (theta: Params, fs: tf.Tensor, y: tf.Tensor) =>
    ridgeWeights(fs, oneHotF32(y, ways), tf.exp(theta['head.logLambda']));
  const logits = (theta: Params, fq: tf.Tensor, w: tf.Tensor) =>
    tf.tidy(() => tf.add(tf.mul(tf.matMul(fq, w), tf.exp(theta['head.logScale'])), theta['head.bias']));

  return {
    name: 'r2d2',
    family: 'optimization',
    loss: 'cross-entropy',
    init: (rng) => ({
      ...withPrefix('embed', embed.init(rng)),
      'head.logLambda': tf.scalar(Math.log(lambda0)),
      'head.logScale': tf.scalar(Math.log(scale0)),
      'head.bias': tf.scalar(0),
    }),
    adapt: (theta, support: LabelledSet) =>
      tf.tidy(() => ({ w: fit(theta, features(theta, support.x), support.y) })) as RidgeWeights,
    predict: (theta, phi, x) => tf.tidy(() => logits(theta, features(theta, x), phi.w)),
    disposePhi: (phi) => phi.w.dispose(),
    episodeOutputs: (theta, ep: SupportQuery) =>
      tf.tidy(() => {
        const ns = ep.support.x.shape[0];
        const f = features(theta, tf.concat([ep.support.x, ep.query.x], 0));
        const fs = tf.slice(f, [0, 0], [ns, -1]);
        const fq = tf.slice(f, [ns, 0], [-1, -1]);
        return logits(theta, fq, fit(theta, fs, ep.support.y));
      }),
  };
}
