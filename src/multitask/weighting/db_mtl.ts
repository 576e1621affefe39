import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import { norm } from './linalg.js';
import type { Weighting } from './types.js';

/** Options of dbMtlWeighting. */
export interface DbMtlOptions {
  /** EMA rate of the log-loss gradients (LibMTL `DB_beta`); default 0.9. */
  beta?: number;
  /** The rate decays as beta / k^betaSigma over calls k (LibMTL `DB_beta_sigma`); default 0. */
  betaSigma?: number;
}

/** DB-MTL's state: each task's EMA of ∇ log L (null before its first step) and the call count. */
export interface DbMtlState {
  readonly buffers: (Float64Array | null)[];
  readonly k: number;
}

/**
 * One DB-MTL update on plain vectors (Lin et al. 2023, "Dual-balancing"): ĝ_t = g_t / (L_t + 1e-8) is
 * the gradient of log L_t; buf_t ← ĝ_t + (β / k^σ)(buf_t − ĝ_t); the update is Σ_t α_t buf_t with
 * α_t = max_s ‖buf_s‖ / (‖buf_t‖ + 1e-8), so every task contributes with the largest task's norm.
 * `buffers` are updated in place (null starts at zero).
 */
export function dbMtlAggregate(
  G: readonly ArrayLike<number>[],
  losses: readonly number[],
  buffers: (Float64Array | null)[],
  k: number,
  beta: number,
  betaSigma: number,
): { alpha: number[]; shared: Float64Array } {
  const rate = beta / Math.pow(k, betaSigma);
  const d = G.length > 0 ? G[0].length : 0;
  G.forEach((g, t) => {
    const buf = buffers[t] ?? new Float64Array(d);
    for (let q = 0; q < d; q++) {
      const gh = g[q] / (losses[t] + 1e-8);
      buf[q] = gh + rate * (buf[q] - gh);
    }
    buffers[t] = buf;
  });
  const norms = buffers.map((b) => norm(b!));
  const top = Math.max(...norms);
  const alpha = norms.map((n) => top / (n + 1e-8));
  const shared = new Float64Array(d);
  buffers.forEach((b, t) => {
    for (let q = 0; q < d; q++) shared[q] += alpha[t] * b![q];
  });
  return { alpha, shared };
}

/**
 * DB-MTL (Lin, Ye, Xu, Shi & Zhang 2023): loss-scale balancing by log losses, then gradient-magnitude
 * balancing of their EMA so all tasks pull with the largest norm. Conventions (as LibMTL): heads get
 * 1/(L_t + 1e-8) times their own gradient (the log-loss gradient); the reported weights are α (LibMTL
 * returns ones). With task sampling each task's buffer moves only in steps that draw it.
 */
export function dbMtlWeighting(opts: DbMtlOptions = {}): Weighting<DbMtlState> {
  const who = 'db-mtl';
  checkOptions(opts, ['beta', 'betaSigma'], who);
  const beta = numberOption(opts.beta ?? 0.9, 'beta', who, 0, 1);
  const betaSigma = numberOption(opts.betaSigma ?? 0, 'betaSigma', who, 0);
  return {
    name: who,
    init: ({ numTasks }) => ({ state: { buffers: new Array(numTasks).fill(null), k: 0 }, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G, losses, tasks }) => {
        const k = state.k + 1;
        const d = G.length > 0 ? G[0].length : 0;
        const bufs = tasks.map((t) => {
          const b = state.buffers[t];
          return b !== null && b.length === d ? b : null;
        });
        const { alpha, shared } = dbMtlAggregate(G, losses, bufs, k, beta, betaSigma);
        const buffers = state.buffers.slice();
        tasks.forEach((t, i) => (buffers[t] = bufs[i]));
        return {
          shared,
          weights: alpha,
          heads: losses.map((l) => 1 / (l + 1e-8)),
          state: { buffers, k },
        };
      }),
  };
}
