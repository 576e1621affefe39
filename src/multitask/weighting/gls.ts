import { tf } from '../../engine/tf.js';
import { checkOptions } from '../conditioning/options.js';
import { weightedGrads } from './grads.js';
import type { Weighting } from './types.js';

/** The loss coefficients of GLS: d (Π L)^{1/K} / d L_t = (Π L)^{1/K} / (K L_t). */
export function glsCoefficients(losses: readonly number[]): number[] {
  const K = losses.length;
  const g = Math.exp(losses.reduce((s, l) => s + Math.log(l), 0) / K);
  return losses.map((l) => g / (K * l));
}

/**
 * Geometric loss strategy (Chennupati et al. 2019): minimise the geometric mean (Π_t L_t)^{1/K}, which
 * is invariant to each loss's scale. Conventions: heads get the same coefficients as the shared part;
 * the reported weights are those coefficients (LibMTL returns L_t / (K Π L) instead, which is not what
 * it applies).
 */
export function glsWeighting(opts: Record<string, never> = {}): Weighting<null> {
  const who = 'gls';
  checkOptions(opts, [], who);
  return {
    name: who,
    init: () => ({ state: null, params: {} }),
    step: (params, oracle, state) => {
      const { grads, losses } = weightedGrads(
        params,
        oracle,
        [],
        (_p, ls) => tf.exp(tf.mean(tf.log(tf.stack(ls)))) as tf.Scalar,
      );
      return { grads, losses, weights: glsCoefficients(losses), state };
    },
  };
}
