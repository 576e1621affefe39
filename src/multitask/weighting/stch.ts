import { tf } from '../../engine/tf.js';
import { checkOptions, numberOption } from '../conditioning/options.js';
import { weightedGrads } from './grads.js';
import type { Weighting } from './types.js';

/** Options of stchWeighting. */
export interface StchOptions {
  /** Smoothing μ of the Tchebycheff max (LibMTL `STCH_mu`); default 1. */
  mu?: number;
  /** Steps of the warm-up on Σ log L_t before the nadir is measured (LibMTL `STCH_warmup_epoch`, in epochs there); default 4. */
  warmupSteps?: number;
  /** Steps after the warm-up whose losses are averaged into the nadir point (LibMTL: one epoch); default 1. */
  nadirSteps?: number;
}

/** STCH's state: per task, the running sum and count of its losses in the nadir steps, and the nadir. */
export interface StchState {
  readonly sum: readonly number[];
  readonly count: readonly number[];
  readonly nadir: readonly (number | null)[];
}

/**
 * The loss coefficients of STCH: before the nadir exists, those of Σ log(L_t + 1e-20), 1 / (L_t + 1e-20);
 * after, those of K μ log Σ_t exp(ℓ_t / μ) with ℓ_t = log(L_t / z_t + 1e-20) (z: the nadir point), which
 * are K softmax(ℓ/μ)_t / ((L_t / z_t + 1e-20) z_t). K is the number of losses.
 */
export function stchCoefficients(
  losses: readonly number[],
  nadir: readonly number[] | null,
  mu: number,
): number[] {
  if (nadir === null) return losses.map((l) => 1 / (l + 1e-20));
  const K = losses.length;
  const r = losses.map((l, t) => l / nadir[t] + 1e-20);
  const ell = r.map((v) => Math.log(v) / mu);
  const mx = Math.max(...ell);
  const e = ell.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v, t) => (K * v) / s / (r[t] * nadir[t]));
}

/**
 * Smooth Tchebycheff scalarisation (Lin, Zhang, Liu, Zhang & Zhang 2024, "Smooth Tchebycheff
 * scalarization for multi-objective optimization"), as LibMTL applies it to multi-task learning: the
 * max over tasks of the log loss relative to a nadir point, smoothed by μ log Σ exp(· / μ) (uniform
 * preferences), so the worst-off task gets most of the weight. The nadir z_t is each task's mean loss
 * over `nadirSteps` steps after a warm-up of `warmupSteps` steps on Σ log L_t (training steps here
 * where LibMTL counts epochs). Conventions: heads get the same coefficients as the shared part;
 * reported weights are the coefficients (LibMTL returns ones); with task sampling the scalarisation
 * runs over the step's tasks, and a task without a nadir yet takes its current loss as its nadir.
 */
export function stchWeighting(opts: StchOptions = {}): Weighting<StchState> {
  const who = 'stch';
  checkOptions(opts, ['mu', 'warmupSteps', 'nadirSteps'], who);
  const mu = numberOption(opts.mu ?? 1, 'mu', who, Number.MIN_VALUE);
  const warmup = numberOption(opts.warmupSteps ?? 4, 'warmupSteps', who, 0);
  const nadirSteps = numberOption(opts.nadirSteps ?? 1, 'nadirSteps', who, 1);
  if (!Number.isInteger(warmup) || !Number.isInteger(nadirSteps)) {
    throw new Error(`${who}: options 'warmupSteps' and 'nadirSteps' must be integers`);
  }
  return {
    name: who,
    init: ({ numTasks }) => ({
      state: {
        sum: new Array<number>(numTasks).fill(0),
        count: new Array<number>(numTasks).fill(0),
        nadir: new Array<number | null>(numTasks).fill(null),
      },
      params: {},
    }),
    step: (params, oracle, state, info) => {
      const tasks = oracle.tasks;
      const scalarised = info.step >= warmup + nadirSteps;
      const nadir = state.nadir.slice();
      let weights: number[] = [];
      const { grads, losses } = weightedGrads(params, oracle, [], (_p, ls) => {
        const vals = Array.from(ls, (l) => l.dataSync()[0]);
        let z: number[] | null = null;
        if (scalarised) {
          z = tasks.map((t, s) => {
            if (nadir[t] === null) nadir[t] = state.count[t] > 0 ? state.sum[t] / state.count[t] : vals[s];
            return nadir[t]!;
          });
        }
        weights = stchCoefficients(vals, z, mu);
        return tf.addN(ls.map((l, s) => tf.mul(l, weights[s]))) as tf.Scalar;
      });
      const sum = state.sum.slice();
      const count = state.count.slice();
      if (info.step >= warmup && !scalarised) {
        tasks.forEach((t, s) => {
          sum[t] += losses[s];
          count[t] += 1;
        });
      }
      return { grads, losses, weights, state: { sum, count, nadir } };
    },
  };
}
