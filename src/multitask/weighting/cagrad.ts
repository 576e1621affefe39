import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { type Mat, combine, dot, gramOf, matVec, norm, projectSimplex } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of caGradWeighting. */
export interface CaGradOptions {
  /** Radius c of the ball around the mean gradient, relative to its norm (LibMTL `calpha`); default 0.5. */
  calpha?: number;
  /** Divide the result by 1 (0), 1 + c² (1, default, as Liu et al.'s code) or 1 + c (2). */
  rescale?: 0 | 1 | 2;
}

/**
 * CAGrad's dual weights: min over the simplex of f(w) = wᵀA b + c √(wᵀAw + 1e-8), A = GGᵀ, b = 1/K,
 * c = calpha √(mean A + 1e-8) + 1e-8, solved to convergence by projected gradient descent with
 * backtracking. LibMTL's SLSQP run (ftol 1e-6, numerical gradients) stops earlier: its weights differ
 * from this exact solution by up to about 2e-4.
 */
export function caGradWeights(A: Mat, calpha: number): { w: number[]; c: number } {
  const K = A.length;
  const meanA = A.reduce((s, r) => s + r.reduce((x, y) => x + y, 0), 0) / (K * K);
  const c = calpha * Math.sqrt(meanA + 1e-8) + 1e-8;
  const Ab = A.map((r) => r.reduce((x, y) => x + y, 0) / K);
  const f = (w: number[]) => dot(w, Ab) + c * Math.sqrt(dot(w, matVec(A, w)) + 1e-8);
  const grad = (w: number[]) => {
    const Aw = matVec(A, w);
    const r = Math.sqrt(dot(w, Aw) + 1e-8);
    return Ab.map((v, i) => v + (c * Aw[i]) / r);
  };
  let w = new Array<number>(K).fill(1 / K);
  let fw = f(w);
  let step = 1 / Math.max(1e-300, A.reduce((s, r, i) => s + r[i], 0) * (1 + calpha));
  for (let it = 0; it < 20000; it++) {
    const g = grad(w);
    let next = w;
    let fn = fw;
    for (let bt = 0; bt < 60; bt++) {
      const cand = projectSimplex(w.map((v, i) => v - step * g[i]));
      const diff = cand.map((v, i) => v - w[i]);
      const fc = f(cand);
      if (fc <= fw + dot(g, diff) + dot(diff, diff) / (2 * step)) {
        next = cand;
        fn = fc;
        break;
      }
      step /= 2;
    }
    const moved = next.reduce((s, v, i) => s + Math.abs(v - w[i]), 0);
    w = next;
    fw = fn;
    if (moved < 1e-15) break;
    step *= 1.5;
  }
  return { w, c };
}

/** CAGrad on plain vectors: g_0 + c ‖g_0‖-ball step towards the worst task, from given or solved weights. */
export function caGradAggregate(
  G: readonly ArrayLike<number>[],
  opts: { calpha?: number; rescale?: 0 | 1 | 2; weights?: readonly number[] } = {},
): { weights: number[]; shared: Float64Array } {
  const calpha = opts.calpha ?? 0.5;
  const rescale = opts.rescale ?? 1;
  const A = gramOf(G);
  const K = G.length;
  const solved = caGradWeights(A, calpha);
  const w = opts.weights ? opts.weights.slice() : solved.w;
  const gw = combine(G, w);
  const lambda = solved.c / (norm(gw) + 1e-8);
  const g = combine(G, new Array<number>(K).fill(1 / K));
  const div = rescale === 0 ? 1 : rescale === 1 ? 1 + calpha * calpha : 1 + calpha;
  for (let q = 0; q < g.length; q++) g[q] = (g[q] + lambda * gw[q]) / div;
  return { weights: w, shared: g };
}

/**
 * Conflict-averse gradient descent (Liu, Liu, Jin, Stone & Liu 2021): the update maximises the worst
 * task's improvement within a ball of radius c‖g_0‖ around the mean gradient g_0. Conventions (as
 * LibMTL): heads get their own gradient; the reported weights are the dual weights w. Ours solves the
 * dual exactly (LibMTL uses SLSQP with its default tolerance).
 */
export function caGradWeighting(opts: CaGradOptions = {}): Weighting<null> {
  const who = 'cagrad';
  checkOptions(opts, ['calpha', 'rescale'], who);
  const calpha = numberOption(opts.calpha ?? 0.5, 'calpha', who, 0);
  const rescale = opts.rescale ?? 1;
  if (rescale !== 0 && rescale !== 1 && rescale !== 2)
    throw new Error(`${who}: option 'rescale' must be 0, 1 or 2, got ${JSON.stringify(rescale)}`);
  return {
    name: who,
    init: () => ({ state: null, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G }) => {
        const r = caGradAggregate(G, { calpha, rescale });
        return { shared: r.shared, weights: r.weights, state };
      }),
  };
}
