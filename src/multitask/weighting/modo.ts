import { checkOptions, numberOption } from '../conditioning/options.js';
import { sampledAggregationStep } from './aggregate.js';
import { combine, dot } from './linalg.js';
import { senerProject } from './mgda.js';
import type { Weighting } from './types.js';

/** Options of modoWeighting (LibMTL's MoDo_* defaults). */
export interface ModoOptions {
  /** Step size γ of the projected update of the weights λ (LibMTL `MoDo_gamma`); default 1e-3. */
  gamma?: number;
  /** Ridge ρ, a pull of λ towards uniform weights (LibMTL `MoDo_rho`); default 0.1. */
  rho?: number;
}

/** MoDo's state: the weights λ of every task, on the simplex (1/K at the start). */
export interface ModoState {
  readonly lambda: readonly number[];
}

/**
 * One MoDo update on plain vectors, from three independent samples G[0], G[1], G[2] of the K x d task
 * gradients: λ ← Π(λ − γ (G[0] G[1]ᵀ λ + ρ λ)) with Π LibMTL's simplex projection, then the update
 * Σ_t λ_t G[2]_t. G[0] G[1]ᵀ is an unbiased estimate of G Gᵀ, which one sample alone is not (the double
 * sampling of the paper); the third sample keeps the update independent of λ.
 */
export function modoAggregate(
  G: readonly (readonly ArrayLike<number>[])[],
  lambda: readonly number[],
  gamma: number,
  rho: number,
): { lambda: number[]; shared: Float64Array } {
  if (G.length !== 3) throw new Error(`modo: needs 3 gradient samples (LossOracle.samples), got ${G.length}`);
  const d = G[1].length > 0 ? G[1][0].length : 0;
  // G[1]ᵀλ first: one pass over d instead of the K x K product.
  const u = new Float64Array(d);
  G[1].forEach((g, t) => {
    for (let i = 0; i < d; i++) u[i] += lambda[t] * g[i];
  });
  const next = senerProject(lambda.map((l, t) => l - gamma * (dot(G[0][t], u) + rho * l)));
  return { lambda: next, shared: combine(G[2], next) };
}

/**
 * MoDo, multi-objective gradient with double sampling (Chen, Fernando, Ying & Chen 2023, "Three-way
 * trade-off in multi-objective learning: optimization, generalization and conflict-avoidance",
 * NeurIPS): MGDA's min-norm weights λ are not solved for each step but followed by one projected
 * stochastic gradient step on ½‖Gᵀλ‖² + ½ρ‖λ‖² per step, with two independent gradient samples for an
 * unbiased estimate, and the update uses a third. It needs three mini-batches per step (`samples: 3`).
 * Conventions (as LibMTL): reported weights are λ after the step's update; heads get the mean of their
 * own gradient over the three batches; reported losses are the mean over them. With task sampling
 * the step's tasks' λ are renormalised to the simplex before the update and scaled back after.
 */
export function modoWeighting(opts: ModoOptions = {}): Weighting<ModoState> {
  const who = 'modo';
  checkOptions(opts, ['gamma', 'rho'], who);
  const gamma = numberOption(opts.gamma ?? 1e-3, 'gamma', who, 0);
  const rho = numberOption(opts.rho ?? 0.1, 'rho', who, 0);
  return {
    name: who,
    samples: 3,
    init: ({ numTasks }) => ({
      state: { lambda: new Array<number>(numTasks).fill(1 / numTasks) },
      params: {},
    }),
    step: (params, oracle, state, info) =>
      sampledAggregationStep(params, oracle, state, info, ({ G, tasks }) => {
        const { sub, put } = restrict(state.lambda, tasks);
        const r = modoAggregate(G, sub, gamma, rho);
        return {
          shared: r.shared,
          weights: r.lambda,
          heads: tasks.map(() => 1 / G.length),
          state: { lambda: put(r.lambda) },
        };
      }),
  };
}

/**
 * The step's tasks' share of simplex weights w, renormalised to sum 1 (uniform if it is 0), and a way
 * to write updated shares back with their previous total, so the tasks not drawn keep theirs. Without
 * task sampling this is w itself.
 */
export function restrict(
  w: readonly number[],
  tasks: readonly number[],
): { sub: number[]; put: (next: readonly number[]) => number[] } {
  const mass = tasks.reduce((a, t) => a + w[t], 0);
  const all = tasks.length === w.length;
  const sub = all ? tasks.map((t) => w[t]) : tasks.map((t) => (mass > 0 ? w[t] / mass : 1 / tasks.length));
  const put = (next: readonly number[]) => {
    const out = w.slice();
    // A drawn set with no weight has none to share out: it keeps its zeros.
    if (all || mass > 0) tasks.forEach((t, i) => (out[t] = all ? next[i] : next[i] * mass));
    return out;
  };
  return { sub, put };
}
