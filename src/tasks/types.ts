import { tf, type Tensor } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import type { TaskDescriptor } from './descriptors.js';
import type { TaskLoss } from './losses.js';

export type { TaskDescriptor } from './descriptors.js';
export type { TaskLoss, LossFn } from './losses.js';

/** Inputs and targets of one set of examples. The caller owns (and disposes) the tensors. */
export interface LabelledSet {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** D_i^tr (support) and D_i^ts (query) of one task: the unit of meta-learning. */
export interface SupportQuery {
  readonly support: LabelledSet;
  readonly query: LabelledSet;
}

/**
 * An N-way K-shot classification episode. Labels are remapped to 0..N-1 in the order of `classes`;
 * support holds K examples of class 0, then K of class 1, ... (y = [0]*K + [1]*K + ...), and query
 * holds Q per class in the same order. x is NHWC float32 for images ([N*K, h, w, c]); y is int32 [N*K].
 */
export interface Episode extends SupportQuery {
  /** Class ids in the dataset the episode was drawn from; label j means classes[j]. */
  readonly classes: readonly number[];
  readonly classNames: readonly string[];
  readonly nWay: number;
  readonly kShot: number;
  readonly nQuery: number;
}

/** p_i(x, y): where a task's examples come from. */
export interface DataSource {
  /** Shape of one input, e.g. [1] for a sinusoid or [28, 28, 1] for an image. */
  readonly xShape: readonly number[];
  /** Shape of one target; [] for an integer class label. */
  readonly yShape: readonly number[];
  /** Number of examples for finite sources; undefined when it can generate without end. */
  readonly size?: number;
  /** n examples drawn with `rng` (without replacement for finite sources). */
  sample(n: number, rng: Rng): LabelledSet;
  /**
   * Disjoint support and query sets. For classification sources kShot and nQuery count per class (in
   * class order, like episodes); for regression they count examples.
   */
  supportQuery?(kShot: number, nQuery: number, rng: Rng): SupportQuery;
}

/** T_i = {p_i(x), p_i(y|x), L_i}, with a descriptor z_i that tells it apart from the others. */
export interface Task<S extends DataSource = DataSource> {
  readonly id: string;
  readonly descriptor: TaskDescriptor;
  readonly source: S;
  readonly loss: TaskLoss;
}

/** p(T): a distribution over tasks. Finite ones also list their tasks. */
export interface TaskDistribution<T extends Task = Task> {
  readonly name: string;
  sample(rng: Rng): T;
  /** The tasks, for a finite distribution (in index order, matching one-hot descriptors). */
  readonly tasks?: readonly T[];
}

/** Free the two tensors of a labelled set. */
export function disposeLabelledSet(s: LabelledSet): void {
  s.x.dispose();
  s.y.dispose();
}

/** Free the four tensors of an episode or support/query pair. */
export function disposeSupportQuery(sq: SupportQuery): void {
  disposeLabelledSet(sq.support);
  disposeLabelledSet(sq.query);
}

/**
 * Support and query sets of a task: the source's own split when it has one, else K + Q examples from
 * `sample` cut into the first K and the last Q.
 */
export function sampleSupportQuery(
  source: DataSource,
  kShot: number,
  nQuery: number,
  rng: Rng,
): SupportQuery {
  if (source.supportQuery) return source.supportQuery(kShot, nQuery, rng);
  if (!Number.isInteger(kShot) || kShot < 0 || !Number.isInteger(nQuery) || nQuery < 0) {
    throw new Error(
      `sampleSupportQuery: kShot and nQuery must be non-negative integers, got ${kShot}, ${nQuery}`,
    );
  }
  const all = source.sample(kShot + nQuery, rng);
  try {
    const split = (t: Tensor, a: number, n: number) => {
      const begin = t.shape.map((_, i) => (i === 0 ? a : 0));
      const size = t.shape.map((d, i) => (i === 0 ? n : d));
      return tf.slice(t, begin, size);
    };
    return {
      support: { x: split(all.x, 0, kShot), y: split(all.y, 0, kShot) },
      query: { x: split(all.x, kShot, nQuery), y: split(all.y, kShot, nQuery) },
    };
  } finally {
    disposeLabelledSet(all);
  }
}

/** A finite task distribution sampling its tasks uniformly or in proportion to given weights. */
export function finiteTaskDistribution<T extends Task>(
  name: string,
  tasks: readonly T[],
  weights?: readonly number[],
): TaskDistribution<T> {
  if (tasks.length === 0) throw new Error(`task distribution '${name}': no tasks`);
  let cum: Float64Array | null = null;
  if (weights !== undefined) {
    if (weights.length !== tasks.length) {
      throw new Error(`task distribution '${name}': ${weights.length} weights for ${tasks.length} tasks`);
    }
    cum = new Float64Array(tasks.length);
    let s = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0) || !Number.isFinite(w))
        throw new Error(`task distribution '${name}': weight ${i} is ${w}`);
      cum![i] = s += w;
    });
    if (s <= 0) throw new Error(`task distribution '${name}': weights sum to 0`);
  }
  return {
    name,
    tasks,
    sample(rng: Rng): T {
      if (cum === null) return tasks[rng.int(tasks.length)];
      const u = rng.next() * cum[cum.length - 1];
      let k = 0;
      while (k < cum.length - 1 && cum[k] <= u) k++;
      return tasks[k];
    },
  };
}
