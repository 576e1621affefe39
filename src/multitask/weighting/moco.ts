import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { norm } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of mocoWeighting (LibMTL's MoCo_* defaults). */
export interface MocoOptions {
  /** Step of the gradient tracking y, decayed as beta / k^betaSigma; defaults 0.5 and 0.5. */
  beta?: number;
  betaSigma?: number;
  /** Step of the weights λ, decayed as gamma / k^gammaSigma; defaults 0.1 and 0.5. */
  gamma?: number;
  gammaSigma?: number;
  /** Ridge on yyᵀ in the λ update; default 0. */
  rho?: number;
}

/** MoCo's state: the tracked gradients y_t (null before a task's first step), weights λ and the call count. */
export interface MocoState {
  readonly y: (Float64Array | null)[];
  readonly lambda: number[];
  readonly k: number;
}

/**
 * One MoCo update on plain vectors (Fernando et al. 2023): ĝ_t = L_t g_t / (‖g_t‖ + 1e-8);
 * y ← y − (β/k^σβ)(y − ĝ); λ ← softmax(λ − (γ/k^σγ)(yyᵀ + ρI)λ); the update is yᵀλ. `y` (null
 * starts at zero) is updated in place; returns the new λ and the update.
 */
export function mocoAggregate(
  G: readonly ArrayLike<number>[],
  losses: readonly number[],
  y: (Float64Array | null)[],
  lambda: readonly number[],
  k: number,
  o: Required<MocoOptions>,
): { lambda: number[]; shared: Float64Array } {
  const K = G.length;
  const d = K > 0 ? G[0].length : 0;
  const b = o.beta / Math.pow(k, o.betaSigma);
  const c = o.gamma / Math.pow(k, o.gammaSigma);
  G.forEach((g, t) => {
    const n = norm(g) + 1e-8;
    const yt = y[t] ?? new Float64Array(d);
    for (let q = 0; q < d; q++) yt[q] -= b * (yt[q] - (g[q] / n) * losses[t]);
    y[t] = yt;
  });
  const yy = y.map((a) => y.map((bb) => a!.reduce((s, v, q) => s + v * bb![q], 0)));
  const z = lambda.map((l, i) => l - c * (yy[i].reduce((s, v, j) => s + v * lambda[j], 0) + o.rho * l));
  const mx = Math.max(...z);
  const e = z.map((v) => Math.exp(v - mx));
  const se = e.reduce((a, v) => a + v, 0);
  const next = e.map((v) => v / se);
  const shared = new Float64Array(d);
  y.forEach((yt, t) => {
    for (let q = 0; q < d; q++) shared[q] += next[t] * yt![q];
  });
  return { lambda: next, shared };
}

/**
 * MoCo (Fernando, Shen, Liu, Chaudhury, Murugesan & Chen 2023, "Mitigating gradient bias in
 * multi-objective learning"): MGDA-style weights tracked by a stochastic double-sampling-free
 * recursion on momentum-corrected gradients. Conventions (as LibMTL): the gradients are normalised and
 * scaled by their loss; heads get their own gradient; reported weights are λ. With task sampling, the
 * step's tasks' λ are renormalised to their previous total before the update and scaled back after.
 */
export function mocoWeighting(opts: MocoOptions = {}): Weighting<MocoState> {
  const who = 'moco';
  checkOptions(opts, ['beta', 'betaSigma', 'gamma', 'gammaSigma', 'rho'], who);
  const o: Required<MocoOptions> = {
    beta: numberOption(opts.beta ?? 0.5, 'beta', who, 0, 1),
    betaSigma: numberOption(opts.betaSigma ?? 0.5, 'betaSigma', who, 0),
    gamma: numberOption(opts.gamma ?? 0.1, 'gamma', who, 0),
    gammaSigma: numberOption(opts.gammaSigma ?? 0.5, 'gammaSigma', who, 0),
    rho: numberOption(opts.rho ?? 0, 'rho', who, 0),
  };
  return {
    name: who,
    init: ({ numTasks }) => ({
      state: { y: new Array(numTasks).fill(null), lambda: new Array(numTasks).fill(1 / numTasks), k: 0 },
      params: {},
    }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G, losses, tasks }) => {
        const k = state.k + 1;
        const d = G.length > 0 ? G[0].length : 0;
        const y = tasks.map((t) => {
          const v = state.y[t];
          return v !== null && v.length === d ? v : null;
        });
        const mass = tasks.reduce((s, t) => s + state.lambda[t], 0);
        const r = mocoAggregate(
          G,
          losses,
          y,
          tasks.map((t) => state.lambda[t] / mass),
          k,
          o,
        );
        const ys = state.y.slice();
        const lambda = state.lambda.slice();
        tasks.forEach((t, i) => {
          ys[t] = y[i];
          lambda[t] = r.lambda[i] * mass;
        });
        return { shared: r.shared, weights: r.lambda, state: { y: ys, lambda, k } };
      }),
  };
}
