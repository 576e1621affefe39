import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskInput, MultiTaskNet } from '../types.js';
import { checkOptions, numberOption } from './options.js';
import {
  applyTrunk,
  checkSegments,
  initLinear,
  initTrunk,
  linear,
  ownerByStem,
  resolveSpec,
  sliceRows,
} from './common.js';

/** Options of dselectNet. */
export interface DSelectOptions {
  /** Number of shared experts, a power of two; default 4. */
  experts?: number;
  /** Non-zero experts each gate converges to (its number of single-expert selectors); default 2. */
  k?: number;
  /** Width of the smooth-step's transition region; default 1 (Hazimeh et al. use 1 to 10). */
  gamma?: number;
}

/** The cubic smooth-step of Hazimeh et al. (2021): 0 below −γ/2, 1 above γ/2, C¹ in between. */
export function smoothStep(t: tf.Tensor, gamma: number): tf.Tensor {
  const cubic = tf.add(tf.add(tf.mul(tf.pow(t, 3), -2 / gamma ** 3), tf.mul(t, 3 / (2 * gamma))), 0.5);
  return tf.clipByValue(
    tf.where(
      tf.lessEqual(t, -gamma / 2),
      tf.zerosLike(t),
      tf.where(tf.greaterEqual(t, gamma / 2), tf.onesLike(t), cubic),
    ),
    0,
    1,
  );
}

/**
 * DSelect-k gate weights for every row: k single-expert selectors, each m = log2(n) smooth-step codes
 * s = S(z) giving expert j the weight Π_i (s_i if bit i of j is 1, else 1 − s_i), mixed by softmax(α).
 * z [rows, k, m] and α [rows, k] come from linear maps of the input (the per-example gate). Each row
 * sums to 1 and, once every s_i reaches 0 or 1, at most k experts are non-zero.
 */
export function dselectWeights(z: tf.Tensor, alpha: tf.Tensor, experts: number, gamma: number): tf.Tensor {
  const m = Math.round(Math.log2(experts));
  const s = smoothStep(z, gamma); // [rows, k, m]
  const bits = tf.tensor2d(
    Array.from({ length: experts }, (_, j) => Array.from({ length: m }, (_, i) => (j >> i) & 1)),
    [experts, m],
  ); // [n, m]
  // w[r, c, j] = Π_i (bits[j,i] s[r,c,i] + (1 − bits[j,i]) (1 − s[r,c,i])).
  const sE = tf.expandDims(s, 2); // [rows, k, 1, m]
  const f = tf.add(tf.mul(bits, sE), tf.mul(tf.sub(1, bits), tf.sub(1, sE))); // [rows, k, n, m]
  const single = tf.prod(f, 3); // [rows, k, n]
  return tf.sum(tf.mul(single, tf.expandDims(tf.softmax(alpha), 2)), 1); // [rows, n]
}

/**
 * MMoE with DSelect-k gates (Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong & Chi 2021):
 * shared experts (MLPs with the spec's hidden widths) and, per task, a differentiable gate that
 * selects k of them through binary codes of smooth steps instead of a dense softmax. The paper's
 * entropy regulariser that drives the codes to 0 or 1 is not added (the smooth step reaches them by
 * itself once |z| ≥ γ/2). Keys `expert{e}.fc{l}`, `gate{t}.z`, `gate{t}.alpha`, `head{t}`.
 */
export function dselectNet(spec: ArchSpec, opts: DSelectOptions = {}): MultiTaskNet {
  const who = 'dselect-k';
  checkOptions(opts, ['experts', 'k', 'gamma'], who);
  const s = resolveSpec(spec, who);
  const n = opts.experts ?? 4;
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0)
    throw new Error(`${who}: option 'experts' must be a power of two ≥ 2, got ${JSON.stringify(n)}`);
  const k = opts.k ?? 2;
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new Error(`${who}: option 'k' must be an integer in [1, experts], got ${JSON.stringify(k)}`);
  const gamma = numberOption(opts.gamma ?? 1, 'gamma', who, 1e-6);
  const m = Math.round(Math.log2(n));
  const T = s.outDims.length;
  const depth = s.hidden.length;
  const width = s.hidden[depth - 1];
  const gateOf = (p: Params, t: number, x: tf.Tensor) => {
    const rows = x.shape[0] as number;
    const z = tf.reshape(linear(p, `gate${t}.z`, x), [rows, k, m]);
    return dselectWeights(z, linear(p, `gate${t}.alpha`, x), n, gamma);
  };
  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (rng) => {
      let p: Params = {};
      for (let e = 0; e < n; e++) p = { ...p, ...initTrunk(rng, `expert${e}`, s.inputDim, s.hidden) };
      for (let t = 0; t < T; t++) {
        p = {
          ...p,
          ...initLinear(rng, `gate${t}.z`, s.inputDim, k * m),
          ...initLinear(rng, `gate${t}.alpha`, s.inputDim, k),
          ...initLinear(rng, `head${t}`, width, s.outDims[t]),
        };
      }
      return p;
    },
    apply: (p, input: MultiTaskInput) => {
      checkSegments(input, T, who);
      return tf.tidy(() =>
        input.segments.map((seg) => {
          const x = sliceRows(input.x, seg);
          const ex = tf.stack(
            Array.from({ length: n }, (_, e) => applyTrunk(p, `expert${e}`, x, depth)),
            1,
          ); // [rows, n, h]
          const w = gateOf(p, seg.task, x);
          return linear(p, `head${seg.task}`, tf.sum(tf.mul(ex, tf.expandDims(w, 2)), 1));
        }),
      );
    },
    owner: ownerByStem(['gate', 'head']),
    lastShared: Array.from({ length: n }, (_, e) => [
      `expert${e}.fc${depth - 1}.w`,
      `expert${e}.fc${depth - 1}.b`,
    ]).flat(),
  };
}
