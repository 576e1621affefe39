import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import type { Module } from '../../nn/module.js';
import { TRAIN } from '../../nn/module.js';
import {
  type Params,
  disposeParams,
  mapParams,
  subParams,
  valueAndGrads,
  withPrefix,
} from '../../nn/params.js';
import { sparseSoftmaxCrossEntropy } from '../../engine/ops.js';
import type { CategoricalPredictive, MetaLearner } from '../types.js';
import type { LabelledSet, SupportQuery } from '../../tasks/types.js';
import { meanLossGrads, seedOfTensors } from '../common.js';

/** Options of abml. */
export interface AbmlOptions {
  /** The classifier whose weights get a Gaussian; theta holds its means under `mu.` and log-stds under `logsd.`. */
  model: Module;
  /** Gradient steps on the support ELBO (default 1). */
  innerSteps?: number;
  /** Step size of those steps, on means and log-stds alike (default 0.4). */
  innerLr?: number;
  /** Initial log-std of every weight (default -4: the start is close to MAML's point weights). */
  initLogStd?: number;
  /** Weight samples behind predict and predictDistribution (default 10). */
  samples?: number;
  /**
   * Weight of the KL terms against the per-example cross-entropy (default 0.01; 1 is the ELBO per
   * example, under which, on the unit test's task, meta-training shrank adaptation to nothing).
   * Below 1 the posterior may move further from the prior than the few support/query examples alone
   * justify; with small prior variances a full KL keeps adaptation from moving at all.
   */
  klWeight?: number;
  /** Treat inner gradients as constants (first order; default false: second order, as MAML). */
  firstOrder?: boolean;
  name?: string;
}

/** phi: the task posterior q(w | D_tr) = N(mu, exp(logsd)^2) per weight, and the seed of its predictive samples. */
export type WeightPosterior = { mu: Params; logsd: Params; owned: tf.Tensor[]; seed: number };

/** An ABML learner: a MetaLearner with a categorical predictive. */
export type AbmlLearner = Omit<MetaLearner<WeightPosterior>, 'predictDistribution'> & {
  predictDistribution(theta: Params, phi: WeightPosterior, x: tf.Tensor): CategoricalPredictive;
};

/** sum over all weights of KL(N(mq, e^{2 lq}) || N(mp, e^{2 lp})), as a scalar. */
export function weightKl(mq: Params, lq: Params, mp: Params, lp: Params): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    for (const k of Object.keys(mq)) {
      const vq = tf.exp(tf.mul(lq[k], 2));
      const vp = tf.exp(tf.mul(lp[k], 2));
      const t = tf.sub(
        tf.add(tf.sub(lp[k], lq[k]), tf.div(tf.add(vq, tf.square(tf.sub(mq[k], mp[k]))), tf.mul(vp, 2))),
        0.5,
      );
      total = tf.add(total, tf.sum(t));
    }
    return total as tf.Scalar;
  });
}

/** w = mu + exp(logsd) eps, eps standard normal from `rng` (reparameterised). */
function sampleWeights(mu: Params, logsd: Params, rng: Rng): Params {
  return mapParams(mu, (m, k) =>
    tf.tidy(() => tf.add(m, tf.mul(tf.exp(logsd[k]), rng.normalTensor(m.shape)))),
  );
}

/**
 * Amortised Bayesian meta-learning (Ravi and Beatson 2019): theta is a Gaussian over the classifier's
 * weights, N(mu_theta, sigma_theta^2); adaptation starts the task posterior q_phi at theta and takes
 * `innerSteps` gradient steps on the support ELBO, E_{w ~ q_phi}[CE(D_tr | w)] + KL(q_phi || p_theta) /
 * n_tr, with one reparameterised sample per step; the meta-objective is the query ELBO of the adapted
 * posterior, E_{q_phi}[CE(D_val | w)] + KL(q_phi || p_theta) / n_val, differentiated through the inner
 * steps (second order, as MAML). The predictive averages the softmax over `samples` weight draws;
 * predict returns its log. Chosen over Bayesian MAML's SVGD particles (Yoon et al. 2018) because it
 * needs one network and its update is MAML's with twice the parameters, where SVGD needs M copies of
 * the network and a kernel over them per step. The paper's hyperprior on theta is left out. Samples are
 * seeded by the episode's values, so runs are reproducible.
 */
