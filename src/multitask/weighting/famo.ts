import { tf } from '../../engine/tf.js';
import { checkOptions, numberOption } from '../conditioning/options.js';
import { weightedGrads } from './grads.js';
import type { Weighting } from './types.js';

/** Options of famoWeighting. */
export interface FamoOptions {
  /** Adam learning rate of the logits ζ (LibMTL `FAMO_w_lr`); default 0.025. */
  lr?: number;
  /** L2 weight decay on ζ (LibMTL `FAMO_w_gamma`); default 1e-3. */
  gamma?: number;
}

/** FAMO's state: the logits ζ with their Adam moments, and the step's losses for the update. */
export interface FamoState {
  readonly zeta: readonly number[];
  readonly m: readonly number[];
  readonly v: readonly number[];
  readonly k: number;
  /** Tasks and losses of the last step, waiting for their losses after the parameter update. */
  readonly pending: { tasks: readonly number[]; losses: readonly number[] } | null;
}

function softmax(z: readonly number[]): number[] {
  const mx = Math.max(...z);
  const e = z.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** FAMO's loss coefficients: z = softmax(ζ), D = L + 1e-8, c_t = z_t / (D_t Σ_s z_s / D_s). */
export function famoCoefficients(zeta: readonly number[], losses: readonly number[]): number[] {
  const z = softmax(zeta);
  const D = losses.map((l) => l + 1e-8);
  const c = z.reduce((s, v, t) => s + v / D[t], 0);
  return z.map((v, t) => v / (c * D[t]));
}

/**
 * FAMO's logit update from the losses before and after a parameter step: δ = log(L + 1e-8) −
 * log(L⁺ + 1e-8), gradient zᵀ-VJP of the softmax, z ⊙ (δ − zᵀδ), plus gamma ζ, then one Adam step
 * (β 0.9, 0.999, eps 1e-8) on the logits of the tasks in `tasks`.
 */
export function famoUpdate(
  s: FamoState,
  tasks: readonly number[],
  before: readonly number[],
  after: readonly number[],
  lr: number,
  gamma: number,
): FamoState {
  const zeta = s.zeta.slice();
  const m = s.m.slice();
  const v = s.v.slice();
  const k = s.k + 1;
  const z = softmax(tasks.map((t) => zeta[t]));
  const delta = before.map((l, i) => Math.log(l + 1e-8) - Math.log(after[i] + 1e-8));
  const zd = z.reduce((a, zi, i) => a + zi * delta[i], 0);
  tasks.forEach((t, i) => {
    const g = z[i] * (delta[i] - zd) + gamma * zeta[t];
    m[t] = 0.9 * m[t] + 0.1 * g;
    v[t] = 0.999 * v[t] + 0.001 * g * g;
    const bc1 = 1 - Math.pow(0.9, k);
    const bc2 = 1 - Math.pow(0.999, k);
    zeta[t] -= ((lr / bc1) * m[t]) / (Math.sqrt(v[t]) / Math.sqrt(bc2) + 1e-8);
  });
  return { zeta, m, v, k, pending: null };
}

/**
 * Fast adaptive multitask optimisation (Liu, Feng, Stone & Liu 2023): O(1) per step: the losses are
 * weighted so that all tasks' log losses fall at an equal rate, with the weights' logits ζ learned from
 * how much each log loss fell in the last step. Conventions (as LibMTL): the update of ζ uses the same
 * batch's losses re-evaluated after the parameter step (the trainer calls afterStep for this, one more
 * forward pass); heads get the same coefficients as the shared part; the Adam step counter is shared by
 * all logits; with task sampling the softmax runs over the tasks drawn. Reported weights: the c_t.
 */
export function famoWeighting(opts: FamoOptions = {}): Weighting<FamoState> {
  const who = 'famo';
  checkOptions(opts, ['lr', 'gamma'], who);
  const lr = numberOption(opts.lr ?? 0.025, 'lr', who, 0);
  const gamma = numberOption(opts.gamma ?? 1e-3, 'gamma', who, 0);
  return {
    name: who,
    init: ({ numTasks }) => {
      const zeros = new Array<number>(numTasks).fill(0);
      return { state: { zeta: zeros, m: zeros, v: zeros, k: 0, pending: null }, params: {} };
    },
    step: (params, oracle, state) => {
      let weights: number[] = [];
      const { grads, losses } = weightedGrads(params, oracle, [], (_p, ls) => {
        const vals = Array.from(ls, (l) => l.dataSync()[0]);
        weights = famoCoefficients(
          oracle.tasks.map((t) => state.zeta[t]),
          vals,
        );
        return tf.addN(ls.map((l, s) => tf.mul(l, weights[s]))) as tf.Scalar;
      });
      return { grads, losses, weights, state: { ...state, pending: { tasks: oracle.tasks, losses } } };
    },
    afterStep: (params, oracle, state) => {
      if (state.pending === null) return state;
      const t = tf.tidy(() => tf.stack(oracle.losses(params)));
      const after = Array.from(t.dataSync());
      t.dispose();
      return famoUpdate(state, state.pending.tasks, state.pending.losses, after, lr, gamma);
    },
  };
}
