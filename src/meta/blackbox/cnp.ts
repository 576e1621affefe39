import { tf } from '../../engine/tf.js';
import { sparseSoftmaxCrossEntropy } from '../../engine/ops.js';
import { TRAIN, positiveInt } from '../../nn/module.js';
import { mlp } from '../../nn/mlp.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import type { GaussianPredictive, MetaLearner } from '../types.js';
import type { SupportQuery, LabelledSet } from '../../tasks/types.js';
import {
  type EncoderOptions,
  asRows as rowsOf,
  batchedMetaGrads,
  checkWays,
  labelOneHot,
  layerSizes,
  makeEncoder,
  repeatRows,
  stackRegression,
} from './shared.js';

/** phi: the aggregated representation r of the context (support) set, [1, r]. */
export type CnpRepresentation = { r: tf.Tensor };

/**
 * Mean Gaussian negative log-likelihood of targets y under N(mean, std^2), elementwise, averaged over
 * every element: 0.5 log(2 pi) + log std + (y - mean)^2 / (2 std^2).
 */
export function gaussianNll(mean: tf.Tensor, std: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(y, mean), std);
    return tf.add(
      tf.mean(tf.add(tf.log(std), tf.mul(tf.square(z), 0.5))),
      0.5 * Math.log(2 * Math.PI),
    ) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------------
// Regression

/** Options of cnpRegressor. */
export interface CnpRegressorOptions {
  /** Size of one input x (default 1). */
  xDim?: number;
  /** Size of one target y (default 1). */
  yDim?: number;
  /** Layer sizes of the encoder h on each (x, y) pair; the last is the size of r (default [128, 128, 128]). */
  pairEncoder?: number[];
  /** Hidden layer sizes of the decoder g on (x*, r) (default [128, 128]); it outputs a mean and a raw std. */
  decoder?: number[];
  /** std = minStd + (1 - minStd) * softplus(raw): bounded away from 0 so the NLL cannot diverge (default 0.1). */
  minStd?: number;
  /**
   * What metaGrads minimises: 'nll', the Gaussian negative log-likelihood of the query targets (the
   * CNP objective, default), or 'mse' of the predicted mean (the std head then gets no gradient).
   */
  trainLoss?: 'nll' | 'mse';
  name?: string;
}

/** A CNP regressor: a MetaLearner that also gives a predictive mean and standard deviation. */
export type CnpRegressor = Omit<MetaLearner<CnpRepresentation>, 'predictDistribution'> & {
  /** Predictive mean and std at x, both [n, yDim]. */
  predictDistribution(theta: Params, phi: CnpRepresentation, x: tf.Tensor): GaussianPredictive;
};

/**
 * A conditional neural process for regression (Garnelo et al. 2018): r = mean_i h([x_i, y_i]) over the
 * support, then g([x*, r]) gives a Gaussian over y*. `predict` returns the mean, so the learner is
 * evaluated by MSE (its `loss` is 'mse'); training minimises the Gaussian NLL (trainLoss) through its own
 * metaGrads, batched over the meta-batch. Params: pair.fc{i}.{w,b}, decoder.fc{i}.{w,b}.
 */
