import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import { addGrads, partialGrads, perTaskGrads } from './grads.js';
import type { LossOracle, SampleLosses, WeightingResult, WeightingStepInfo } from './types.js';

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
  const G = perTask.map((g) => flatShared(params, g, keys));
  const out = rule({ G, losses, tasks: oracle.tasks, numTasks: oracle.numTasks, keys, sizes, info }, state);
  const grads = assemble(params, oracle, keys, sizes, out, [perTask]);
  return { grads, losses, weights: out.weights.slice(), state: out.state };
}

/** What a rule over several independent mini-batches sees of one step (see sampledAggregationStep). */
export interface SampledAggregationInput extends Omit<AggregationInput, 'G' | 'losses'> {
  /** G[k][s]: segment s's loss gradient on the shared parameters on batch k, flattened (float64). */
  readonly G: readonly (readonly Float64Array[])[];
  /** losses[k][s]: segment s's unweighted loss on batch k. */
  readonly losses: readonly (readonly number[])[];
}

/**
 * aggregationStep over the step's independent mini-batches (LossOracle.samples, for a weighting with
 * `samples` > 1): each segment's gradient on each batch, the shared parts as float64 matrices to `rule`.
 * Task-specific parameters get Σ_k heads[s] times their task's gradient on batch k, so `heads` is the
 * coefficient per batch (1/k gives the mean over the batches). The reported losses are each segment's
 * mean over the batches; the penalty is added once, unweighted.
 */
export function sampledAggregationStep<S>(
  params: Params,
  oracle: LossOracle,
  state: S,
  info: WeightingStepInfo,
  rule: (input: SampledAggregationInput, state: S) => Aggregated<S>,
): WeightingResult<S> {
  const samples: readonly SampleLosses[] = oracle.samples ?? [oracle];
  const per = samples.map((b) => perTaskGrads(params, oracle, b));
  const keys = oracle.sharedKeys.filter((k) => per.some((r) => r.perTask.some((g) => k in g)));
  const sizes = keys.map((k) => params[k].size);
  const G = per.map((r) => r.perTask.map((g) => flatShared(params, g, keys)));
  const sampleLosses = per.map((r) => r.losses);
  const out = rule(
    { G, losses: sampleLosses, tasks: oracle.tasks, numTasks: oracle.numTasks, keys, sizes, info },
    state,
  );
  const grads = assemble(
    params,
    oracle,
    keys,
    sizes,
    out,
    per.map((r) => r.perTask),
  );
  const losses = oracle.tasks.map((_, s) => sampleLosses.reduce((a, l) => a + l[s], 0) / samples.length);
  return { grads, losses, weights: out.weights.slice(), state: out.state };
}

/** A task's gradient on the shared parameters `keys`, flattened to float64 (zeros where it is absent). */
function flatShared(params: Params, g: Params, keys: readonly string[]): Float64Array {
  if (keys.length === 0) return new Float64Array(0);
  // The tensor leaves tidy, not its data: tidy walks a returned typed array element by element looking
  // for tensors, which cost more than the whole backward pass on a 55k-parameter trunk.
  const t = tf.tidy(() =>
    tf.concat(keys.map((k) => (k in g ? tf.reshape(g[k], [-1]) : tf.zeros([params[k].size])))),
  );
  const flat = Float64Array.from(t.dataSync());
  t.dispose();
  return flat;
}

/**
 * The step's gradients: the rule's shared vector, each segment's own gradients on every batch times
 * `heads` (consumed; their shared parts are freed), the penalty's gradients and the rule's extra ones.
 */
function assemble(
  params: Params,
  oracle: LossOracle,
  keys: readonly string[],
  sizes: readonly number[],
  out: Aggregated<unknown>,
  perBatch: readonly Params[][],
): Params {
  const d = sizes.reduce((a, b) => a + b, 0);
  if (out.shared.length !== d) {
    perBatch.forEach((perTask) => perTask.forEach((g) => tf.dispose(Object.values(g))));
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
  for (const perTask of perBatch) {
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
  }
  const pen = partialGrads(params, (p) => oracle.penalty(p) ?? tf.scalar(0), oracle.modelKeys);
  grads = addGrads(grads, pen.grads);
  if (out.extra) grads = { ...grads, ...out.extra };
  return grads;
}
