import type { Rng } from '../../engine/rng.js';
import { checkOptions, numberOption } from '../conditioning/options.js';
import { aggregationStep } from './aggregate.js';
import type { Weighting } from './types.js';

/** Options of gradDropWeighting. */
export interface GradDropOptions {
  /** Fraction of every gradient that always passes (LibMTL `leak`); default 0. */
  leak?: number;
}

/**
 * GradDrop's mask and combined gradient (Chen et al. 2020), on rows of a [B, D] layer: Q[t] is task t's
 * gradient at the layer, R the layer's values (only their signs are read), U one uniform draw per
 * feature. s_t = Σ_b Q_t[b] sign(R[b]); P = ½(1 + Σ_t s_t / (Σ_t |s_t| + 1e-7)); task t keeps feature q
 * when (P > U and s_t > 0) or (P < U and s_t < 0). Returns Σ_t Q_t (leak + (1 − leak) M_t), flattened.
 */
export function gradDropAggregate(
  Q: readonly ArrayLike<number>[],
  R: ArrayLike<number>,
  D: number,
  U: ArrayLike<number>,
  leak: number,
): Float64Array {
  const n = R.length;
  if (n % D !== 0) throw new Error(`gradDropAggregate: ${n} values are not rows of ${D}`);
  const B = n / D;
  const s = Q.map((q) => {
    const v = new Float64Array(D);
    for (let b = 0; b < B; b++) for (let f = 0; f < D; f++) v[f] += q[b * D + f] * Math.sign(R[b * D + f]);
    return v;
  });
  const out = new Float64Array(n);
  for (let f = 0; f < D; f++) {
    let sum = 0;
    let abs = 0;
    for (const v of s) {
      sum += v[f];
      abs += Math.abs(v[f]);
    }
    const P = 0.5 * (1 + sum / (abs + 1e-7));
    s.forEach((v, t) => {
      const keep = (P > U[f] && v[f] > 0) || (P < U[f] && v[f] < 0) ? 1 : 0;
      const m = leak + (1 - leak) * keep;
      if (m !== 0) for (let b = 0; b < B; b++) out[b * D + f] += m * Q[t][b * D + f];
    });
  }
  return out;
}

/** GradDrop's state: the Rng of its uniform draws. */
export interface GradDropState {
  readonly rng: Rng;
}

/**
 * Gradient sign dropout (Chen et al. 2020): at every shared coordinate, one sign is chosen with
 * probability given by the tasks' agreement P, and gradient components of the other sign are dropped.
 * Convention: the paper and LibMTL apply it to the gradient at a shared representation (LibMTL's
 * rep_grad, with s_t = Σ_b Q_t sign(R)); the library's weightings see parameter gradients, so here it
 * acts on the shared parameters' gradient as one row (B = 1, sign(R) = 1), one draw per parameter.
 * gradDropAggregate is the representation form and matches LibMTL. Heads get their own gradient;
 * the reported weights are ones.
 */
export function gradDropWeighting(opts: GradDropOptions = {}): Weighting<GradDropState> {
  const who = 'graddrop';
  checkOptions(opts, ['leak'], who);
  const leak = numberOption(opts.leak ?? 0, 'leak', who, 0, 1);
  return {
    name: who,
    init: ({ rng }) => ({ state: { rng: rng.fork() }, params: {} }),
    step: (params, oracle, state, info) =>
      aggregationStep(params, oracle, state, info, ({ G, tasks, sizes }) => {
        const d = sizes.reduce((a, b) => a + b, 0);
        const U = Float64Array.from({ length: d }, () => state.rng.next());
        const shared = d === 0 ? U : gradDropAggregate(G, new Float64Array(d).fill(1), d, U, leak);
        return { shared, weights: tasks.map(() => 1), state };
      }),
  };
}
