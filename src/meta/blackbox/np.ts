import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { TRAIN, positiveInt } from '../../nn/module.js';
import { mlp } from '../../nn/mlp.js';
import { multiHeadAttention } from '../../nn/attention.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import type { CategoricalPredictive, GaussianPredictive, MetaLearner } from '../types.js';
import type { SupportQuery, LabelledSet } from '../../tasks/types.js';
import { seedOfTensors } from '../common.js';
import {
  type EncoderOptions,
  asRows as rowsOf,
  batchedMetaGrads,
  checkWays,
  labelOneHot,
  layerSizes,
  makeEncoder,
  stackRegression,
} from './shared.js';

/**
 * phi of a latent-variable neural process: the context posterior q(z | D_tr) = N(mu, sigma^2) ([1, zDim]
 * each), the deterministic representation r of the context ([1, rDim], absent without that path), and
 * the seed of the z samples drawn for predictions, derived from the context so that the same episode
 * always gets the same samples. An attentive NP keeps the context itself instead of r: its inputs x
 * [1, n, xDim] and their pair codes r [1, n, rDim], which each target attends to.
 */
export type NpPosterior = {
  mu: tf.Tensor;
  sigma: tf.Tensor;
  r: tf.Tensor | null;
  seed: number;
  context?: { x: tf.Tensor; r: tf.Tensor };
};

/** A neural-process learner: predict is the predictive's point summary, predictDistribution the predictive. */
export type NpLearner<D> = Omit<MetaLearner<NpPosterior>, 'predictDistribution'> & {
  predictDistribution(theta: Params, phi: NpPosterior, x: tf.Tensor): D;
  /** `samples` functions drawn from the predictive: z_k ~ q(z | D_tr) (seeded by `rng`), each decoded at x. */
  sampleFunctions?(theta: Params, phi: NpPosterior, x: tf.Tensor, samples: number, rng: Rng): D;
};

/**
 * KL(N(mq, sq^2) || N(mp, sp^2)) of diagonal Gaussians [B, d], summed over d: [B].
 * sum log(sp / sq) + (sq^2 + (mq - mp)^2) / (2 sp^2) - 1/2.
 */
export function diagGaussianKl(mq: tf.Tensor, sq: tf.Tensor, mp: tf.Tensor, sp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.div(tf.add(tf.square(sq), tf.square(tf.sub(mq, mp))), tf.mul(tf.square(sp), 2));
    return tf.sum(tf.sub(tf.add(tf.sub(tf.log(sp), tf.log(sq)), t), 0.5), -1);
  });
}

/** t broadcast to `shape` by adding zeros (its gradient sums over the repeats; tile's is slow on cpu). */
const bcast = (t: tf.Tensor, shape: number[]) => tf.add(t, tf.zeros(shape));

/** Options shared by the regression and classification neural processes. */
export interface NpCommonOptions {
  /** Size of the global latent z (default 64). */
  zDim?: number;
  /** Hidden layer sizes of the decoder (default [128, 128]). */
  decoder?: number[];
  /** z samples behind predict and predictDistribution (default 16). */
  samples?: number;
  /** z samples per episode in the training ELBO (default 1, as in Garnelo et al. 2018). */
  trainSamples?: number;
  name?: string;
}

/** Options of npRegressor. */
export interface NpRegressorOptions extends NpCommonOptions {
  xDim?: number;
  yDim?: number;
  /**
   * Layer sizes of the deterministic path's encoder on each (x, y) pair, whose mean r the decoder also
   * reads (Kim et al. 2019's NP; default [128, 128, 128]); null for the latent path only (Garnelo et al. 2018).
   */
  deterministicEncoder?: number[] | null;
  /** Layer sizes of the latent path's pair encoder; the mean of its outputs gives mu and sigma of z (default [128, 128]). */
  latentEncoder?: number[];
  /** Decoder std = minStd + (1 - minStd) softplus(raw) (default 0.1). */
  minStd?: number;
  /**
   * The attentive NP (Kim et al. 2019): each target's deterministic representation is multi-head
   * cross-attention from the target's x to the context's x (both through one MLP, xDim-rDim-rDim), over
   * the context's pair codes, instead of their mean; `heads` must divide rDim (default 8). Absent or null:
   * the mean. Needs the deterministic path.
   */
  crossAttention?: { heads?: number } | null;
}

