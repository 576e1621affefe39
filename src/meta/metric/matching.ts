import { tf } from '../../engine/tf.js';
import { oneHotF32 } from '../../engine/onehot.js';
import type { Module } from '../../nn/module.js';
import { TRAIN } from '../../nn/module.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import type { MetaLearner } from '../types.js';
import type { SupportQuery } from '../../tasks/types.js';

/** Options of matchingNet. */
export interface MatchingNetOptions {
  embed: Module;
  ways: number;
  /**
   * Multiplies cosine similarities before the softmax over the support set. Cosines lie in [-1, 1], so
   * without a scale the attention over a handful of examples stays nearly uniform. Default 10.
   */
  scale?: number;
}

/** A matching network's adapted state: normalised support embeddings and their one-hot labels. */
export interface SupportMemory {
  keys: tf.Tensor; // normalised support embeddings [n, d]
  labels: tf.Tensor; // one-hot [n, ways]
}

function l2normalise(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-8))));
}

/**
 * Matching networks (Vinyals et al. 2016) without full-context embeddings: phi is the embedded support
 * set; a query's class distribution is the cosine-attention-weighted sum of support labels. Outputs
 * are log-probabilities, so cross-entropy on them is the paper's loss.
 */
export function matchingNet(opts: MatchingNetOptions): MetaLearner<SupportMemory> {
  const { embed, ways } = opts;
  const scale = opts.scale ?? 10;
  const emb = (theta: Params, x: tf.Tensor) => embed.apply(subParams(theta, 'embed'), x, TRAIN);
  const attend = (q: tf.Tensor, keys: tf.Tensor, labels: tf.Tensor) =>
    tf.tidy(() => {
      const a = tf.softmax(tf.mul(tf.matMul(l2normalise(q), keys, false, true), scale)); // [nq, ns]
      return tf.log(tf.add(tf.matMul(a, labels), 1e-8));
    });
  return {
    name: 'matching',
    family: 'metric',
    loss: 'cross-entropy',
    init: (rng) => withPrefix('embed', embed.init(rng)),
    adapt: (theta, support) =>
      tf.tidy(() => ({
        keys: l2normalise(emb(theta, support.x)),
        labels: oneHotF32(support.y, ways),
      })) as SupportMemory,
    // In a tidy: the query embedding is an intermediate too (it leaked once per call).
    predict: (theta, phi, x) => tf.tidy(() => attend(emb(theta, x), phi.keys, phi.labels)),
    disposePhi: (phi) => tf.dispose([phi.keys, phi.labels]),
    episodeOutputs: (theta, ep: SupportQuery) =>
      tf.tidy(() => {
        const ns = ep.support.x.shape[0];
        const e = emb(theta, tf.concat([ep.support.x, ep.query.x], 0));
        const keys = l2normalise(tf.slice(e, [0, 0], [ns, -1]));
        return attend(tf.slice(e, [ns, 0], [-1, -1]), keys, oneHotF32(ep.support.y, ways));
      }),
  };
}
