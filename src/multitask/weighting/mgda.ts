import { checkOptions } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { type Mat, combine, gramOf, matVec, norm } from './linalg.js';
import type { Weighting } from './types.js';

/** How MGDA scales each task gradient before the min-norm solve (LibMTL's `mgda_gn`). */
export type MgdaNormalisation = 'none' | 'l2' | 'loss' | 'loss+';

/** Which min-norm solver MGDA uses. */
export type MgdaSolver = 'sener' | 'frank-wolfe';

/** Options of mgdaWeighting. */
export interface MgdaOptions {
  /** Gradient scaling: none, ‖g‖ ('l2'), the loss ('loss') or both ('loss+'); default 'none'. */
  normalisation?: MgdaNormalisation;
  /**
   * 'frank-wolfe' (default): pairwise Frank-Wolfe with exact line search, run until the duality gap is
   * below 1e-12 of the largest squared gradient norm (the exact min-norm point). 'sener': the solver of
   * Sener & Koltun's code as LibMTL runs it, which matches LibMTL's weights to rounding but is
   * approximate: it stops when its damped step (the line search is clamped to [0.001, 0.999]) moves
   * the weights less than 1e-5, which with 5 random gradients we saw leave a duality gap of 1.2 on a
   * squared norm of 0.25.
   */
  solver?: MgdaSolver;
}

/** The best point on the segment between two vectors (Sener & Koltun's `_min_norm_element_from2`). */
function from2(v11: number, v12: number, v22: number): [number, number] {
  if (v12 >= v11) return [0.999, v11];
  if (v12 >= v22) return [0.001, v22];
  const gamma = -(v12 - v22) / (v11 + v22 - 2 * v12);
  return [gamma, v22 + gamma * (v12 - v22)];
}

function quad(M: Mat, x: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < y.length; j++) s += x[i] * y[j] * M[i][j];
  return s;
}

/** The best pair of gradients: the starting point of both solvers. */
function bestPair(M: Mat): number[] {
  const K = M.length;
  const x = new Array<number>(K).fill(0);
  if (K === 1) return [1];
  let dmin = 1e8;
  let sol: [number, number, number] = [0, 1, 0.5];
  for (let i = 0; i < K; i++) {
    for (let j = i + 1; j < K; j++) {
      const [c, d] = from2(M[i][i], M[i][j], M[j][j]);
      if (d < dmin) {
        dmin = d;
        sol = [i, j, c];
      }
    }
  }
  x[sol[0]] = sol[2];
  x[sol[1]] = 1 - sol[2];
  return x;
}

/** LibMTL's projection onto the simplex (`_projection2simplex`; MoDo uses it too). */
export function senerProject(y: readonly number[]): number[] {
  const m = y.length;
  const s = y.slice().sort((a, b) => b - a);
  let tmaxF = (y.reduce((a, b) => a + b, 0) - 1) / m;
  let tmp = 0;
  for (let i = 0; i < m - 1; i++) {
    tmp += s[i];
    const tmax = (tmp - 1) / (i + 1);
    if (tmax > s[i + 1]) {
      tmaxF = tmax;
      break;
    }
  }
  return y.map((v) => Math.max(v - tmaxF, 0));
}

function senerNextPoint(x: readonly number[], grad: readonly number[]): number[] {
  const n = x.length;
  const mean = grad.reduce((a, b) => a + b, 0) / n;
  const p = grad.map((g) => g - mean);
  let t = 1;
  const tm1 = p.flatMap((v, i) => (v < 0 ? [-x[i] / v] : [])).filter((v) => v > 1e-7);
  const tm2 = p.flatMap((v, i) => (v > 0 ? [(1 - x[i]) / v] : [])).filter((v) => v > 1e-7);
  if (tm1.length > 0) t = Math.min(...tm1);
  if (tm2.length > 0) t = Math.min(t, ...tm2);
  return senerProject(x.map((v, i) => v + t * p[i]));
}

/**
 * Weights on the simplex of the min-norm point of the convex hull of vectors with Gram matrix M, by the
 * solver of Sener & Koltun (2018) as LibMTL runs it: start from the best pair, then up to 250 projected
 * gradient steps with the two-point line search, stopping when the weights move less than 1e-5 in L1.
 */
export function minNormSener(M: Mat): number[] {
  let x = bestPair(M);
  if (M.length < 3) return x;
  for (let it = 0; it < 250; it++) {
    const y = senerNextPoint(
      x,
      matVec(M, x).map((v) => -v),
    );
    const [nc] = from2(quad(M, x, x), quad(M, x, y), quad(M, y, y));
    const next = x.map((v, i) => nc * v + (1 - nc) * y[i]);
    if (next.reduce((a, v, i) => a + Math.abs(v - x[i]), 0) < 1e-5) return x;
    x = next;
  }
  return x;
}

