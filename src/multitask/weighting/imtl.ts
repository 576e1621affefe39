import { tf } from '../../engine/tf.js';
import { checkOptions } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { combine, dot, norm, solve } from './linalg.js';
import { WEIGHTING_PREFIX, type Weighting } from './types.js';

export const IMTL_KEY = `${WEIGHTING_PREFIX}imtl`;

/**
 * IMTL-G's closed form (Liu et al. 2021): with u_t = g_t / ‖g_t‖, D rows g_0 − g_t and U rows u_0 − u_t
 * (t ≥ 1), α_{1:} = g_0 Uᵀ (D Uᵀ)⁻¹ and α_0 = 1 − Σ α_{1:}; then Σ α_t g_t has equal projections on
 * every u_t. Returns α and the aggregated vector.
 */
export function imtlAggregate(G: readonly ArrayLike<number>[]): { alpha: number[]; shared: Float64Array } {
  const K = G.length;
  if (K === 1) return { alpha: [1], shared: Float64Array.from(G[0]) };
  const u = G.map((g) => {
    const n = norm(g);
    return Float64Array.from(g, (v) => v / n);
  });
  const d = G[0].length;
  const Drows = G.slice(1).map((g) => Float64Array.from({ length: d }, (_, q) => G[0][q] - g[q]));
  const Urows = u.slice(1).map((v) => Float64Array.from({ length: d }, (_, q) => u[0][q] - v[q]));
  const a = Urows.map((r) => dot(G[0], r));
  // alpha (D Uᵀ) = a, i.e. (D Uᵀ)ᵀ alphaᵀ = aᵀ.
  const DUt = Urows.map((ur) => Drows.map((dr) => dot(dr, ur)));
  const rest = solve(DUt, a);
  const alpha = [1 - rest.reduce((x, y) => x + y, 0), ...rest];
  return { alpha, shared: combine(G, alpha) };
}

/**
 * IMTL (Liu et al. 2021, "Towards impartial multi-task learning"), gradient part IMTL-G on loss scales
 * learned as in IMTL-L: the scaled losses e^{s_t} L_t − s_t give gradients g'_t = e^{s_t} g_t, whose
 * combination Σ α_t g'_t has equal projections on every task's unit gradient. Conventions (as LibMTL):
 * s starts at 0 and is trained by the model's optimiser on its gradient e^{s} L − 1; heads get e^{s_t}
 * times their own gradient; the reported weights are α.
 */
export function imtlWeighting(opts: Record<string, never> = {}): Weighting<null> {
  const who = 'imtl';
  checkOptions(opts, [], who);
  return {
    name: who,
    init: ({ numTasks }) => ({ state: null, params: { [IMTL_KEY]: tf.zeros([numTasks]) } }),
    step: (params, oracle, state, info) => {
      const sT = params[IMTL_KEY];
      if (sT === undefined) throw new Error(`${who}: parameter '${IMTL_KEY}' is missing from params`);
      const s = Array.from(sT.dataSync());
      return aggregationStep(params, oracle, state, info, ({ G, losses, tasks, numTasks }) => {
        const scale = tasks.map((t) => Math.exp(s[t]));
        const Gs = G.map((g, i) => Float64Array.from(g, (v) => v * scale[i]));
        const { alpha, shared } =
          G[0].length === 0 ? { alpha: tasks.map(() => 1), shared: G[0] } : imtlAggregate(Gs);
        const gs = new Float32Array(numTasks);
        tasks.forEach((t, i) => (gs[t] = scale[i] * losses[i] - 1));
        return { shared, weights: alpha, heads: scale, extra: { [IMTL_KEY]: tf.tensor1d(gs) }, state };
      });
    },
  };
}
