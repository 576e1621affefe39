import { tf } from '../../engine/tf.js';
import { oneHotF32 } from '../../engine/onehot.js';
import type { Module } from '../../nn/module.js';
import { TRAIN } from '../../nn/module.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import type { MetaLearner } from '../types.js';
import type { SupportQuery, LabelledSet } from '../../tasks/types.js';

/** Options of protoNet. */
export interface ProtoNetOptions {
  /** Embedding network f_theta (e.g. conv4()). Its params live under `embed.`. */
  embed: Module;
  /** Number of classes per episode (prototypes are built for labels 0..ways-1). */
  ways: number;
}

/** A prototypical network's adapted state: one prototype per class. */
export interface Prototypes {
  prototypes: tf.Tensor; // [ways, d]
}

/** Class means of support embeddings: onehot(y)^T E / counts. */
export function classMeans(emb: tf.Tensor, y: tf.Tensor, ways: number): tf.Tensor {
  return tf.tidy(() => {
    const oh = oneHotF32(y, ways); // [n, ways]
    const sums = tf.matMul(oh, emb, true, false); // [ways, d]
    const counts = tf.sum(oh, 0);
    return tf.div(sums, tf.maximum(tf.reshape(counts, [ways, 1]), 1));
  });
}

/** -||q - p||^2 for every query/prototype pair, as an explicit sum of squared differences. */
export function negSquaredDistances(q: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.sum(tf.square(tf.sub(tf.expandDims(q, 1), tf.expandDims(p, 0))), -1)));
}

/**
 * Prototypical networks (Snell et al. 2017): phi is the set of class prototypes; logits are negative
 * squared Euclidean distances. Support and query go through the network in one batch, so transductive
 * batch norm sees the whole episode (as in the peer benchmark).
 */
export function protoNet(opts: ProtoNetOptions): MetaLearner<Prototypes> {
  const { embed, ways } = opts;
  const embedAll = (theta: Params, x: tf.Tensor) => embed.apply(subParams(theta, 'embed'), x, TRAIN);
  return {
    name: 'protonet',
    family: 'metric',
    loss: 'cross-entropy',
    init: (rng) => withPrefix('embed', embed.init(rng)),
    adapt: (theta, support: LabelledSet) =>
      tf.tidy(() => ({ prototypes: classMeans(embedAll(theta, support.x), support.y, ways) })) as Prototypes,
    predict: (theta, phi, x) => tf.tidy(() => negSquaredDistances(embedAll(theta, x), phi.prototypes)),
    disposePhi: (phi) => phi.prototypes.dispose(),
    episodeOutputs: (theta, ep: SupportQuery) =>
      tf.tidy(() => {
        const ns = ep.support.x.shape[0];
        const emb = embedAll(theta, tf.concat([ep.support.x, ep.query.x], 0));
        const es = tf.slice(emb, [0, 0], [ns, -1]);
        const eq = tf.slice(emb, [ns, 0], [-1, -1]);
        return negSquaredDistances(eq, classMeans(es, ep.support.y, ways));
      }),
  };
}