/**
 * The same problem by pairwise Frank-Wolfe (Lacoste-Julien & Jaggi 2015), which converges linearly on
 * the simplex where plain Frank-Wolfe (Jaggi 2013) crawls: move weight from the support vertex of
 * largest (Mx)_t to the vertex of least (Mx)_t, with exact line search, until xᵀMx − min_t (Mx)_t
 * (the duality gap) and max over the support of (Mx)_t − xᵀMx are below `tol` times the largest
 * diagonal entry.
 */
export function minNormFrankWolfe(M: Mat, tol = 1e-12, maxIter = 10000): number[] {
  const K = M.length;
  const x = bestPair(M);
  const scale = Math.max(1e-300, ...M.map((r, i) => r[i]));
  for (let it = 0; it < maxIter; it++) {
    const Mx = matVec(M, x);
    let s = 0;
    let a = -1;
    for (let i = 0; i < K; i++) {
      if (Mx[i] < Mx[s]) s = i;
      if (x[i] > 0 && (a < 0 || Mx[i] > Mx[a])) a = i;
    }
    const xMx = Mx.reduce((acc, v, i) => acc + v * x[i], 0);
    // Stop when both the Frank-Wolfe gap and the away gap of the support vanish: the KKT conditions.
    if ((xMx - Mx[s] <= tol * scale && Mx[a] - xMx <= tol * scale) || a === s) break;
    // x + gamma (e_s - e_a): the squared norm falls by gamma ((Mx)_a - (Mx)_s) - gamma^2 curvature / 2.
    const curv = M[s][s] + M[a][a] - 2 * M[s][a];
    const gamma = Math.min(x[a], curv > 0 ? (Mx[a] - Mx[s]) / curv : x[a]);
    x[s] += gamma;
    x[a] -= gamma;
  }
  return x;
}

/** Per-task divisors of MGDA's gradient normalisation. */
export function mgdaScales(
  norms: readonly number[],
  losses: readonly number[],
  how: MgdaNormalisation,
): number[] {
  return norms.map((n, t) =>
    how === 'none' ? 1 : how === 'l2' ? n : how === 'loss' ? losses[t] : losses[t] * n,
  );
}

/**
 * MGDA on plain vectors: the normalised gradients ĝ_t = g_t / n_t, the min-norm weights of their hull,
 * and the aggregated gradient Σ_t w_t ĝ_t.
 */
export function mgdaAggregate(
  G: readonly ArrayLike<number>[],
  losses: readonly number[],
  opts: { normalisation?: MgdaNormalisation; solver?: MgdaSolver } = {},
): { weights: number[]; shared: Float64Array; scales: number[] } {
  const scales = mgdaScales(
    G.map((g) => norm(g)),
    losses,
    opts.normalisation ?? 'none',
  );
  const H = G.map((g, t) => {
    const s = scales[t] > 0 ? scales[t] : 1;
    return Float64Array.from(g, (v) => v / s);
  });
  const M = gramOf(H);
  const weights = (opts.solver ?? 'frank-wolfe') === 'sener' ? minNormSener(M) : minNormFrankWolfe(M);
  return { weights, shared: combine(H, weights), scales };
}

/**
 * MGDA (Désidéri 2012; Sener & Koltun 2018 for deep multi-task learning): the shared parameters follow
 * the min-norm point of the convex hull of the (optionally normalised) task gradients, a common descent
 * direction for every task whenever one exists. Conventions (as LibMTL): the applied vector is
 * Σ w_t ĝ_t with the normalised ĝ; heads get their own unweighted gradient; the reported weights are w.
 * Unlike LibMTL, the default solver is exact; `solver: 'sener'` reproduces LibMTL's numbers.
 */
export function mgdaWeighting(opts: MgdaOptions = {}): Weighting<null> {
  const who = 'mgda';
  checkOptions(opts, ['normalisation', 'solver'], who);
  const normalisation = opts.normalisation ?? 'none';
  if (!['none', 'l2', 'loss', 'loss+'].includes(normalisation))
    throw new Error(
      `${who}: option 'normalisation' must be 'none', 'l2', 'loss' or 'loss+', got ${JSON.stringify(normalisation)}`,
    );
  const solver = opts.solver ?? 'frank-wolfe';
  if (solver !== 'sener' && solver !== 'frank-wolfe')
    throw new Error(
      `${who}: option 'solver' must be 'sener' or 'frank-wolfe', got ${JSON.stringify(solver)}`,
    );
  return {
    name: who,
    init: () => ({ state: null, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G, losses }) => {
        const r = mgdaAggregate(G, losses, { normalisation, solver });
        return { shared: r.shared, weights: r.weights, state: null };
      }),
  };
}
