import type { Rng } from '../../engine/rng.js';
import { checkOptions } from '../conditioning/options.js';
import { weightedGrads } from './grads.js';
import type { Weighting } from './types.js';

/** softmax(z): RLW's weights from one normal draw per task. */
export function rlwWeights(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** RLW's state: the Rng of its draws. */
export interface RlwState {
  readonly rng: Rng;
}

/**
 * Random loss weighting (Lin et al. 2022): every step the losses are weighted by softmax(z) with a fresh
 * z ~ N(0, I), one draw per task of the step. Conventions (as LibMTL): weights sum to 1 (not K) and
 * the heads get the same weights as the shared part (one backward pass of Σ w_t L_t).
 */
export function rlwWeighting(opts: Record<string, never> = {}): Weighting<RlwState> {
  const who = 'rlw';
  checkOptions(opts, [], who);
  return {
    name: who,
    init: ({ rng }) => ({ state: { rng: rng.fork() }, params: {} }),
    step: (params, oracle, state) => {
      const weights = rlwWeights(oracle.tasks.map(() => state.rng.normal()));
      const { grads, losses } = weightedGrads(params, oracle, weights);
      return { grads, losses, weights, state };
    },
  };
}