function commonChecks(opts: NpCommonOptions, who: string) {
  const zDim = positiveInt(opts.zDim ?? 64, 'zDim', who);
  const samples = positiveInt(opts.samples ?? 16, 'samples', who);
  const trainSamples = positiveInt(opts.trainSamples ?? 1, 'trainSamples', who);
  return { zDim, samples, trainSamples, decSizes: layerSizes(opts.decoder, 'decoder', who, [128, 128]) };
}

/** mu and sigma of q(z | .) from raw [.., 2 zDim]: sigma = 0.1 + 0.9 sigmoid(raw), kept off 0 (Kim et al. 2019). */
function latentParams(raw: tf.Tensor, zDim: number): { mu: tf.Tensor; sigma: tf.Tensor } {
  const [mu, s] = tf.split(raw, [zDim, zDim], -1);
  return { mu, sigma: tf.add(tf.mul(tf.sigmoid(s), 0.9), 0.1) };
}

/** z = mu + sigma eps, eps [B, K, zDim] standard normal from `rng` (the reparameterisation trick). */
function sampleZ(mu: tf.Tensor, sigma: tf.Tensor, k: number, rng: Rng): tf.Tensor {
  return tf.tidy(() => {
    const [b, d] = mu.shape as [number, number];
    const eps = rng.normalTensor([b, k, d]);
    return tf.add(tf.expandDims(mu, 1), tf.mul(tf.expandDims(sigma, 1), eps));
  });
}

/**
 * A latent-variable neural process for regression (Garnelo et al. 2018, "Neural Processes"): a global
 * latent z with q(z | D) = N(mu(s), sigma(s)^2), s the mean of an encoder over the (x, y) pairs of D,
 * and an optional deterministic path r as in Kim et al. 2019; the decoder maps [x*, r, z] to a Gaussian
 * over y*. phi is the context posterior q(z | D_tr).
 *
 * Training maximises the ELBO with the posterior conditioned on context and targets, as in the paper:
 * E_{z ~ q(z | C u T)} [sum_T log p(y | x, r_C, z)] - KL(q(z | C u T) || q(z | C)), C the support set
 * and T the query set, per target. The predictive is the mixture over K samples of z ~ q(z | C);
 * predict returns its mean (so the learner is scored by MSE, its `loss`). With `crossAttention`, the
 * attentive NP (Kim et al. 2019): each target reads its own r, attended from the context. Params:
 * det.fc{i}.*, lat.fc{i}.*, latHead.fc{i}.*, decoder.fc{i}.*, and with attention xEmbed.fc{i}.* and
 * cross.{q,k,v,o}.*.
 */
