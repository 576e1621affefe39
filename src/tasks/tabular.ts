import { tf } from '../engine/tf.js';
import { type Rng, sampleDistinct } from '../engine/rng.js';
import type { TabularTask, TabularTaskSet } from '../data/tabular.js';
import {
  type DataSource,
  type LabelledSet,
  type SupportQuery,
  type Task,
  type TaskDistribution,
  finiteTaskDistribution,
} from './types.js';
import { type TaskDescriptor, metadataDescriptor, oneHotDescriptor, textDescriptor } from './descriptors.js';
import { crossEntropyLoss, mseLoss } from './losses.js';

/**
 * Rows of a TabularTask as a DataSource. Classification: x [n, d], y int32 [n]; support/query take K and Q
 * rows per class, in class order. Regression: y float32 [n, targets]; K and Q count rows.
 */
export class TabularSource implements DataSource {
  readonly xShape: readonly number[];
  readonly yShape: readonly number[];
  readonly size: number;
  private readonly d: number;
  private readonly t: number;

  constructor(
    readonly task: TabularTask,
    readonly set: TabularTaskSet,
  ) {
    this.d = set.featureNames.length;
    this.t = set.targetNames.length;
    this.size = task.n;
    this.xShape = [this.d];
    this.yShape = set.kind === 'classification' ? [] : [this.t];
  }

  /** Rows `rows` as tensors (one upload each for x and y). */
  rows(rows: readonly number[]): LabelledSet {
    const { d, t } = this;
    const x = new Float32Array(rows.length * d);
    const y = new Float32Array(rows.length * t);
    rows.forEach((r, i) => {
      x.set(this.task.x.subarray(r * d, (r + 1) * d), i * d);
      y.set(this.task.y.subarray(r * t, (r + 1) * t), i * t);
    });
    const xt = tf.tensor2d(x, [rows.length, d], 'float32');
    const yt =
      this.set.kind === 'classification'
        ? tf.tensor1d(Int32Array.from(y), 'int32')
        : tf.tensor2d(y, [rows.length, t], 'float32');
    return { x: xt, y: yt };
  }

  sample(n: number, rng: Rng): LabelledSet {
    if (n > this.size)
      throw new Error(`${this.set.name}: task '${this.task.id}' has ${this.size} rows; cannot sample ${n}`);
    return this.rows(sampleDistinct(this.size, n, rng));
  }

  supportQuery(kShot: number, nQuery: number, rng: Rng): SupportQuery {
    if (this.set.kind === 'regression') {
      if (kShot + nQuery > this.size) {
        throw new Error(
          `${this.set.name}: task '${this.task.id}' has ${this.size} rows, fewer than K + Q = ${kShot + nQuery}`,
        );
      }
      const idx = sampleDistinct(this.size, kShot + nQuery, rng);
      return { support: this.rows(idx.slice(0, kShot)), query: this.rows(idx.slice(kShot)) };
    }
    const nc = this.set.numClasses ?? 2;
    const byClass: number[][] = Array.from({ length: nc }, () => []);
    for (let r = 0; r < this.size; r++) byClass[this.task.y[r * this.t]].push(r);
    const s: number[] = [];
    const q: number[] = [];
    byClass.forEach((rows, c) => {
      if (rows.length < kShot + nQuery) {
        throw new Error(
          `${this.set.name}: task '${this.task.id}' has ${rows.length} rows of class ${c}, fewer than K + Q = ${kShot + nQuery}`,
        );
      }
      const pick = sampleDistinct(rows.length, kShot + nQuery, rng).map((k) => rows[k]);
      s.push(...pick.slice(0, kShot));
      q.push(...pick.slice(kShot));
    });
    return { support: this.rows(s), query: this.rows(q) };
  }
}

/** A tabular task's descriptor: one-hot index, its metadata columns, or its id as text. */
export type TabularDescriptorKind = 'onehot' | 'metadata' | 'text';

/**
 * A TabularTaskSet as a finite task distribution (uniform over tasks). Descriptors: one-hot task index
 * (default), the task's metadata columns, or its id embedded as text.
 */
export function tabularTaskDistribution(
  set: TabularTaskSet,
  descriptor: TabularDescriptorKind = 'onehot',
): TaskDistribution<Task<TabularSource>> {
  const loss = set.kind === 'classification' ? crossEntropyLoss : mseLoss;
  const tasks = set.tasks.map((t, i): Task<TabularSource> => {
    let z: TaskDescriptor;
    if (descriptor === 'metadata') {
      if (t.metadata === undefined)
        throw new Error(`${set.name}: task '${t.id}' has no metadata for a descriptor`);
      z = metadataDescriptor(t.metadata, set.metadataNames);
    } else if (descriptor === 'text') {
      z = textDescriptor(`${set.name} ${t.id}`);
    } else {
      z = oneHotDescriptor(i, set.tasks.length);
    }
    return { id: t.id, descriptor: z, source: new TabularSource(t, set), loss };
  });
  return finiteTaskDistribution(set.name, tasks);
}
