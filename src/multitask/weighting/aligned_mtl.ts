import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { combine, gramOf, symEig } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of alignedMtlWeighting. */
export interface AlignedMtlOptions {
  /**
   * Relative rank cut-off: eigenvalues of GGᵀ at most max(λ) K eps count as zero. Default float32's
   * machine epsilon (1.19e-7), which is what LibMTL uses in a float32 run (it reads the default dtype).
   */
  eps?: number;
}

/**
 * Aligned-MTL's weights (Senushkin et al. 2023): with GGᵀ = VΛVᵀ over its numerically non-zero
 * eigenpairs, B = √λ_min V Λ^{-1/2} Vᵀ and α = column sums of B; Σ α_t g_t is the sum of the columns of
 * the gradient matrix after aligning it to condition number 1 (all singular values √λ_min).
 */
export function alignedMtlAggregate(
  G: readonly ArrayLike<number>[],
  eps = 1.1920928955078125e-7,
): { weights: number[]; shared: Float64Array } {
  const K = G.length;
  const { values, vectors } = symEig(gramOf(G));
  const tol = Math.max(...values) * K * eps;
  const rank = values.filter((v) => v > tol).length;
  if (rank === 0) return { weights: new Array<number>(K).fill(0), shared: combine(G, new Array(K).fill(0)) };
  const lmin = values[rank - 1];
  const weights = new Array<number>(K).fill(0);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      let b = 0;
      for (let r = 0; r < rank; r++) b += (vectors[i][r] * vectors[j][r]) / Math.sqrt(values[r]);
      weights[j] += Math.sqrt(lmin) * b;
    }
  }
  return { weights, shared: combine(G, weights) };
}

/**
 * Aligned-MTL (Senushkin, Patakin, Kuznetsov & Konushin 2023): removes dominance and conflict by giving
 * the task gradient matrix equal singular values (the smallest one) before summing. Conventions (as
 * LibMTL): heads get their own gradient; the reported weights are α.
 */
export function alignedMtlWeighting(opts: AlignedMtlOptions = {}): Weighting<null> {
  const who = 'aligned-mtl';
  checkOptions(opts, ['eps'], who);
  const eps = numberOption(opts.eps ?? 1.1920928955078125e-7, 'eps', who, 0);
  return {
    name: who,
    init: () => ({ state: null, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G }) => {
        const r = alignedMtlAggregate(G, eps);
        return { shared: r.shared, weights: r.weights, state };
      }),
  };
}
