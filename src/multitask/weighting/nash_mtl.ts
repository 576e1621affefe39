import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { type Mat, combine, dot, gramOf, matVec, norm, solve } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of nashMtlWeighting. */
export interface NashMtlOptions {
  /** Clip the shared gradient to this norm, 0 for no clipping; default 1 (Navon et al.'s code, LibMTL). */
  maxNorm?: number;
  /** Divide GGᵀ by its Frobenius norm before solving, as Navon et al.'s code and LibMTL do; default true. */
  normalise?: boolean;
}

/**
 * The Nash bargaining weights of Navon et al. (2022): α > 0 with M α = 1/α (elementwise). That is the
 * stationarity condition of the strictly convex φ(α) = ½ αᵀMα − Σ log α_t, which is minimised here by
 * damped Newton steps that keep α positive (the paper instead solves a sequence of convex programs with
 * cvxpy). A zero diagonal entry (a task with no gradient) gets a ridge of 1e-12 of the largest one.
 */
export function nashWeights(M: Mat, tol = 1e-13, maxIter = 200): number[] {
  const K = M.length;
  const big = Math.max(1e-300, ...M.map((r, i) => r[i]));
  const A = M.map((r, i) => r.map((v, j) => (i === j && r[i] <= 1e-12 * big ? v + 1e-12 * big : v)));
  const phi = (a: number[]) => 0.5 * dot(a, matVec(A, a)) - a.reduce((s, v) => s + Math.log(v), 0);
  const sum = A.reduce((s, r) => s + r.reduce((x, y) => x + y, 0), 0);
  let a = new Array<number>(K).fill(Math.sqrt(K / Math.max(sum, 1e-300)));
  for (let it = 0; it < maxIter; it++) {
    const Aa = matVec(A, a);
    const g = Aa.map((v, i) => v - 1 / a[i]);
    const H = A.map((r, i) => r.map((v, j) => (i === j ? v + 1 / (a[i] * a[i]) : v)));
    const step = solve(
      H,
      g.map((v) => -v),
    );
    // Stop on the condition itself: α_t (Mα)_t = 1 for every t.
    if (Aa.every((v, i) => Math.abs(v * a[i] - 1) < tol)) break;
    let t = 1;
    const f0 = phi(a);
    for (let bt = 0; bt < 60; bt++, t /= 2) {
      const cand = a.map((v, i) => v + t * step[i]);
      // Armijo, with a floor for rounding once the decrease is below float64 resolution of phi.
      if (cand.every((v) => v > 0) && phi(cand) <= f0 + 0.25 * t * dot(g, step) + 1e-15 * Math.abs(f0)) {
        a = cand;
        break;
      }
    }
  }
  return a;
}

/** Nash-MTL on plain vectors: weights α, Σ α_t g_t, then the norm clip. */
export function nashMtlAggregate(
  G: readonly ArrayLike<number>[],
  opts: { maxNorm?: number; normalise?: boolean } = {},
): { weights: number[]; shared: Float64Array } {
  let M = gramOf(G);
  if (opts.normalise ?? true) {
    const fro = Math.sqrt(M.reduce((s, r) => s + dot(r, r), 0));
    if (fro > 0) M = M.map((r) => r.map((v) => v / fro));
  }
  const weights = nashWeights(M);
  const shared = combine(G, weights);
  const maxNorm = opts.maxNorm ?? 1;
  const n = norm(shared);
  // PyTorch's clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
  if (maxNorm > 0 && maxNorm / (n + 1e-6) < 1)
    for (let q = 0; q < shared.length; q++) shared[q] *= maxNorm / (n + 1e-6);
  return { weights, shared };
}

/**
 * Nash-MTL (Navon et al. 2022): the update Σ α_t g_t with α the Nash bargaining solution, M α = 1/α for
 * M = GGᵀ, so every task's gain g_tᵀ(Gᵀα) is 1/α_t: no task is sacrificed and the update is invariant to
 * a task's loss scale. Conventions (Navon et al.'s code and LibMTL): M is Frobenius-normalised; heads
 * get α_t times their own gradient (it backpropagates Σ α_t L_t); the shared gradient is clipped to
 * `maxNorm`; weights are solved every step (LibMTL's update_weights_every = 1).
 */
export function nashMtlWeighting(opts: NashMtlOptions = {}): Weighting<null> {
  const who = 'nash-mtl';
  checkOptions(opts, ['maxNorm', 'normalise'], who);
  const maxNorm = numberOption(opts.maxNorm ?? 1, 'maxNorm', who, 0);
  const normalise = opts.normalise ?? true;
  if (typeof normalise !== 'boolean')
    throw new Error(`${who}: option 'normalise' must be true or false, got ${JSON.stringify(normalise)}`);
  return {
    name: who,
    init: () => ({ state: null, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G, tasks }) => {
        if (G[0].length === 0) return { shared: G[0], weights: tasks.map(() => 1), state };
        const r = nashMtlAggregate(G, { maxNorm, normalise });
        return { shared: r.shared, weights: r.weights, heads: r.weights, state };
      }),
  };
}
