import type { Rng } from '../../engine/rng.js';
import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import type { Weighting } from './types.js';

/** Options of gradVacWeighting. */
export interface GradVacOptions {
  /** EMA rate of the target similarities (LibMTL `GradVac_beta`); default 0.5. */
  beta?: number;
  /**
   * 'whole' (default; LibMTL group_type 0): one similarity over the whole shared vector; 'tensor'
   * (group_type 2): one per shared parameter tensor, as Wang et al. do per layer.
   */
  groups?: 'whole' | 'tensor';
  /** 'shuffled' (default): the other tasks in a seeded random order, as LibMTL; 'fixed': ascending. */
  order?: 'shuffled' | 'fixed';
}

/**
 * GradVac's update on plain vectors. rho[i][j][k] is the EMA target similarity of tasks i, j in group k
 * (updated in place); orders[i] lists the tasks j ≠ i in the order visited. Where cos(pc_i, g_j) is
 * below the target, g_j is added to pc_i with the weight that raises the cosine to the target
 * (Wang et al. 2021, eq. 3). Returns Σ_i pc_i.
 */
export function gradVacAggregate(
  G: readonly ArrayLike<number>[],
  groups: readonly [number, number][],
  rho: number[][][],
  orders: readonly (readonly number[])[],
  beta: number,
): Float64Array {
  const K = G.length;
  const d = K > 0 ? G[0].length : 0;
  const total = new Float64Array(d);
  for (let i = 0; i < K; i++) {
    const pc = Float64Array.from(G[i]);
    for (const j of orders[i]) {
      const g = G[j];
      groups.forEach(([lo, hi], k) => {
        let ab = 0;
        let aa = 0;
        let bb = 0;
        for (let q = lo; q < hi; q++) {
          ab += pc[q] * g[q];
          aa += pc[q] * pc[q];
          bb += g[q] * g[q];
        }
        const na = Math.sqrt(aa);
        const nb = Math.sqrt(bb);
        const r = ab / (na * nb + 1e-8);
        const target = rho[i][j][k];
        if (r < target) {
          const w =
            (na * (target * Math.sqrt(1 - r * r) - r * Math.sqrt(1 - target * target))) /
            (nb * Math.sqrt(1 - target * target) + 1e-8);
          for (let q = lo; q < hi; q++) pc[q] += w * g[q];
        }
        rho[i][j][k] = (1 - beta) * target + beta * r;
      });
    }
    for (let q = 0; q < d; q++) total[q] += pc[q];
  }
  return total;
}

/** GradVac's state: EMA target similarities by task pair and group, and the order Rng. */
export interface GradVacState {
  /** rho[t][u][k] between tasks t and u in group k (full task indices). */
  readonly rho: number[][][];
  readonly rng: Rng;
}

/**
 * Gradient vaccine (Wang, Tsvetkov, Firat & Cao 2021): like PCGrad, but instead of removing only
 * negative similarity it pulls each pair's cosine up to an EMA of the cosines seen so far. Conventions
 * (as LibMTL): heads get their own gradient; the reported weights are ones (the applied vector is not a
 * fixed combination of the raw gradients). Similarities are kept per task pair across steps, so with
 * task sampling each pair's EMA moves only in steps where both tasks are drawn.
 */
export function gradVacWeighting(opts: GradVacOptions = {}): Weighting<GradVacState> {
  const who = 'gradvac';
  checkOptions(opts, ['beta', 'groups', 'order'], who);
  const beta = numberOption(opts.beta ?? 0.5, 'beta', who, 0, 1);
  const groupsOpt = opts.groups ?? 'whole';
  if (groupsOpt !== 'whole' && groupsOpt !== 'tensor')
    throw new Error(`${who}: option 'groups' must be 'whole' or 'tensor', got ${JSON.stringify(groupsOpt)}`);
  const order = opts.order ?? 'shuffled';
  if (order !== 'shuffled' && order !== 'fixed')
    throw new Error(`${who}: option 'order' must be 'shuffled' or 'fixed', got ${JSON.stringify(order)}`);
  return {
    name: who,
    init: ({ numTasks, rng }) => ({
      state: {
        rho: Array.from({ length: numTasks }, () => Array.from({ length: numTasks }, () => [] as number[])),
        rng: rng.fork(),
      },
      params: {},
    }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G, tasks, sizes }) => {
        const d = sizes.reduce((a, b) => a + b, 0);
        const groups: [number, number][] = [];
        if (groupsOpt === 'whole') groups.push([0, d]);
        else sizes.reduce((at, n) => (groups.push([at, at + n]), at + n), 0);
        const K = tasks.length;
        // The pair table of this step's segments, read from and written back to the full table.
        const local = tasks.map((t) => tasks.map((u) => groups.map((_, k) => state.rho[t][u][k] ?? 0)));
        const orders = tasks.map((_, i) => {
          const others = Array.from({ length: K }, (_, j) => j).filter((j) => j !== i);
          return order === 'fixed' ? others : state.rng.shuffle(others);
        });
        const shared = gradVacAggregate(G, groups, local, orders, beta);
        tasks.forEach((t, i) => tasks.forEach((u, j) => (state.rho[t][u] = local[i][j])));
        return { shared, weights: tasks.map(() => 1), state };
      }),
  };
}