export function cnpRegressor(opts: CnpRegressorOptions = {}): CnpRegressor {
  const who = 'cnpRegressor';
  const xDim = positiveInt(opts.xDim ?? 1, 'xDim', who);
  const yDim = positiveInt(opts.yDim ?? 1, 'yDim', who);
  const encSizes = layerSizes(opts.pairEncoder, 'pairEncoder', who, [128, 128, 128]);
  const decSizes = layerSizes(opts.decoder, 'decoder', who, [128, 128]);
  const minStd = opts.minStd ?? 0.1;
  if (!(minStd > 0 && minStd < 1))
    throw new Error(`${who}: option 'minStd' must be in (0, 1), got ${minStd}`);
  const trainLoss = opts.trainLoss ?? 'nll';
  if (trainLoss !== 'nll' && trainLoss !== 'mse')
    throw new Error(`${who}: option 'trainLoss' must be 'nll' or 'mse', got '${trainLoss}'`);
  const rDim = encSizes[encSizes.length - 1];
  const h = mlp([xDim + yDim, ...encSizes]);
  const g = mlp([xDim + rDim, ...decSizes, 2 * yDim]);

  const asRows = (t: tf.Tensor, d: number, what: string) => rowsOf(t, d, what, who);

  /** xs [B, ns, xDim], ys [B, ns, yDim] -> r [B, rDim]. */
  const represent = (theta: Params, xs: tf.Tensor, ys: tf.Tensor) =>
    tf.tidy(() => tf.mean(h.apply(subParams(theta, 'pair'), tf.concat([xs, ys], 2), TRAIN), 1));

  /** r [B, rDim], xq [B, nq, xDim] -> mean and std [B, nq, yDim]. */
  const decode = (theta: Params, r: tf.Tensor, xq: tf.Tensor) =>
    tf.tidy(() => {
      const [b, nq] = xq.shape as [number, number];
      const rr = tf.reshape(repeatRows(r, nq), [b, nq, rDim]);
      const out = g.apply(subParams(theta, 'decoder'), tf.concat([xq, rr], 2), TRAIN);
      // Mean and raw std come from separate column blocks of one output; slicing the output (not the
      // weight) keeps g a plain mlp.
      const mean = tf.slice(out, [0, 0, 0], [b, nq, yDim]);
      const raw = tf.slice(out, [0, 0, yDim], [b, nq, yDim]);
      return { mean, std: tf.add(tf.mul(tf.softplus(raw), 1 - minStd), minStd) };
    });

  const stack = (eps: SupportQuery[]) => stackRegression(eps, xDim, yDim, who);

  const predictDistribution = (theta: Params, phi: CnpRepresentation, x: tf.Tensor): GaussianPredictive => {
    const { mean, std } = tf.tidy(() => {
      const d = decode(theta, phi.r, tf.expandDims(asRows(x, xDim, 'x'), 0));
      return { mean: tf.squeeze(d.mean, [0]), std: tf.squeeze(d.std, [0]) };
    });
    return { kind: 'gaussian', mean, std };
  };

  return {
    name: opts.name ?? 'cnp',
    family: 'black-box',
    loss: 'mse',
    predictDistribution,
    init: (rng) => ({ ...withPrefix('pair', h.init(rng)), ...withPrefix('decoder', g.init(rng)) }),
    adapt: (theta, support: LabelledSet) =>
      tf.tidy(() => ({
        r: represent(
          theta,
          tf.expandDims(asRows(support.x, xDim, 'support x'), 0),
          tf.expandDims(asRows(support.y, yDim, 'support y'), 0),
        ),
      })) as CnpRepresentation,
    predict: (theta, phi, x) =>
      tf.tidy(() => {
        const d = predictDistribution(theta, phi, x);
        tf.dispose(d.std);
        return d.mean;
      }),
    disposePhi: (phi) => phi.r.dispose(),
    episodeOutputs: (theta, ep) =>
      tf.tidy(() => {
        const s = stack([ep]);
        return tf.squeeze(decode(theta, represent(theta, s.xs, s.ys), s.xq).mean, [0]);
      }),
    metaGrads: (theta, episodes) =>
      batchedMetaGrads(who, theta, episodes, (p, grp) =>
        tf.tidy(() => {
          const s = stack(grp);
          const d = decode(p, represent(p, s.xs, s.ys), s.xq);
          if (trainLoss === 'mse') return tf.mean(tf.square(tf.sub(d.mean, s.yq))) as tf.Scalar;
          return gaussianNll(d.mean, d.std, s.yq);
        }),
      ),
  };
}

// ---------------------------------------------------------------------------------------------------
// Classification

/** Options of cnpClassifier. */
export interface CnpClassifierOptions extends EncoderOptions {
  /** Classes per episode (N). */
  ways: number;
  /** Layer sizes of h on each [encoded x, one-hot y]; the last is the size of one representation (default [128, 128]). */
  pairEncoder?: number[];
  /** Hidden layer sizes of the decoder on [encoded x*, r]; it outputs `ways` logits (default [128, 128]). */
  decoder?: number[];
  /**
   * 'per-class' (default): r = [r_0, ..., r_{N-1}], each r_c the mean of h over the support examples of
   * class c, concatenated in label order (the CNP paper's classification setting); 'mean': one mean
   * over the whole support set.
   */
  aggregate?: 'per-class' | 'mean';
  name?: string;
}