export function npRegressor(opts: NpRegressorOptions = {}): NpLearner<GaussianPredictive> {
  const who = 'npRegressor';
  const xDim = positiveInt(opts.xDim ?? 1, 'xDim', who);
  const yDim = positiveInt(opts.yDim ?? 1, 'yDim', who);
  const { zDim, samples, trainSamples, decSizes } = commonChecks(opts, who);
  const detSizes =
    opts.deterministicEncoder === null
      ? null
      : layerSizes(opts.deterministicEncoder, 'deterministicEncoder', who, [128, 128, 128]);
  const latSizes = layerSizes(opts.latentEncoder, 'latentEncoder', who, [128, 128]);
  const minStd = opts.minStd ?? 0.1;
  if (!(minStd > 0 && minStd < 1))
    throw new Error(`${who}: option 'minStd' must be in (0, 1), got ${minStd}`);
  const rDim = detSizes ? detSizes[detSizes.length - 1] : 0;
  const sDim = latSizes[latSizes.length - 1];
  const det = detSizes ? mlp([xDim + yDim, ...detSizes]) : null;
  const lat = mlp([xDim + yDim, ...latSizes]);
  const latHead = mlp([sDim, sDim, 2 * zDim]);
  const dec = mlp([xDim + rDim + zDim, ...decSizes, 2 * yDim]);
  if (opts.crossAttention && !det)
    throw new Error(
      `${who}: option 'crossAttention' needs the deterministic path (deterministicEncoder is null)`,
    );
  const heads = opts.crossAttention
    ? positiveInt(opts.crossAttention.heads ?? 8, 'crossAttention.heads', who)
    : 0;
  if (heads && rDim % heads !== 0)
    throw new Error(`${who}: 'crossAttention.heads' (${heads}) must divide the representation size ${rDim}`);
  const xEmbed = heads ? mlp([xDim, rDim, rDim]) : null;
  const cross = heads ? multiHeadAttention(rDim, heads, { memoryDim: rDim, keyDim: rDim }) : null;

  const asRows = (t: tf.Tensor, d: number, what: string) => rowsOf(t, d, what, who);

  /** xs [B, n, xDim], ys [B, n, yDim] -> q(z | D): mu, sigma [B, zDim]. */
  const posterior = (theta: Params, xs: tf.Tensor, ys: tf.Tensor) =>
    tf.tidy(() => {
      const s = tf.mean(lat.apply(subParams(theta, 'lat'), tf.concat([xs, ys], 2), TRAIN), 1);
      return latentParams(latHead.apply(subParams(theta, 'latHead'), s, TRAIN), zDim);
    });
  /** The deterministic path's view of a context: r [B, rDim] (the mean), or the context itself (attention). */
  const represent = (theta: Params, xs: tf.Tensor, ys: tf.Tensor): Pick<NpPosterior, 'r' | 'context'> => {
    if (!det) return { r: null };
    const codes = det.apply(subParams(theta, 'det'), tf.concat([xs, ys], 2), TRAIN);
    if (!cross) {
      const r = tf.mean(codes, 1);
      codes.dispose();
      return { r };
    }
    return { r: null, context: { x: tf.clone(xs), r: codes } };
  };
  /** Each target's deterministic representation [B, nq, rDim] at xq [B, nq, xDim], or null. */
  const targetRep = (
    theta: Params,
    rep: Pick<NpPosterior, 'r' | 'context'>,
    xq: tf.Tensor,
  ): tf.Tensor | null => {
    const [b, nq] = xq.shape as [number, number];
    const { r, context } = rep;
    if (r) return tf.tidy(() => bcast(tf.reshape(r, [b, 1, rDim]), [b, nq, rDim]));
    if (!context || !cross || !xEmbed) return null;
    return tf.tidy(() => {
      const embed = (x: tf.Tensor) => xEmbed.apply(subParams(theta, 'xEmbed'), x, TRAIN);
      return cross.apply(
        subParams(theta, 'cross'),
        { query: embed(xq), keys: embed(context.x), memory: context.r },
        TRAIN,
      );
    });
  };

  /** rq [B, nq, rDim] or null, z [B, K, zDim], xq [B, nq, xDim] -> mean, std [B, K, nq, yDim]. */
  const decode = (theta: Params, rq: tf.Tensor | null, z: tf.Tensor, xq: tf.Tensor) =>
    tf.tidy(() => {
      const [b, k] = z.shape as [number, number];
      const nq = xq.shape[1] as number;
      const parts = [
        bcast(tf.expandDims(xq, 1), [b, k, nq, xDim]),
        bcast(tf.expandDims(z, 2), [b, k, nq, zDim]),
      ];
      if (rq) parts.splice(1, 0, bcast(tf.expandDims(rq, 1), [b, k, nq, rDim]));
      const out = dec.apply(subParams(theta, 'decoder'), tf.concat(parts, 3), TRAIN);
      const [mean, raw] = tf.split(out, [yDim, yDim], 3);
      return { mean, std: tf.add(tf.mul(tf.softplus(raw), 1 - minStd), minStd) };
    });

  /** The mixture over the K samples at x [n, xDim]: components [K, n, yDim] and their moments. */
  const mixture = (
    theta: Params,
    phi: NpPosterior,
    x: tf.Tensor,
    k: number,
    rng: Rng,
  ): GaussianPredictive => {
    const t = tf.tidy(() => {
      const z = sampleZ(phi.mu, phi.sigma, k, rng);
      const xq = tf.expandDims(asRows(x, xDim, 'x'), 0);
      const d = decode(theta, targetRep(theta, phi, xq), z, xq);
      const means = tf.squeeze(d.mean, [0]);
      const stds = tf.squeeze(d.std, [0]);
      const mean = tf.mean(means, 0);
      // Moment matching: Var = E[s^2 + m^2] - (E m)^2, floored against float cancellation.
      const second = tf.mean(tf.add(tf.square(stds), tf.square(means)), 0);
      const std = tf.sqrt(tf.maximum(tf.sub(second, tf.square(mean)), 1e-12));
      return { means, stds, mean, std };
    });
    return { kind: 'gaussian', mean: t.mean, std: t.std, components: { means: t.means, stds: t.stds } };
  };

  const predictDistribution = (theta: Params, phi: NpPosterior, x: tf.Tensor) =>
    mixture(theta, phi, x, samples, new Rng(phi.seed));

  const stack = (eps: SupportQuery[]) => stackRegression(eps, xDim, yDim, who);

  /** Negative ELBO per target, averaged over the group (see the TSDoc above). */
  const negElbo = (theta: Params, grp: SupportQuery[]) => {
    const rng = new Rng(seedOfTensors(grp.flatMap((e) => [e.support.x, e.query.x, e.query.y])));
    return tf.tidy(() => {
      const s = stack(grp);
      const prior = posterior(theta, s.xs, s.ys);
      const post = posterior(theta, tf.concat([s.xs, s.xq], 1), tf.concat([s.ys, s.yq], 1));
      const z = sampleZ(post.mu, post.sigma, trainSamples, rng);
      const d = decode(theta, targetRep(theta, represent(theta, s.xs, s.ys), s.xq), z, s.xq);
      const y = tf.expandDims(s.yq, 1);
      const nll = tf.add(
        tf.add(tf.log(d.std), tf.mul(tf.square(tf.div(tf.sub(y, d.mean), d.std)), 0.5)),
        0.5 * Math.log(2 * Math.PI),
      );
      const nq = s.xq.shape[1] as number;
      const kl = diagGaussianKl(post.mu, post.sigma, prior.mu, prior.sigma);
      return tf.add(tf.mean(nll), tf.div(tf.mean(kl), nq * yDim)) as tf.Scalar;
    });
  };

  const learner: NpLearner<GaussianPredictive> = {
    name: opts.name ?? 'np',
    family: 'black-box',
    loss: 'mse',
    init: (rng) => ({
      ...(det ? withPrefix('det', det.init(rng)) : {}),
      ...(xEmbed && cross
        ? { ...withPrefix('xEmbed', xEmbed.init(rng)), ...withPrefix('cross', cross.init(rng)) }
        : {}),
      ...withPrefix('lat', lat.init(rng)),
      ...withPrefix('latHead', latHead.init(rng)),
      ...withPrefix('decoder', dec.init(rng)),
    }),
    adapt: (theta, support: LabelledSet) => {
      const seed = seedOfTensors([support.x, support.y]);
      const t = tf.tidy(() => {
        const xs = tf.expandDims(asRows(support.x, xDim, 'support x'), 0);
        const ys = tf.expandDims(asRows(support.y, yDim, 'support y'), 0);
        const q = posterior(theta, xs, ys);
        const { r, context } = represent(theta, xs, ys);
        return { ...q, ...(r ? { r } : {}), ...(context ? { cx: context.x, cr: context.r } : {}) };
      }) as { mu: tf.Tensor; sigma: tf.Tensor; r?: tf.Tensor; cx?: tf.Tensor; cr?: tf.Tensor };
      return {
        mu: t.mu,
        sigma: t.sigma,
        r: t.r ?? null,
        seed,
        ...(t.cx && t.cr ? { context: { x: t.cx, r: t.cr } } : {}),
      };
    },
    predict: (theta, phi, x) => {
      const d = predictDistribution(theta, phi, x);
      tf.dispose([d.std, d.components!.means, d.components!.stds]);
      return d.mean;
    },
    predictDistribution,
    sampleFunctions: (theta, phi, x, k, rng) => mixture(theta, phi, x, positiveInt(k, 'samples', who), rng),
    disposePhi: (phi) =>
      tf.dispose([
        phi.mu,
        phi.sigma,
        ...(phi.r ? [phi.r] : []),
        ...(phi.context ? [phi.context.x, phi.context.r] : []),
      ]),
    metaGrads: (theta, episodes) => batchedMetaGrads(who, theta, episodes, negElbo),
  };
  return learner;
}

