import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { combine } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of excessMtlWeighting. */
export interface ExcessMtlOptions {
  /** Step of the multiplicative weight update (LibMTL `robust_step_size`); default 0.01. */
  stepSize?: number;
}

/** ExcessMTL's state: task weights ω, the AdaGrad sums of squared gradients, each task's first excess. */
export interface ExcessMtlState {
  readonly omega: number[];
  readonly sums: (Float64Array | null)[];
  readonly initial: (number | null)[];
}

/**
 * One ExcessMTL update on plain vectors: S_t += g_t²; the excess-risk estimate w_t = Σ g_t² / √(S_t +
 * 1e-7) (a diagonal second-order model); from the second call on, ω ← ω exp(step w / w_first) and
 * ω ← K ω / Σ ω. `sums` and `initial` are updated in place; returns ω and Σ ω_t g_t.
 */
export function excessMtlAggregate(
  G: readonly ArrayLike<number>[],
  omega: readonly number[],
  sums: (Float64Array | null)[],
  initial: (number | null)[],
  stepSize: number,
): { omega: number[]; shared: Float64Array } {
  const K = G.length;
  const d = K > 0 ? G[0].length : 0;
  const w = G.map((g, t) => {
    const S = sums[t] ?? new Float64Array(d);
    let e = 0;
    for (let q = 0; q < d; q++) {
      S[q] += g[q] * g[q];
      e += (g[q] * g[q]) / Math.sqrt(S[q] + 1e-7);
    }
    sums[t] = S;
    return e;
  });
  let next = omega.slice();
  if (initial.every((v) => v !== null)) {
    next = next.map((o, t) => o * Math.exp((stepSize * w[t]) / initial[t]!));
    const s = next.reduce((a, b) => a + b, 0);
    next = next.map((o) => (K * o) / s);
  }
  w.forEach((v, t) => {
    if (initial[t] === null) initial[t] = v;
  });
  return { omega: next, shared: combine(G, next) };
}

/**
 * ExcessMTL (He, Zhang, Nguyen & Zhao 2024, "Robust multi-task learning with excess risks"): task
 * weights grow with each task's estimated excess risk (its distance from its own optimum, from an
 * AdaGrad-style diagonal model) relative to the first step's, so tasks far from convergence get more
 * weight and noisy tasks are not over-weighted. Conventions (as LibMTL): heads get ω_t times their own
 * gradient; reported weights are ω. With task sampling, a task's first step sets its reference excess
 * and ω of the step's tasks is renormalised among them.
 */
export function excessMtlWeighting(opts: ExcessMtlOptions = {}): Weighting<ExcessMtlState> {
  const who = 'excess-mtl';
  checkOptions(opts, ['stepSize'], who);
  const stepSize = numberOption(opts.stepSize ?? 1e-2, 'stepSize', who, 0);
  return {
    name: who,
    init: ({ numTasks }) => ({
      state: {
        omega: new Array(numTasks).fill(1),
        sums: new Array(numTasks).fill(null),
        initial: new Array(numTasks).fill(null),
      },
      params: {},
    }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G, tasks }) => {
        const d = G.length > 0 ? G[0].length : 0;
        const sums = tasks.map((t) => {
          const s = state.sums[t];
          return s !== null && s.length === d ? s : null;
        });
        const initial = tasks.map((t) => state.initial[t]);
        const r = excessMtlAggregate(
          G,
          tasks.map((t) => state.omega[t]),
          sums,
          initial,
          stepSize,
        );
        const next: ExcessMtlState = {
          omega: state.omega.slice(),
          sums: state.sums.slice(),
          initial: state.initial.slice(),
        };
        tasks.forEach((t, i) => {
          next.omega[t] = r.omega[i];
          next.sums[t] = sums[i];
          next.initial[t] = initial[i];
        });
        return { shared: r.shared, weights: r.omega, heads: r.omega, state: next };
      }),
  };
}