/**
 * A conditional neural process for N-way classification: the support pairs (encoded x, one-hot y) go
 * through h, are averaged (per class or globally) into r, and the decoder maps [encoded x*, r] to
 * logits. Trained with cross-entropy; metaGrads is batched over the meta-batch. The default encoder
 * is Conv4 with transductive batch norm over each episode's images. Params: encoder.*, pair.fc{i}.*,
 * decoder.fc{i}.*.
 */
export function cnpClassifier(opts: CnpClassifierOptions): MetaLearner<CnpRepresentation> {
  const who = 'cnpClassifier';
  const ways = checkWays(opts.ways, who);
  const enc = makeEncoder(opts, 'conv4', who);
  const encSizes = layerSizes(opts.pairEncoder, 'pairEncoder', who, [128, 128]);
  const decSizes = layerSizes(opts.decoder, 'decoder', who, [128, 128]);
  const aggregate = opts.aggregate ?? 'per-class';
  if (aggregate !== 'per-class' && aggregate !== 'mean') {
    throw new Error(`${who}: option 'aggregate' must be 'per-class' or 'mean', got '${aggregate}'`);
  }
  const unit = encSizes[encSizes.length - 1];
  const rDim = aggregate === 'per-class' ? ways * unit : unit;
  const h = mlp([enc.dim + ways, ...encSizes]);
  const g = mlp([enc.dim + rDim, ...decSizes, ways]);

  /** es [B, ns, d], ys int [B, ns] -> r [B, rDim]. */
  const represent = (theta: Params, es: tf.Tensor, ys: tf.Tensor) =>
    tf.tidy(() => {
      const [b, ns] = es.shape as [number, number];
      const oh = tf.reshape(labelOneHot(tf.reshape(ys, [b * ns]), ways, who), [b, ns, ways]);
      const hs = h.apply(subParams(theta, 'pair'), tf.concat([es, oh], 2), TRAIN); // [B, ns, unit]
      if (aggregate === 'mean') return tf.mean(hs, 1);
      // Class means as onehot^T hs / counts; the transpose is explicit (wasm's transposed matmul is slow).
      const sums = tf.matMul(tf.transpose(oh, [0, 2, 1]), hs); // [B, ways, unit]
      const counts = tf.maximum(tf.sum(oh, 1), 1); // [B, ways]; a class absent from the support gets r_c = 0
      return tf.reshape(tf.div(sums, tf.expandDims(counts, 2)), [b, ways * unit]);
    });

  /** r [B, rDim], eq [B, nq, d] -> logits [B * nq, ways], episode-major. */
  const decode = (theta: Params, r: tf.Tensor, eq: tf.Tensor) =>
    tf.tidy(() => {
      const [b, nq] = eq.shape as [number, number];
      const rr = tf.reshape(repeatRows(r, nq), [b, nq, rDim]);
      const logits = g.apply(subParams(theta, 'decoder'), tf.concat([eq, rr], 2), TRAIN);
      return tf.reshape(logits, [b * nq, ways]);
    });

  const groupLogits = (theta: Params, eps: SupportQuery[]) =>
    tf.tidy(() => {
      const { es, eq } = enc.encodeEpisodes(theta, eps);
      return decode(theta, represent(theta, es, tf.stack(eps.map((e) => e.support.y))), eq);
    });

  return {
    name: opts.name ?? 'cnp-classifier',
    family: 'black-box',
    loss: 'cross-entropy',
    init: (rng) => ({
      ...enc.init(rng),
      ...withPrefix('pair', h.init(rng)),
      ...withPrefix('decoder', g.init(rng)),
    }),
    adapt: (theta, support: LabelledSet) =>
      tf.tidy(() => ({
        r: represent(theta, tf.expandDims(enc.encode(theta, support.x), 0), tf.expandDims(support.y, 0)),
      })) as CnpRepresentation,
    predict: (theta, phi, x) => tf.tidy(() => decode(theta, phi.r, tf.expandDims(enc.encode(theta, x), 0))),
    disposePhi: (phi) => phi.r.dispose(),
    episodeOutputs: (theta, ep) => groupLogits(theta, [ep]),
    metaGrads: (theta, episodes) =>
      batchedMetaGrads(who, theta, episodes, (p, grp) =>
        tf.tidy(() =>
          sparseSoftmaxCrossEntropy(
            groupLogits(p, grp),
            tf.reshape(tf.stack(grp.map((e) => e.query.y)), [-1]),
          ),
        ),
      ),
  };
}