// ---------------------------------------------------------------------------------------------------
// Classification

/** Options of npClassifier. */
export interface NpClassifierOptions extends NpCommonOptions, EncoderOptions {
  /** Classes per episode (N). */
  ways: number;
  /** Layer sizes of the pair encoder on [encoded x, one-hot y]; the last is the size of one class's r_c (default [128, 128]). */
  pairEncoder?: number[];
  /**
   * Attentive (Kim et al. 2019): the decoder also reads, per query, multi-head cross-attention from the
   * query's features to the support's (both through one dense layer to the pair code size) over the
   * support's pair codes; `heads` must divide that size (default 8). Absent or null: per-class means only.
   */
  crossAttention?: { heads?: number } | null;
}

/**
 * A latent-variable neural process for N-way classification: the support pairs (encoded x, one-hot y)
 * go through h and are averaged per class into r = [r_0, ..., r_{N-1}] (the CNP classifier's
 * representation), q(z | D) = N(mu(r_D), sigma(r_D)^2), and the decoder maps [encoded x*, r_C, z] to
 * logits. Training: the ELBO with the posterior on support + query (query labels included) and the
 * prior on the support, E_q[cross-entropy of the query] + KL / n_query. The predictive is the mean of
 * the K samples' softmax; predict returns its log, whose argmax is the prediction. The default encoder
 * is Conv4 with transductive batch norm over each episode's images (episodeOutputs and
 * episodePredictive see support and query together). With `crossAttention`, each query also reads
 * codes attended from the support's (Kim et al. 2019). Params: encoder.*, pair.fc{i}.*, latHead.fc{i}.*,
 * decoder.fc{i}.*, and with attention xEmbed.fc{i}.* and cross.{q,k,v,o}.*.
 */
