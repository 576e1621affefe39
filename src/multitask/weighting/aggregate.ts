import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import { addGrads, partialGrads, perTaskGrads } from './grads.js';
import type { LossOracle, WeightingResult, WeightingStepInfo } from './types.js';

/** What a gradient-aggregation rule sees of one step: per-segment shared gradients and losses. */
export interface AggregationInput {
  /** G[s]: segment s's loss gradient on the shared parameters, flattened in `keys` order (float64). */
  readonly G: readonly Float64Array[];
  /** Unweighted loss of each segment. */
  readonly losses: readonly number[];
  /** Task index of each segment. */
  readonly tasks: readonly number[];
  readonly numTasks: number;
  /** The shared parameter keys, and the length of each in the flattened vector. */
  readonly keys: readonly string[];
  readonly sizes: readonly number[];
  readonly info: WeightingStepInfo;
}

/** What a gradient-aggregation rule returns. */
export interface Aggregated<S> {
  /** The gradient applied to the shared parameters, flattened like the rows of G. */
  readonly shared: ArrayLike<number>;
  /** The weight reported for each segment. */
  readonly weights: readonly number[];
  /**
   * The coefficient on each segment's own loss gradient for its task-specific parameters (heads);
   * default 1, as when every task loss is backpropagated on its own (LibMTL's gradient methods).
   */
  readonly heads?: readonly number[];
  /** Gradients of the strategy's own learnable tensors (e.g. IMTL's loss scales). */
  readonly extra?: Params;
  readonly state: S;
}

/**
 * One step of a gradient-manipulation weighting: one forward and backward pass per segment gives each
 * task's gradient; the shared part goes to `rule` as a float64 matrix, whose aggregated vector becomes
 * the shared parameters' gradient. Task-specific parameters get their own task's gradient times
 * `heads`, and the architecture's penalty is added unweighted. With no shared parameter reached
 * (independent networks) the rule still runs, on vectors of length 0.
 */
export function aggregationStep<S>(
  params: Params,
  oracle: LossOracle,
  state: S,
  info: WeightingStepInfo,
  rule: (input: AggregationInput, state: S) => Aggregated<S>,
): WeightingResult<S> {
  const { perTask, losses } = perTaskGrads(params, oracle);
  const keys = oracle.sharedKeys.filter((k) => perTask.some((g) => k in g));
  const sizes = keys.map((k) => params[k].size);
  const G = perTask.map((g) => {
    if (keys.length === 0) return new Float64Array(0);
    // The tensor leaves tidy, not its data: tidy walks a returned typed array element by element looking
    // for tensors, which cost more than the whole backward pass on a 55k-parameter trunk.
    const t = tf.tidy(() =>
      tf.concat(keys.map((k) => (k in g ? tf.reshape(g[k], [-1]) : tf.zeros([params[k].size])))),
    );
    const flat = Float64Array.from(t.dataSync());
    t.dispose();
    return flat;
  });
  const out = rule({ G, losses, tasks: oracle.tasks, numTasks: oracle.numTasks, keys, sizes, info }, state);
  const d = sizes.reduce((a, b) => a + b, 0);
  if (out.shared.length !== d) {
    throw new Error(`aggregationStep: the rule returned ${out.shared.length} numbers for ${d} shared ones`);
  }
  let grads: Params = {};
  let at = 0;
  const flat = Float32Array.from(out.shared);
  keys.forEach((k, i) => {
    grads[k] = tf.tensor(flat.subarray(at, at + sizes[i]), params[k].shape);
    at += sizes[i];
  });
  const sharedSet = new Set(keys);
  perTask.forEach((g, s) => {
    const own: Params = {};
    const c = out.heads?.[s] ?? 1;
    for (const k of Object.keys(g)) {
      if (sharedSet.has(k)) g[k].dispose();
      else if (c === 1) own[k] = g[k];
      else {
        own[k] = tf.mul(g[k], c);
        g[k].dispose();
      }
    }
    grads = addGrads(grads, own);
  });
  const pen = partialGrads(params, (p) => oracle.penalty(p) ?? tf.scalar(0), oracle.modelKeys);
  grads = addGrads(grads, pen.grads);
  if (out.extra) grads = { ...grads, ...out.extra };
  return { grads, losses, weights: out.weights.slice(), state: out.state };
}
