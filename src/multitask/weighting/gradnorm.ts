import { tf } from '../../engine/tf.js';
import { checkOptions, numberOption } from '../conditioning/options.js';
import { gradNorm, partialGrads, weightedGrads } from './grads.js';
import { WEIGHTING_PREFIX, type Weighting } from './types.js';

export const GRADNORM_KEY = `${WEIGHTING_PREFIX}gradnorm`;

/** Options of gradNormWeighting. */
export interface GradNormOptions {
  /** Restoring force towards equal training rates; Chen et al. use 0.12 to 3, LibMTL defaults to 1.5. */
  alpha?: number;
}

/** GradNorm's state: each task's first loss. */
export interface GradNormState {
  /** L_i(0): each task's first observed loss, the reference for its training rate. */
  readonly initial: readonly (number | undefined)[];
}

/**
 * d L_grad / d w_i for GradNorm's L_grad = sum_i |w_i n_i - target_i|, with target_i = mean_j(w_j n_j) *
 * (r_i / mean r)^alpha held constant (as in the paper). n_i is ||grad_W L_i|| on the last shared layer W
 * and r_i = L_i(t) / L_i(0) the inverse training rate.
 */
export function gradNormWeightGrads(
  weights: readonly number[],
  norms: readonly number[],
  ratios: readonly number[],
  alpha: number,
): number[] {
  const K = weights.length;
  const G = weights.map((w, i) => w * norms[i]);
  const gBar = G.reduce((a, b) => a + b, 0) / K;
  const rBar = ratios.reduce((a, b) => a + b, 0) / K;
  return G.map((g, i) => {
    const target = gBar * Math.pow(ratios[i] / rBar, alpha);
    return Math.sign(g - target) * norms[i];
  });
}

/**
 * GradNorm (Chen et al. 2018): weights w = K softmax(v) (positive, summing to the number of tasks K, the
 * paper's renormalisation built in) are learned by the model's optimiser from the gradient of L_grad,
 * which pulls each task's gradient norm on the last shared layer towards the mean norm scaled by its
 * relative inverse training rate. The network itself is trained on sum_i w_i L_i with w held fixed.
 * Architectures with no shared layer (independent networks) use the norm over each task's own
 * parameters instead.
 */
export function gradNormWeighting(opts: GradNormOptions = {}): Weighting<GradNormState> {
  const who = 'gradnorm';
  checkOptions(opts, ['alpha'], who);
  const alpha = numberOption(opts.alpha ?? 1.5, 'alpha', who, 0);
  return {
    name: who,
    init: ({ numTasks }) => ({
      state: { initial: new Array(numTasks).fill(undefined) },
      params: { [GRADNORM_KEY]: tf.zeros([numTasks]) },
    }),
    step: (params, oracle, state) => {
      const v = params[GRADNORM_KEY];
      if (v === undefined) throw new Error(`${who}: parameter '${GRADNORM_KEY}' is missing from params`);
      const K = oracle.numTasks;
      const wAll = tf.tidy(() => Array.from(tf.mul(tf.softmax(v), K).dataSync()));
      const weights = oracle.tasks.map((t) => wAll[t]);
      const { grads, losses } = weightedGrads(params, oracle, weights);
      const initial = state.initial.slice();
      oracle.tasks.forEach((t, i) => {
        if (initial[t] === undefined && losses[i] > 0) initial[t] = losses[i];
      });
      const keys = oracle.lastSharedKeys.length > 0 ? oracle.lastSharedKeys : oracle.modelKeys;
      const norms = oracle.tasks.map((_, s) => {
        const { grads: g } = partialGrads(params, (p) => oracle.lossOf(s, p), keys);
        const n = gradNorm(g);
        tf.dispose(Object.values(g));
        return n;
      });
      const ratios = oracle.tasks.map((t, i) => losses[i] / (initial[t] ?? losses[i]));
      const gw = gradNormWeightGrads(weights, norms, ratios, alpha);
      // Chain rule through w = K softmax(v): dw_i/dv_j = w_i (delta_ij - w_j / K).
      const gFull = new Array(K).fill(0);
      oracle.tasks.forEach((t, i) => (gFull[t] = gw[i]));
      const dot = gFull.reduce((a, g, i) => a + g * wAll[i], 0);
      const gv = wAll.map((w, j) => w * gFull[j] - (w / K) * dot);
      grads[GRADNORM_KEY] = tf.tensor1d(gv);
      return { grads, losses, weights, state: { initial } };
    },
  };
}