export function abml(opts: AbmlOptions): AbmlLearner {
  const who = 'abml';
  const model = opts.model;
  const steps = opts.innerSteps ?? 1;
  const lr = opts.innerLr ?? 0.4;
  const init = opts.initLogStd ?? -4;
  const samples = opts.samples ?? 10;
  const klWeight = opts.klWeight ?? 0.01;
  if (!(klWeight >= 0))
    throw new Error(`${who}: option 'klWeight' must be a non-negative number, got ${klWeight}`);
  if (!Number.isInteger(steps) || steps < 0)
    throw new Error(`${who}: option 'innerSteps' must be a non-negative integer, got ${steps}`);
  if (!(lr >= 0)) throw new Error(`${who}: option 'innerLr' must be a non-negative number, got ${lr}`);
  if (!Number.isInteger(samples) || samples < 1)
    throw new Error(`${who}: option 'samples' must be a positive integer, got ${samples}`);
  if (!Number.isFinite(init))
    throw new Error(`${who}: option 'initLogStd' must be a finite number, got ${init}`);
  const forward = (w: Params, x: tf.Tensor) => model.apply(w, x, TRAIN);
  const detached = (t: tf.Tensor) => tf.tensor(t.dataSync(), t.shape, t.dtype);

  /** Support-ELBO descent from theta; the posterior's tensors are owned by phi (as MAML's). */
  const adaptWith = (theta: Params, support: LabelledSet, rng: Rng, seed: number): WeightPosterior => {
    const mu0 = subParams(theta, 'mu');
    const ls0 = subParams(theta, 'logsd');
    const owned: tf.Tensor[] = [];
    let cur: Params = { ...withPrefix('mu', mu0), ...withPrefix('logsd', ls0) };
    const n = support.x.shape[0];
    for (let s = 0; s < steps; s++) {
      const before = cur;
      const { value, grads } = valueAndGrads(before, (q) =>
        tf.tidy(() => {
          const mu = subParams(q, 'mu');
          const ls = subParams(q, 'logsd');
          const w = sampleWeights(mu, ls, rng);
          const ce = sparseSoftmaxCrossEntropy(forward(w, support.x), support.y);
          return tf.add(ce, tf.mul(weightKl(mu, ls, mu0, ls0), klWeight / n)) as tf.Scalar;
        }),
      );
      value.dispose();
      const next: Params = {};
      for (const k of Object.keys(before)) {
        const g = opts.firstOrder ? detached(grads[k]) : grads[k];
        next[k] = tf.tidy(() => tf.sub(before[k], tf.mul(g, lr)));
        owned.push(next[k]);
        g.dispose();
        if (!grads[k].isDisposed) grads[k].dispose();
      }
      cur = next;
    }
    return { mu: subParams(cur, 'mu'), logsd: subParams(cur, 'logsd'), owned, seed };
  };

  const probs = (phi: WeightPosterior, x: tf.Tensor) => {
    const rng = new Rng(phi.seed);
    return tf.tidy(() => {
      let sum: tf.Tensor | null = null;
      for (let s = 0; s < samples; s++) {
        const w = sampleWeights(phi.mu, phi.logsd, rng);
        const p = tf.softmax(forward(w, x));
        disposeParams(w);
        sum = sum === null ? p : tf.add(sum, p);
      }
      return tf.div(sum!, samples);
    });
  };

  const disposePhi = (phi: WeightPosterior) => {
    for (const t of phi.owned) if (!t.isDisposed) t.dispose();
  };

  /** The query ELBO of one episode after adaptation (the meta-objective). */
  const episodeObjective = (theta: Params, ep: SupportQuery): tf.Scalar => {
    const seed = seedOfTensors([ep.support.x, ep.support.y, ep.query.x]);
    const rng = new Rng(seed);
    const phi = adaptWith(theta, ep.support, rng, seed);
    try {
      return tf.tidy(() => {
        const w = sampleWeights(phi.mu, phi.logsd, rng);
        const ce = sparseSoftmaxCrossEntropy(forward(w, ep.query.x), ep.query.y);
        const kl = weightKl(phi.mu, phi.logsd, subParams(theta, 'mu'), subParams(theta, 'logsd'));
        return tf.add(ce, tf.mul(kl, klWeight / ep.query.x.shape[0])) as tf.Scalar;
      });
    } finally {
      disposePhi(phi);
    }
  };

  return {
    name: opts.name ?? 'abml',
    family: 'optimization',
    loss: 'cross-entropy',
    init: (rng) => {
      const p = model.init(rng);
      return {
        ...withPrefix('mu', p),
        ...withPrefix(
          'logsd',
          mapParams(p, (t) => tf.fill(t.shape, init)),
        ),
      };
    },
    adapt: (theta, support) => {
      const seed = seedOfTensors([support.x, support.y]);
      return adaptWith(theta, support, new Rng(seed), seed);
    },
    predict: (_theta, phi, x) => tf.tidy(() => tf.log(tf.maximum(probs(phi, x), 1e-30))),
    predictDistribution: (_theta, phi, x) => ({ kind: 'categorical', probs: probs(phi, x) }),
    disposePhi,
    metaGrads: (theta, episodes) => meanLossGrads(who, theta, episodes, episodeObjective),
  };
}
