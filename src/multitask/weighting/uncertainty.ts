import { tf } from '../../engine/tf.js';
import { checkOptions } from '../conditioning/options.js';
import type { TaskKind } from '../types.js';
import { weightedGrads } from './grads.js';
import { WEIGHTING_PREFIX, type Weighting } from './types.js';

export const UNCERTAINTY_KEY = `${WEIGHTING_PREFIX}logvar`;

/**
 * Kendall, Gal & Cipolla (2018) with s_i = log sigma_i^2 learned per task:
 * regression c_i = 1/2 (Gaussian likelihood), classification c_i = 1 (scaled softmax), and
 * loss = sum_i c_i exp(-s_i) L_i + s_i / 2. A task with noisy, high loss earns a larger sigma and less
 * weight; the s_i / 2 term keeps sigma from growing without bound.
 */
export function uncertaintyLoss(
  losses: readonly tf.Scalar[],
  logvar: tf.Tensor,
  tasks: readonly number[],
  kinds: readonly TaskKind[],
): tf.Scalar {
  return tf.tidy(() => {
    const terms = losses.map((l, i) => {
      const s = tf.reshape(tf.slice(logvar, [tasks[i]], [1]), []);
      const c = kinds[i] === 'regression' ? 0.5 : 1;
      return tf.add(tf.mul(tf.mul(tf.exp(tf.neg(s)), c), l), tf.mul(s, 0.5));
    });
    return tf.addN(terms) as tf.Scalar;
  });
}

/** Homoscedastic uncertainty weighting (Kendall et al. 2018): learned per-task log-variances scale the losses. */
export function uncertaintyWeighting(opts: Record<string, never> = {}): Weighting<null> {
  checkOptions(opts, [], 'uncertainty');
  return {
    name: 'uncertainty',
    init: ({ numTasks }) => ({ state: null, params: { [UNCERTAINTY_KEY]: tf.zeros([numTasks]) } }),
    step: (params, oracle) => {
      const lv = params[UNCERTAINTY_KEY];
      if (lv === undefined)
        throw new Error(`uncertainty: parameter '${UNCERTAINTY_KEY}' is missing from params`);
      const { grads, losses } = weightedGrads(params, oracle, [], (p, ls) =>
        uncertaintyLoss(ls, p[UNCERTAINTY_KEY], oracle.tasks, oracle.kinds),
      );
      const s = lv.dataSync();
      const weights = oracle.tasks.map(
        (t, i) => (oracle.kinds[i] === 'regression' ? 0.5 : 1) * Math.exp(-s[t]),
      );
      return { grads, losses, weights, state: null };
    },
  };
}
