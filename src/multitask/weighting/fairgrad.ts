import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { combine, gramOf, matVec, solve } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of fairGradWeighting. */
export interface FairGradOptions {
  /** The α of α-fairness (LibMTL `FairGrad_alpha`): 1 is proportional fairness, larger is closer to max-min; default 1. */
  alpha?: number;
}

/**
 * FairGrad's weights: the root w > 0 of (G Gᵀ) w = w^{-1/α} (elementwise power), found by damped Newton
 * steps on the strictly convex ½ wᵀAw − Σ_t h(w_t) (h' = w^{-1/α}), whose gradient that equation is,
 * from w = 1/K as LibMTL starts. Returns the iterate of least residual if 100 steps do not reach it (no
 * root exists when G Gᵀ is singular along a positive direction).
 */
export function fairGradWeights(G: readonly ArrayLike<number>[], alpha: number): number[] {
  const K = G.length;
  const A = gramOf(G);
  const p = -1 / alpha;
  // h(w) with h'(w) = w^p: log w for α = 1, else w^{p+1} / (p + 1).
  const h = (w: number) => (alpha === 1 ? Math.log(w) : Math.pow(w, p + 1) / (p + 1));
  const phi = (w: number[]) =>
    0.5 * matVec(A, w).reduce((s, v, i) => s + v * w[i], 0) - w.reduce((s, v) => s + h(v), 0);
  const residual = (w: number[]) => matVec(A, w).map((v, i) => v - Math.pow(w[i], p));
  let w = new Array<number>(K).fill(1 / K);
  let best = w;
  let bestNorm = Infinity;
  for (let it = 0; it < 100; it++) {
    const F = residual(w);
    const n = Math.max(...F.map(Math.abs));
    if (n < bestNorm) {
      best = w;
      bestNorm = n;
    }
    if (n <= 1e-15 * Math.max(1, ...w.map((v) => Math.pow(v, p)))) break;
    const H = A.map((row, i) => row.map((v, j) => (i === j ? v - p * Math.pow(w[i], p - 1) : v)));
    const d = solve(H, F).map((v) => -v);
    const f0 = phi(w);
    const slope = F.reduce((s, v, i) => s + v * d[i], 0);
    let t = 1;
    let next = w.map((v, i) => v + t * d[i]);
    while ((next.some((v) => !(v > 0)) || phi(next) > f0 + 1e-4 * t * slope) && t > 1e-12) {
      t /= 2;
      next = w.map((v, i) => v + t * d[i]);
    }
    if (next.some((v) => !(v > 0))) break;
    w = next;
  }
  const last = Math.max(...residual(w).map(Math.abs));
  return last <= bestNorm ? w : best;
}

/**
 * FairGrad (Ban & Ji 2024, "Fair resource allocation in multi-task learning"): the update d = Σ w_t g_t
 * whose per-task improvements g_tᵀd equal w_t^{-1/α}, i.e. the α-fair allocation of the shared
 * update among the tasks (the α-fair utility's optimality condition). Conventions (as LibMTL): the
 * weights also scale each task's heads; reported weights are w. LibMTL solves the equation by scipy's
 * bounded least squares (tolerance 1e-8); this solves it to float64 precision. With no shared
 * parameter reached (independent networks) the equation has no root; the weights are then 1.
 */
export function fairGradWeighting(opts: FairGradOptions = {}): Weighting<null> {
  const who = 'fairgrad';
  checkOptions(opts, ['alpha'], who);
  const alpha = numberOption(opts.alpha ?? 1, 'alpha', who, Number.MIN_VALUE);
  return {
    name: who,
    init: () => ({ state: null, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G }) => {
        const d = G.length > 0 ? G[0].length : 0;
        const w = d === 0 ? new Array<number>(G.length).fill(1) : fairGradWeights(G, alpha);
        return { shared: combine(G, w), weights: w, heads: w, state };
      }),
  };
}
