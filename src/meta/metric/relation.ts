import { tf } from '../../engine/tf.js';
import { oneHotF32 } from '../../engine/onehot.js';
import { type Module, TRAIN, childCtx, expectShape, positiveInt, where } from '../../nn/module.js';
import { batchNorm, conv2d, dense, flatten, maxPool2d } from '../../nn/layers.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import { meanLossGrads } from '../common.js';
import type { MetaLearner } from '../types.js';
import type { LabelledSet, SupportQuery } from '../../tasks/types.js';

/** Options of relationNet. */
export interface RelationNetOptions {
  /** N of N-way episodes (the class feature maps are built for labels 0..ways-1). */
  ways: number;
  /** Channels of an example, the last axis of [h, w, c] input. */
  inChannels?: number;
  /** Filters of every conv block, embedding and relation module (64 in the paper). */
  hidden?: number;
  /** Units of the relation module's hidden dense layer (8 in the paper). */
  relationUnits?: number;
}

/** A relation network's adapted state: one summed feature map per class, [ways, h, w, c]. */
export interface ClassFeatures {
  features: tf.Tensor;
}

/** [conv 3x3 same, batch norm, ReLU] then a 2x2 max-pool when `pool`: the blocks of Sung et al. 2018. */
function convBlocks(inC: number, hidden: number, pools: boolean[], who: string): Module {
  const convs = pools.map((_, i) => conv2d(i === 0 ? inC : hidden, hidden, 3));
  const bns = pools.map(() => batchNorm(hidden));
  return {
    name: who,
    init: (rng) => {
      let p: Params = {};
      pools.forEach((_, i) => {
        p = {
          ...p,
          ...withPrefix(`block${i}.conv`, convs[i].init(rng)),
          ...withPrefix(`block${i}.bn`, bns[i].init(rng)),
        };
      });
      return p;
    },
    apply: (p, x, ctx) => {
      expectShape(x, [null, null, null, inC], where(ctx, who));
      return tf.tidy(() => {
        let h = x;
        pools.forEach((pool, i) => {
          const c = childCtx(ctx, `block${i}`);
          h = convs[i].apply(subParams(p, `block${i}.conv`), h, childCtx(c, 'conv'));
          h = tf.relu(bns[i].apply(subParams(p, `block${i}.bn`), h, childCtx(c, 'bn')));
          if (pool) h = maxPool2d(h, 2);
        });
        return h;
      });
    },
  };
}

/**
 * Relation networks (Sung et al. 2018). The embedding is four conv blocks, the first two max-pooled
 * (28x28 -> 7x7 feature maps); a class's feature map is the sum of its support maps (the paper's K-shot
 * rule); every (query, class) pair of maps is concatenated on channels and scored in (0, 1) by a learned
 * relation module: two pooled conv blocks, dense `relationUnits` + ReLU, dense 1 + sigmoid. Trained as the
 * paper does, by mean squared error of the scores against one-hot labels (metaGrads); the scores are the
 * outputs, so accuracy is their argmax. Support and query share one pass through the embedding
 * (transductive batch norm, as protoNet). Inputs must be at least 16x16 (two pools, then two more).
 */
export function relationNet(opts: RelationNetOptions): MetaLearner<ClassFeatures> {
  const ways = positiveInt(opts.ways, 'ways', 'relationNet');
  const inC = positiveInt(opts.inChannels ?? 1, 'inChannels', 'relationNet');
  const hidden = positiveInt(opts.hidden ?? 64, 'hidden', 'relationNet');
  const units = positiveInt(opts.relationUnits ?? 8, 'relationUnits', 'relationNet');
  const embed = convBlocks(inC, hidden, [true, true, false, false], 'relationNet embedding');
  const relConv = convBlocks(2 * hidden, hidden, [true, true], 'relationNet relation module');
  const fc1 = dense(hidden, units);
  const fc2 = dense(units, 1);

  const embedAll = (theta: Params, x: tf.Tensor) => {
    const [, h, w] = x.shape as number[];
    if (h < 16 || w < 16)
      throw new Error(
        `relationNet: inputs must be at least 16x16 (four 2x2 pools), got [${x.shape.join(', ')}]`,
      );
    return embed.apply(subParams(theta, 'embed'), x, TRAIN);
  };
  /** Sum of the support maps of each class: onehot(y)^T F. */
  const classSums = (f: tf.Tensor, y: tf.Tensor) =>
    tf.tidy(() => {
      const [n, h, w, c] = f.shape as number[];
      const sums = tf.matMul(oneHotF32(y, ways), tf.reshape(f, [n, h * w * c]), true, false);
      return tf.reshape(sums, [ways, h, w, c]);
    });
  /** Relation scores [nq, ways] of query maps [nq, h, w, c] against class maps [ways, h, w, c]. */
  const scores = (theta: Params, q: tf.Tensor, classes: tf.Tensor) =>
    tf.tidy(() => {
      const [nq, h, w, c] = q.shape as number[];
      // Tiled as rank-3 tensors: tfjs has no gradient for tiling rank 5.
      const d = h * w * c;
      const qq = tf.tile(tf.reshape(q, [nq, 1, d]), [1, ways, 1]);
      const cc = tf.tile(tf.reshape(classes, [1, ways, d]), [nq, 1, 1]);
      const shape = [nq * ways, h, w, c];
      const pairs = tf.concat([tf.reshape(cc, shape), tf.reshape(qq, shape)], -1);
      let r = relConv.apply(subParams(theta, 'relation.conv'), pairs, TRAIN);
      // Average what is left of the map (1x1 on 28x28 input; larger inputs keep a few cells).
      r = flatten(tf.mean(r, [1, 2], true));
      r = tf.relu(fc1.apply(subParams(theta, 'relation.fc1'), r));
      r = tf.sigmoid(fc2.apply(subParams(theta, 'relation.fc2'), r));
      return tf.reshape(r, [nq, ways]);
    });
  const outputs = (theta: Params, ep: SupportQuery) =>
    tf.tidy(() => {
      const ns = ep.support.x.shape[0];
      const f = embedAll(theta, tf.concat([ep.support.x, ep.query.x], 0));
      const fs = tf.slice(f, [0, 0, 0, 0], [ns, -1, -1, -1]);
      const fq = tf.slice(f, [ns, 0, 0, 0], [-1, -1, -1, -1]);
      return scores(theta, fq, classSums(fs, ep.support.y));
    });

  return {
    name: 'relation',
    family: 'metric',
    // Outputs are scores to take the argmax of, so evaluation reports accuracy; training uses MSE below.
    loss: 'cross-entropy',
    init: (rng) => ({
      ...withPrefix('embed', embed.init(rng)),
      ...withPrefix('relation.conv', relConv.init(rng)),
      ...withPrefix('relation.fc1', fc1.init(rng)),
      ...withPrefix('relation.fc2', fc2.init(rng)),
    }),
    adapt: (theta, support: LabelledSet) =>
      tf.tidy(() => ({ features: classSums(embedAll(theta, support.x), support.y) })) as ClassFeatures,
    predict: (theta, phi, x) => tf.tidy(() => scores(theta, embedAll(theta, x), phi.features)),
    disposePhi: (phi) => phi.features.dispose(),
    episodeOutputs: outputs,
    // Sung et al. 2018 regress the scores on one-hot labels (MSE), not cross-entropy.
    metaGrads: (theta, episodes) =>
      meanLossGrads('relation', theta, episodes, (p, ep) =>
        tf.tidy(() => tf.mean(tf.square(tf.sub(outputs(p, ep), oneHotF32(ep.query.y, ways)))) as tf.Scalar),
      ),
  };
}
