import { checkOptions, numberOption } from '../conditioning/options.js';
import { sampledAggregationStep } from './aggregate.js';
import { combine, dot } from './linalg.js';
import { restrict } from './modo.js';
import type { Weighting } from './types.js';

/** Options of sdmgradWeighting (LibMTL's SDMGrad_* defaults; the inner solver's are fixed in LibMTL). */
export interface SdmgradOptions {
  /** λ: how strongly the direction is pulled towards the average gradient (LibMTL `SDMGrad_lamda`); default 0.3. */
  lambda?: number;
  /** Projected momentum-SGD iterations on the weights per step (LibMTL `SDMGrad_niter`); default 20. */
  iterations?: number;
  /** Learning rate of those iterations; default 5 (LibMTL's fixed value). */
  innerLr?: number;
  /** Their heavy-ball momentum, restarted every step; default 0.5 (LibMTL's fixed value). */
  innerMomentum?: number;
}

/** SDMGrad's state: the weights w of every task, on the simplex (1/K at the start), carried across steps. */
export interface SdmgradState {
  readonly w: readonly number[];
}

/**
 * Euclidean projection onto the probability simplex by sorting (Held et al. 1974), written as LibMTL's
 * SDMGrad writes the test (u_i (i+1) > Σ_{j≤i} u_j − 1) and with its exit: a point already on the
 * simplex, Σw = 1 exactly, is returned as it is.
 */
export function sdmgradProject(w: readonly number[]): number[] {
  if (w.every((v) => v >= 0) && w.reduce((a, b) => a + b, 0) === 1) return w.slice();
  const u = w.slice().sort((a, b) => b - a);
  let cs = 0;
  let theta = 0;
  for (let i = 0; i < u.length; i++) {
    cs += u[i];
    if (u[i] * (i + 1) > cs - 1) theta = (cs - 1) / (i + 1);
  }
  return w.map((v) => Math.max(v - theta, 0));
}

/** One SDMGrad step's results: the new weights, the update and its coefficients on sample 0's gradients. */
export interface SdmgradResult {
  readonly w: number[];
  readonly shared: Float64Array;
  readonly coefficients: number[];
}

/**
 * One SDMGrad update on plain vectors, from three independent samples G[0], G[1], G[2] of the K x d task
 * gradients. The weights solve min_{w ∈ simplex} ½‖Gᵀw + λ ḡ‖² (ḡ: the mean task gradient) by
 * `iterations` projected momentum-SGD steps from the last step's w, with the stochastic gradient
 * A w + λ A 1/K, A = G[1] G[2]ᵀ (an unbiased estimate of G Gᵀ from two independent samples), scaled by
 * the squared mean gradient norm so that one learning rate fits any gradient scale. The update is
 * (G[0]ᵀ w + λ ḡ₀) / (1 + λ) on the first sample.
 */
export function sdmgradAggregate(
  G: readonly (readonly ArrayLike<number>[])[],
  w0: readonly number[],
  o: Required<SdmgradOptions>,
): SdmgradResult {
  if (G.length !== 3)
    throw new Error(`sdmgrad: needs 3 gradient samples (LossOracle.samples), got ${G.length}`);
  const K = w0.length;
  const A = G[1].map((a) => G[2].map((b) => dot(a, b)));
  const s = A.reduce((acc, row, i) => acc + Math.sqrt(Math.max(row[i], 0)), 0) / K;
  const scale = s * s + 1e-8;
  const An = A.map((row) => row.map((v) => v / scale));
  const a = An.map((row) => row.reduce((acc, v) => acc + v, 0) / K);
  let w = w0.slice();
  let buf: number[] | null = null;
  for (let it = 0; it < o.iterations; it++) {
    const g = An.map((row, i) => dot(row, w) + o.lambda * a[i]);
    const b: number[] = buf === null ? g : buf.map((v, i) => o.innerMomentum * v + g[i]);
    buf = b;
    w = sdmgradProject(w.map((v, i) => v - o.innerLr * b[i]));
  }
  const coefficients = w.map((v) => (v + o.lambda / K) / (1 + o.lambda));
  return { w, shared: combine(G[0], coefficients), coefficients };
}

/**
 * SDMGrad, stochastic direction-oriented multi-objective gradient descent (Xiao, Ban & Ji 2023,
 * "Direction-oriented multi-objective learning: simple and provable stochastic algorithms", NeurIPS):
 * MGDA's common descent direction regularised towards the average gradient, d = (Gᵀw + λ ḡ)/(1 + λ) with
 * w minimising ½‖Gᵀw + λ ḡ‖² on the simplex, solved inexactly by a few stochastic projected steps
 * warm-started from the last step, on three independent mini-batches per step (`samples: 3`): two
 * for the weights' gradient, one for the update (the paper's SDMGrad; its objective sampling variant
 * SDMGrad-OS is not implemented). λ = 0 is stochastic MGDA, large λ is equal weighting.
 * Conventions (as LibMTL): heads get the sum of their own gradient over the three batches (not the
 * mean, unlike MoDo); reported weights are the effective coefficients (w_t + λ/K)/(1 + λ) (LibMTL
 * returns none); reported losses are the mean over the batches. With task sampling the step's tasks'
 * weights are renormalised to the simplex first and scaled back after.
 */
export function sdmgradWeighting(opts: SdmgradOptions = {}): Weighting<SdmgradState> {
  const who = 'sdmgrad';
  checkOptions(opts, ['lambda', 'iterations', 'innerLr', 'innerMomentum'], who);
  const o: Required<SdmgradOptions> = {
    lambda: numberOption(opts.lambda ?? 0.3, 'lambda', who, 0),
    iterations: numberOption(opts.iterations ?? 20, 'iterations', who, 0),
    innerLr: numberOption(opts.innerLr ?? 5, 'innerLr', who, 0),
    innerMomentum: numberOption(opts.innerMomentum ?? 0.5, 'innerMomentum', who, 0, 1),
  };
  if (!Number.isInteger(o.iterations)) throw new Error(`${who}: option 'iterations' must be an integer`);
  return {
    name: who,
    samples: 3,
    init: ({ numTasks }) => ({ state: { w: new Array<number>(numTasks).fill(1 / numTasks) }, params: {} }),
    step: (params, oracle, state, info) =>
      sampledAggregationStep(params, oracle, state, info, ({ G, tasks }) => {
        const { sub, put } = restrict(state.w, tasks);
        const r = sdmgradAggregate(G, sub, o);
        return {
          shared: r.shared,
          weights: r.coefficients,
          heads: tasks.map(() => 1),
          state: { w: put(r.w) },
        };
      }),
  };
}
