import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { combine, gramOf, matVec, nonnegQP } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of upgradWeighting. */
export interface UpgradOptions {
  /** Below this trace of GGᵀ the Gram matrix counts as zero (LibMTL `UPGrad_norm_eps`); default 1e-4. */
  normEps?: number;
  /** Ridge added to the normalised Gram matrix (LibMTL `UPGrad_reg_eps`); default 1e-4. */
  regEps?: number;
}

/**
 * UPGrad's weights (Quinton & Rey 2024, "Jacobian descent"): each task gradient g_i/K is projected onto
 * the dual cone of the rows of G, v_i = argmin ½ vᵀM̂v subject to v ≥ e_i / K, with M̂ = GGᵀ / trace +
 * regEps I; the weights are Σ_i v_i. Each QP is solved exactly by an active-set method.
 */
export function upgradWeights(M: number[][], normEps = 1e-4, regEps = 1e-4): number[] {
  const K = M.length;
  const tr = M.reduce((s, r, i) => s + r[i], 0);
  const Mh = M.map((r, i) => r.map((v, j) => (tr < normEps ? 0 : v / tr) + (i === j ? regEps : 0)));
  const w = new Array<number>(K).fill(0);
  for (let i = 0; i < K; i++) {
    const u = new Array<number>(K).fill(0);
    u[i] = 1 / K;
    // v = u + x with x ≥ 0: min ½ xᵀM̂x + (M̂u)ᵀx.
    const x = nonnegQP(Mh, matVec(Mh, u));
    for (let t = 0; t < K; t++) w[t] += u[t] + x[t];
  }
  return w;
}

/** UPGrad on plain vectors. */
export function upgradAggregate(
  G: readonly ArrayLike<number>[],
  normEps = 1e-4,
  regEps = 1e-4,
): { weights: number[]; shared: Float64Array } {
  const weights = upgradWeights(gramOf(G), normEps, regEps);
  return { weights, shared: combine(G, weights) };
}

/**
 * UPGrad (Quinton & Rey 2024): the mean of the task gradients, each first projected onto the dual cone
 * of all of them, so the update never conflicts with any task (g_tᵀ update ≥ 0 for every t, up to the
 * ridge). Conventions (as LibMTL and TorchJD): the weights sum over i of the projections of e_i / K;
 * heads get their own gradient; the reported weights are those.
 */
export function upgradWeighting(opts: UpgradOptions = {}): Weighting<null> {
  const who = 'upgrad';
  checkOptions(opts, ['normEps', 'regEps'], who);
  const normEps = numberOption(opts.normEps ?? 1e-4, 'normEps', who, 0);
  const regEps = numberOption(opts.regEps ?? 1e-4, 'regEps', who, 1e-12);
  return {
    name: who,
    init: () => ({ state: null, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G }) => {
        const r = upgradAggregate(G, normEps, regEps);
        return { shared: r.shared, weights: r.weights, state };
      }),
  };
}
