import { tf } from '../../engine/tf.js';
import { sparseSoftmaxCrossEntropy } from '../../engine/ops.js';
import { positiveInt } from '../../nn/module.js';
import { lstm, lstmScan } from '../../nn/lstm.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import type { MetaLearner } from '../types.js';
import type { SupportQuery, LabelledSet } from '../../tasks/types.js';
import {
  type EncoderOptions,
  batchedMetaGrads,
  checkWays,
  labelOneHot,
  makeEncoder,
  repeatRows,
} from './shared.js';

/** Options of mann. */
export interface MannOptions extends EncoderOptions {
  /** Classes per episode (N); also the second LSTM's size, whose output is the logits. */
  ways: number;
  /** Units of the first LSTM (default 128). */
  hidden?: number;
  name?: string;
}

/** phi: the memory after reading the support set, the final states of both LSTMs ([1, hidden], [1, ways]). */
export type MannMemory = {
  h1: tf.Tensor;
  c1: tf.Tensor;
  h2: tf.Tensor;
  c2: tf.Tensor;
};

/** A memory-augmented network (Santoro et al. 2016) as a MetaLearner. */
export type MannLearner = MetaLearner<MannMemory> & {
  /** Items as the LSTM reads them (see mannItems), for the episodes of one shape. */
  items(theta: Params, episodes: SupportQuery[]): { support: tf.Tensor; query: tf.Tensor };
};

/**
 * The sequence items, after Santoro et al. 2016 but with each support item's label beside its own
 * features rather than one step later: each support item is its features followed by the one-hot label,
 * each query item its features followed by `ways` zeros. es [B, ns, d], ys int [B, ns], eq [B, nq, d]
 * -> support [B, ns, d + ways], query [B, nq, d + ways].
 */
export function mannItems(
  es: tf.Tensor,
  ys: tf.Tensor,
  eq: tf.Tensor,
  ways: number,
): { support: tf.Tensor; query: tf.Tensor } {
  return tf.tidy(() => {
    const [b, ns] = es.shape as [number, number];
    const nq = eq.shape[1] as number;
    const oh = tf.reshape(labelOneHot(tf.reshape(ys, [b * ns]), ways, 'mann'), [b, ns, ways]);
    return {
      support: tf.concat([es, oh], 2),
      query: tf.concat([eq, tf.zeros([b, nq, ways])], 2),
    };
  });
}

/**
 * A memory-augmented black-box learner after Santoro et al. 2016 (MANN), with LSTM memory: an LSTM
 * (hidden units) and a second LSTM (`ways` units) read the labelled support items in order; the second
 * LSTM's hidden output at a query item is that query's logits. Zero initial state.
 *
 * Query feeding: every query is read as one more step from the memory left by the support set, on its
 * own, instead of one sequence of all the queries after the support. Then no query sees another
 * (nor their order, nor how many there are), phi is exactly that memory, and predict(x) on any batch
 * of inputs is the same computation as training and evaluation. The same rule holds everywhere:
 * adapt/predict, episodeOutputs and the batched metaGrads.
 *
 * metaGrads stacks the whole meta-batch (per group of same-shaped episodes) into one batch of
 * sequences: one LSTM pass of B sequences over the support, then one step for all B * nq queries.
 * Params: encoder.* (conv4 or custom encoders only), lstm1.{wx,wh,b}, lstm2.{wx,wh,b}.
 */
export function mann(opts: MannOptions): MannLearner {
  const who = 'mann';
  const ways = checkWays(opts.ways, who);
  const hidden = positiveInt(opts.hidden ?? 128, 'hidden', who);
  const enc = makeEncoder(opts, 'flat', who);
  const itemDim = enc.dim + ways;
  const l1 = lstm(itemDim, hidden);
  const l2 = lstm(hidden, ways);

  /** Memory after the support items [B, ns, itemDim]. */
  const readSupport = (theta: Params, support: tf.Tensor): MannMemory =>
    tf.tidy(() => {
      const a = lstmScan(subParams(theta, 'lstm1'), support);
      const b = lstmScan(subParams(theta, 'lstm2'), a.outputs);
      return { h1: a.h, c1: a.c, h2: b.h, c2: b.c };
    });

  /** Logits of query items [B, nq, itemDim] from memory of batch B: [B * nq, ways], episode-major. */
  const readQueries = (theta: Params, m: MannMemory, query: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const [b, nq] = query.shape;
      const r = (t: tf.Tensor) => repeatRows(t, nq);
      const steps = tf.reshape(query, [b * nq, 1, itemDim]);
      const a = lstmScan(subParams(theta, 'lstm1'), steps, r(m.h1), r(m.c1));
      return lstmScan(subParams(theta, 'lstm2'), a.outputs, r(m.h2), r(m.c2)).h;
    });

  const items = (theta: Params, eps: SupportQuery[]) =>
    tf.tidy(() => {
      const { es, eq } = enc.encodeEpisodes(theta, eps);
      return mannItems(es, tf.stack(eps.map((e) => e.support.y)), eq, ways);
    });

  const groupLogits = (theta: Params, eps: SupportQuery[]) =>
    tf.tidy(() => {
      const it = items(theta, eps);
      return readQueries(theta, readSupport(theta, it.support), it.query);
    });

  return {
    name: opts.name ?? 'mann',
    family: 'black-box',
    loss: 'cross-entropy',
    init: (rng) => ({
      ...enc.init(rng),
      ...withPrefix('lstm1', l1.init(rng)),
      ...withPrefix('lstm2', l2.init(rng)),
    }),
    items,
    adapt: (theta, support: LabelledSet) =>
      tf.tidy(() => {
        const e = tf.expandDims(enc.encode(theta, support.x), 0);
        const oh = tf.expandDims(labelOneHot(support.y, ways, who), 0);
        return readSupport(theta, tf.concat([e, oh], 2));
      }) as MannMemory,
    predict: (theta, phi, x) =>
      tf.tidy(() => {
        const e = enc.encode(theta, x);
        const q = tf.expandDims(tf.concat([e, tf.zeros([e.shape[0], ways])], 1), 0);
        return readQueries(theta, phi, q);
      }),
    disposePhi: (phi) => tf.dispose([phi.h1, phi.c1, phi.h2, phi.c2]),
    episodeOutputs: (theta, ep) => groupLogits(theta, [ep]),
    metaGrads: (theta, episodes) =>
      batchedMetaGrads(who, theta, episodes, (p, g) =>
        tf.tidy(() => {
          const yq = tf.reshape(tf.stack(g.map((e) => e.query.y)), [-1]);
          return sparseSoftmaxCrossEntropy(groupLogits(p, g), yq);
        }),
      ),
  };
}