export function npClassifier(opts: NpClassifierOptions): NpLearner<CategoricalPredictive> {
  const who = 'npClassifier';
  const ways = checkWays(opts.ways, who);
  const { zDim, samples, trainSamples, decSizes } = commonChecks(opts, who);
  const enc = makeEncoder(opts, 'conv4', who);
  const pairSizes = layerSizes(opts.pairEncoder, 'pairEncoder', who, [128, 128]);
  const unit = pairSizes[pairSizes.length - 1];
  const rDim = ways * unit;
  const h = mlp([enc.dim + ways, ...pairSizes]);
  const latHead = mlp([rDim, unit, 2 * zDim]);
  const heads = opts.crossAttention
    ? positiveInt(opts.crossAttention.heads ?? 8, 'crossAttention.heads', who)
    : 0;
  if (heads && unit % heads !== 0)
    throw new Error(`${who}: 'crossAttention.heads' (${heads}) must divide the pair code size ${unit}`);
  const xEmbed = heads ? mlp([enc.dim, unit]) : null;
  const cross = heads ? multiHeadAttention(unit, heads, { memoryDim: unit, keyDim: unit }) : null;
  const aDim = heads ? unit : 0;
  const dec = mlp([enc.dim + rDim + aDim + zDim, ...decSizes, ways]);

  /** es [B, n, d], ys int [B, n] -> pair codes [B, n, unit]. */
  const pairCodes = (theta: Params, es: tf.Tensor, ys: tf.Tensor) =>
    tf.tidy(() => {
      const [b, n] = es.shape as [number, number];
      const oh = tf.reshape(labelOneHot(tf.reshape(ys, [b * n]), ways, who), [b, n, ways]);
      return h.apply(subParams(theta, 'pair'), tf.concat([es, oh], 2), TRAIN);
    });
  /** es [B, n, d], ys int [B, n] (and their pair codes) -> per-class mean representation r [B, rDim]. */
  const represent = (theta: Params, es: tf.Tensor, ys: tf.Tensor, codes?: tf.Tensor) =>
    tf.tidy(() => {
      const [b, n] = es.shape as [number, number];
      const oh = tf.reshape(labelOneHot(tf.reshape(ys, [b * n]), ways, who), [b, n, ways]);
      const hs = codes ?? pairCodes(theta, es, ys);
      const sums = tf.matMul(tf.transpose(oh, [0, 2, 1]), hs);
      const counts = tf.maximum(tf.sum(oh, 1), 1);
      return tf.reshape(tf.div(sums, tf.expandDims(counts, 2)), [b, rDim]);
    });
  /** Per query, attention over the support's codes: [B, nq, unit], or null when not attentive. */
  const attend = (theta: Params, context: NpPosterior['context'], eq: tf.Tensor): tf.Tensor | null => {
    if (!cross || !xEmbed || !context) return null;
    return tf.tidy(() => {
      const embed = (e: tf.Tensor) => xEmbed.apply(subParams(theta, 'xEmbed'), e, TRAIN);
      return cross.apply(
        subParams(theta, 'cross'),
        { query: embed(eq), keys: embed(context.x), memory: context.r },
        TRAIN,
      );
    });
  };
  const posterior = (theta: Params, r: tf.Tensor) =>
    tf.tidy(() => latentParams(latHead.apply(subParams(theta, 'latHead'), r, TRAIN), zDim));

  /** r [B, rDim], z [B, K, zDim], eq [B, nq, d], attended codes [B, nq, unit] or null -> logits [B, K, nq, ways]. */
  const decode = (theta: Params, r: tf.Tensor, z: tf.Tensor, eq: tf.Tensor, aq: tf.Tensor | null) =>
    tf.tidy(() => {
      const [b, k] = z.shape as [number, number];
      const nq = eq.shape[1] as number;
      const parts = [
        bcast(tf.expandDims(eq, 1), [b, k, nq, enc.dim]),
        bcast(tf.reshape(r, [b, 1, 1, rDim]), [b, k, nq, rDim]),
        bcast(tf.expandDims(z, 2), [b, k, nq, zDim]),
      ];
      if (aq) parts.splice(2, 0, bcast(tf.expandDims(aq, 1), [b, k, nq, aDim]));
      return dec.apply(subParams(theta, 'decoder'), tf.concat(parts, 3), TRAIN);
    });

  /** Predictive probabilities [nq, ways] from the context posterior and query features eq [1, nq, d]. */
  const probsOf = (theta: Params, phi: NpPosterior, eq: tf.Tensor, k: number, rng: Rng) =>
    tf.tidy(() => {
      const z = sampleZ(phi.mu, phi.sigma, k, rng);
      const logits = decode(theta, phi.r!, z, eq, attend(theta, phi.context, eq));
      return tf.squeeze(tf.mean(tf.softmax(logits), 1), [0]);
    });

  const queryProbs = (theta: Params, phi: NpPosterior, x: tf.Tensor, k: number, rng: Rng) =>
    tf.tidy(() => probsOf(theta, phi, tf.expandDims(enc.encode(theta, x), 0), k, rng));

  const adaptFeatures = (theta: Params, es: tf.Tensor, ys: tf.Tensor, seed: number): NpPosterior => {
    const t = tf.tidy(() => {
      const codes = pairCodes(theta, es, ys);
      const r = represent(theta, es, ys, codes);
      return { ...posterior(theta, r), r, ...(cross ? { cx: tf.clone(es), cr: codes } : {}) };
    }) as { mu: tf.Tensor; sigma: tf.Tensor; r: tf.Tensor; cx?: tf.Tensor; cr?: tf.Tensor };
    return {
      mu: t.mu,
      sigma: t.sigma,
      r: t.r,
      seed,
      ...(t.cx && t.cr ? { context: { x: t.cx, r: t.cr } } : {}),
    };
  };

  const episodePredictive = (theta: Params, ep: SupportQuery): CategoricalPredictive => {
    const seed = seedOfTensors([ep.support.x, ep.support.y]);
    const probs = tf.tidy(() => {
      const { es, eq } = enc.encodeEpisodes(theta, [ep]);
      const phi = adaptFeatures(theta, es, tf.expandDims(ep.support.y, 0), seed);
      return probsOf(theta, phi, eq, samples, new Rng(seed));
    });
    return { kind: 'categorical', probs };
  };

  const negElbo = (theta: Params, grp: SupportQuery[]) => {
    const rng = new Rng(seedOfTensors(grp.flatMap((e) => [e.support.x, e.query.x, e.query.y])));
    return tf.tidy(() => {
      const { es, eq } = enc.encodeEpisodes(theta, grp);
      const ys = tf.stack(grp.map((e) => e.support.y));
      const yq = tf.stack(grp.map((e) => e.query.y));
      const [b, nq] = yq.shape as [number, number];
      const codes = pairCodes(theta, es, ys);
      const rC = represent(theta, es, ys, codes);
      const prior = posterior(theta, rC);
      const post = posterior(theta, represent(theta, tf.concat([es, eq], 1), tf.concat([ys, yq], 1)));
      const z = sampleZ(post.mu, post.sigma, trainSamples, rng);
      const logits = decode(theta, rC, z, eq, attend(theta, { x: es, r: codes }, eq)); // [B, K, nq, ways]
      const oh = tf.reshape(labelOneHot(tf.reshape(yq, [b * nq]), ways, who), [b, 1, nq, ways]);
      const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), oh), 3)));
      const kl = diagGaussianKl(post.mu, post.sigma, prior.mu, prior.sigma);
      return tf.add(ce, tf.div(tf.mean(kl), nq)) as tf.Scalar;
    });
  };

  return {
    name: opts.name ?? 'np-classifier',
    family: 'black-box',
    loss: 'cross-entropy',
    init: (rng) => ({
      ...enc.init(rng),
      ...withPrefix('pair', h.init(rng)),
      ...(xEmbed && cross
        ? { ...withPrefix('xEmbed', xEmbed.init(rng)), ...withPrefix('cross', cross.init(rng)) }
        : {}),
      ...withPrefix('latHead', latHead.init(rng)),
      ...withPrefix('decoder', dec.init(rng)),
    }),
    adapt: (theta, support: LabelledSet) => {
      const seed = seedOfTensors([support.x, support.y]);
      const e = tf.tidy(() => tf.expandDims(enc.encode(theta, support.x), 0));
      const ys = tf.expandDims(support.y, 0);
      const phi = adaptFeatures(theta, e, ys, seed);
      tf.dispose([e, ys]);
      return phi;
    },
    predict: (theta, phi, x) =>
      tf.tidy(() => tf.log(tf.maximum(queryProbs(theta, phi, x, samples, new Rng(phi.seed)), 1e-30))),
    predictDistribution: (theta, phi, x) => ({
      kind: 'categorical',
      probs: queryProbs(theta, phi, x, samples, new Rng(phi.seed)),
    }),
    sampleFunctions: (theta, phi, x, k, rng) => ({
      kind: 'categorical',
      probs: queryProbs(theta, phi, x, positiveInt(k, 'samples', who), rng),
    }),
    disposePhi: (phi) =>
      tf.dispose([
        phi.mu,
        phi.sigma,
        ...(phi.r ? [phi.r] : []),
        ...(phi.context ? [phi.context.x, phi.context.r] : []),
      ]),
    episodePredictive,
    episodeOutputs: (theta, ep) =>
      tf.tidy(() => {
        const d = episodePredictive(theta, ep);
        return tf.log(tf.maximum(d.probs, 1e-30));
      }),
    metaGrads: (theta, episodes) => batchedMetaGrads(who, theta, episodes, negElbo),
  };
}
