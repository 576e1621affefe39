import { checkOptions, numberOption } from '../conditioning/options.js';
import { weightedGrads } from './grads.js';
import type { Weighting } from './types.js';

/** Options of dwaWeighting. */
export interface DwaOptions {
  /** Softmax temperature T of the loss ratios; Liu et al. use 2. Large T gives equal weights. */
  temperature?: number;
  /**
   * Steps averaged into one loss value per task. The paper compares epoch averages; a window of steps
   * plays the epoch's part and keeps mini-batch noise out of the ratios. Default 20.
   */
  window?: number;
}

/**
 * Dynamic weight average weights from the last two averaged losses of every task:
 * r_i = L_i(t-1) / L_i(t-2), w_i = K exp(r_i / T) / sum_j exp(r_j / T) (K tasks, so the weights sum to K).
 * A task whose loss stopped falling (r near 1 or above) gains weight. Missing history counts as r = 1.
 */
export function dwaWeights(
  prev: readonly (number | undefined)[],
  prevPrev: readonly (number | undefined)[],
  temperature: number,
): number[] {
  if (prev.length !== prevPrev.length)
    throw new Error(`dwaWeights: ${prev.length} and ${prevPrev.length} loss values`);
  if (!(temperature > 0)) throw new Error(`dwaWeights: temperature must be positive, got ${temperature}`);
  const K = prev.length;
  const r = prev.map((p, i) => {
    const q = prevPrev[i];
    return p !== undefined && q !== undefined && q > 0 ? p / q : 1;
  });
  const m = Math.max(...r.map((v) => v / temperature));
  const e = r.map((v) => Math.exp(v / temperature - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => (K * v) / z);
}

/** Dynamic weight averaging's running state: per-task loss sums of the epoch window and the two previous means. */
export interface DwaState {
  readonly sum: readonly number[];
  readonly count: readonly number[];
  readonly inWindow: number;
  readonly prev: readonly (number | undefined)[];
  readonly prevPrev: readonly (number | undefined)[];
}

/** Dynamic weight averaging (Liu et al. 2019): tasks whose loss falls slowly get more weight. */
export function dwaWeighting(opts: DwaOptions = {}): Weighting<DwaState> {
  const who = 'dwa';
  checkOptions(opts, ['temperature', 'window'], who);
  const temperature = numberOption(opts.temperature ?? 2, 'temperature', who, 1e-6);
  const window = opts.window ?? 20;
  if (!Number.isInteger(window) || window < 1)
    throw new Error(`${who}: option 'window' must be a positive integer, got ${JSON.stringify(window)}`);
  return {
    name: who,
    init: ({ numTasks }) => {
      const none = Array.from({ length: numTasks }, () => undefined);
      return {
        state: {
          sum: new Array(numTasks).fill(0),
          count: new Array(numTasks).fill(0),
          inWindow: 0,
          prev: none,
          prevPrev: none,
        },
        params: {},
      };
    },
    step: (params, oracle, state) => {
      const all = dwaWeights(state.prev, state.prevPrev, temperature);
      const weights = oracle.tasks.map((t) => all[t]);
      const { grads, losses } = weightedGrads(params, oracle, weights);
      const sum = state.sum.slice();
      const count = state.count.slice();
      oracle.tasks.forEach((t, i) => {
        sum[t] += losses[i];
        count[t] += 1;
      });
      let next: DwaState = { ...state, sum, count, inWindow: state.inWindow + 1 };
      if (next.inWindow >= window) {
        const avg = sum.map((s, t) => (count[t] > 0 ? s / count[t] : state.prev[t]));
        next = {
          sum: sum.map(() => 0),
          count: count.map(() => 0),
          inWindow: 0,
          prev: avg,
          prevPrev: state.prev,
        };
      }
      return { grads, losses, weights, state: next };
    },
  };
}
