import { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import type { MultiTaskInput, MultiTaskSet, MultiTaskTask, Segment, TaskRows } from './types.js';

/**
 * Check a task set at the library's edge, so a bad row count or label fails here with the task's name
 * instead of as NaN or a shape error deep inside a training step.
 */
export function validateTaskSet(set: MultiTaskSet, opts: { needTest?: boolean } = {}): void {
  const who = `task set '${set.name}'`;
  if (!Number.isInteger(set.inputDim) || set.inputDim < 1) {
    throw new Error(`${who}: inputDim must be a positive integer, got ${set.inputDim}`);
  }
  if (set.tasks.length === 0) throw new Error(`${who}: no tasks`);
  const zDim = set.tasks[0].descriptor.length;
  const ids = new Set<string>();
  for (const t of set.tasks) {
    const tw = `${who}: task '${t.id}'`;
    if (ids.has(t.id)) throw new Error(`${tw} appears twice`);
    ids.add(t.id);
    if (t.kind !== 'classification' && t.kind !== 'regression') {
      throw new Error(`${tw}: kind must be 'classification' or 'regression', got '${String(t.kind)}'`);
    }
    if (!Number.isInteger(t.outDim) || t.outDim < 1)
      throw new Error(`${tw}: outDim must be a positive integer`);
    if (t.kind === 'classification' && t.outDim < 2)
      throw new Error(`${tw}: a classifier needs at least 2 classes`);
    if (t.descriptor.length !== zDim) {
      throw new Error(
        `${tw}: descriptor has length ${t.descriptor.length}, task '${set.tasks[0].id}' has ${zDim}`,
      );
    }
    checkRows(t, t.train, 'training', set.inputDim, tw);
    if (opts.needTest) {
      if (t.test.n === 0)
        throw new Error(`${tw} has no test rows; the report needs held-out rows for every task`);
    }
    if (t.test.n > 0) checkRows(t, t.test, 'test', set.inputDim, tw);
  }
}

function checkRows(t: MultiTaskTask, rows: TaskRows, split: string, inputDim: number, tw: string): void {
  if (!Number.isInteger(rows.n) || rows.n <= 0) throw new Error(`${tw} has no ${split} rows`);
  if (rows.x.length !== rows.n * inputDim) {
    throw new Error(
      `${tw}: ${split} x holds ${rows.x.length} values, expected n * inputDim = ${rows.n} * ${inputDim}`,
    );
  }
  const yPer = t.kind === 'classification' ? 1 : t.outDim;
  if (rows.y.length !== rows.n * yPer) {
    throw new Error(`${tw}: ${split} y holds ${rows.y.length} values, expected ${rows.n * yPer}`);
  }
  for (let i = 0; i < rows.x.length; i++) {
    if (!Number.isFinite(rows.x[i]))
      throw new Error(`${tw}: ${split} row ${Math.floor(i / inputDim)} has a non-finite feature`);
  }
  for (let i = 0; i < rows.y.length; i++) {
    const v = rows.y[i];
    if (
      t.kind === 'classification' ? !(Number.isInteger(v) && v >= 0 && v < t.outDim) : !Number.isFinite(v)
    ) {
      throw new Error(
        `${tw}: ${split} row ${Math.floor(i / yPer)} has target ${v}` +
          (t.kind === 'classification' ? `, not a class in [0, ${t.outDim})` : ''),
      );
    }
  }
}

/** The rows drawn for each task of one step, as host arrays (tensors are made in one upload each). */
export interface RowPick {
  readonly task: number;
  readonly rows: readonly number[];
}

/** A training or evaluation batch on the device: one input and one target tensor per segment. */
export interface MultiTaskBatch {
  readonly input: MultiTaskInput;
  /** Per segment: int32 [size] class labels, or float32 [size, outDim] targets. */
  readonly targets: tf.Tensor[];
  /** Per segment: the same rows alone, for per-task forward passes (PCGrad, GradNorm). */
  readonly single: MultiTaskInput[];
}

/** Gather the picked rows of each task into one batch (x and z stacked, segments in pick order). */
export function buildBatch(
  set: MultiTaskSet,
  picks: readonly RowPick[],
  split: 'train' | 'test' = 'train',
): MultiTaskBatch {
  const d = set.inputDim;
  const zDim = set.tasks[0].descriptor.length;
  const n = picks.reduce((s, p) => s + p.rows.length, 0);
  const x = new Float32Array(n * d);
  const z = new Float32Array(n * zDim);
  const segments: Segment[] = [];
  const targets: tf.Tensor[] = [];
  let at = 0;
  for (const p of picks) {
    const t = set.tasks[p.task];
    const src = t[split];
    const per = t.kind === 'classification' ? 1 : t.outDim;
    const y = new Float32Array(p.rows.length * per);
    p.rows.forEach((r, i) => {
      x.set(src.x.subarray(r * d, (r + 1) * d), (at + i) * d);
      z.set(t.descriptor, (at + i) * zDim);
      y.set(src.y.subarray(r * per, (r + 1) * per), i * per);
    });
    targets.push(
      t.kind === 'classification'
        ? tf.tensor1d(Int32Array.from(y), 'int32')
        : tf.tensor2d(y, [p.rows.length, per]),
    );
    segments.push({ task: p.task, start: at, size: p.rows.length });
    at += p.rows.length;
  }
  const xt = tf.tensor2d(x, [n, d]);
  const zt = tf.tensor2d(z, [n, zDim]);
  const single = segments.map((s) => ({
    x: tf.slice(xt, [s.start, 0], [s.size, d]),
    z: tf.slice(zt, [s.start, 0], [s.size, zDim]),
    segments: [{ task: s.task, start: 0, size: s.size }],
  }));
  return { input: { x: xt, z: zt, segments }, targets, single };
}

/** Free the tensors of a batch from buildBatch. */
export function disposeBatch(b: MultiTaskBatch): void {
  tf.dispose([b.input.x, b.input.z, ...b.targets]);
  for (const s of b.single) tf.dispose([s.x, s.z]);
}

/**
 * Split one task's rows into train and test, stratified by class for classification so every class is
 * represented in both where it can be. Returns row indices.
 */
export function splitIndices(
  n: number,
  testFraction: number,
  rng: Rng,
  labels?: ArrayLike<number>,
): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`splitIndices: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = labels ? labels[i] : 0;
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(i);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = rng.shuffle(groups.get(key)!.slice());
    const k =
      rows.length < 2 ? 0 : Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * testFraction)));
    test.push(...rows.slice(0, k));
    train.push(...rows.slice(k));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** The listed rows of [n, dim] data as a new array. */
export function takeRows(data: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

/** A task set holding only the listed tasks (descriptors unchanged): used for single-task baselines. */
export function subsetTasks(set: MultiTaskSet, indices: readonly number[], name?: string): MultiTaskSet {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= set.tasks.length) {
      throw new Error(`subsetTasks: task index ${i} out of range [0, ${set.tasks.length}) of '${set.name}'`);
    }
  }
  return { ...set, name: name ?? set.name, tasks: indices.map((i) => set.tasks[i]) };
}
