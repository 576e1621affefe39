import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import { CsvTable } from './csv.js';
import { HashingTextEmbedder, type TextEmbedder } from './text.js';
import { findExisting, resolveDataDir } from './paths.js';
import {
  type DataSource,
  type LabeledSet,
  type SupportQuery,
  type Task,
  type TaskDistribution,
  finiteTaskDistribution,
} from '../tasks/types.js';
import {
  type TaskDescriptor,
  metadataDescriptor,
  oneHotDescriptor,
  textDescriptor,
} from '../tasks/descriptors.js';
import { crossEntropyLoss, mseLoss } from '../tasks/losses.js';
import { sampleDistinct } from '../tasks/episodes.js';

/** The rows of one task (one video, one patient), row-major. */
export interface TabularTask {
  readonly id: string;
  readonly n: number;
  /** [n, featureDim] */
  readonly x: Float32Array;
  /** [n, targetDim]; class labels are stored as 0..numClasses-1 with targetDim 1. */
  readonly y: Float32Array;
  /** Per-task side information (e.g. age and sex of a patient). */
  readonly metadata?: Float32Array;
}

export interface TabularTaskSet {
  readonly name: string;
  readonly kind: 'classification' | 'regression';
  /** For classification. */
  readonly numClasses?: number;
  readonly featureNames: readonly string[];
  readonly targetNames: readonly string[];
  readonly metadataNames?: readonly string[];
  readonly tasks: readonly TabularTask[];
}

export interface TableTaskOptions {
  /** Column whose value names the task of each row. */
  taskColumn: string;
  featureColumns: readonly string[];
  targetColumns: readonly string[];
  /** Columns constant within a task, kept as its metadata. */
  metadataColumns?: readonly string[];
}

/**
 * Group a numeric table into tasks by a task column (tasks in order of their ids, numerically when all ids
 * are numbers). Every listed column must exist and hold numbers; errors name the file, line and column.
 */
export function tasksFromTable(table: CsvTable, opts: TableTaskOptions): TabularTask[] {
  const taskCol = table.column(opts.taskColumn, 'task');
  const feats = opts.featureColumns.map((c) => table.numericColumn(c, 'feature'));
  const targs = opts.targetColumns.map((c) => table.numericColumn(c, 'target'));
  const metas = (opts.metadataColumns ?? []).map((c) => table.numericColumn(c, 'metadata'));
  const groups = new Map<string, number[]>();
  taskCol.forEach((v, r) => {
    const id = v.trim();
    if (id.length === 0)
      throw new Error(`${table.file}:${table.lines[r]}: empty value in task column '${opts.taskColumn}'`);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = []));
    g.push(r);
  });
  const ids = [...groups.keys()];
  if (ids.every((s) => Number.isFinite(Number(s)))) ids.sort((a, b) => Number(a) - Number(b));
  else ids.sort();
  const d = feats.length;
  const t = targs.length;
  return ids.map((id) => {
    const rows = groups.get(id)!;
    const x = new Float32Array(rows.length * d);
    const y = new Float32Array(rows.length * t);
    rows.forEach((r, i) => {
      for (let j = 0; j < d; j++) x[i * d + j] = feats[j][r];
      for (let j = 0; j < t; j++) y[i * t + j] = targs[j][r];
    });
    const task: TabularTask = { id, n: rows.length, x, y };
    if (metas.length === 0) return task;
    return { ...task, metadata: Float32Array.from(metas, (m) => m[rows[0]]) };
  });
}

/** Per-feature mean and standard deviation, fitted on training rows and applied to every split. */
export class Standardiser {
  constructor(
    readonly mean: Float32Array,
    readonly std: Float32Array,
  ) {}

  /** Fit on every row of `tasks` (pass only meta-training tasks: test rows must not leak into the scale). */
  static fit(tasks: readonly TabularTask[], featureDim: number): Standardiser {
    const sum = new Float64Array(featureDim);
    const sq = new Float64Array(featureDim);
    let n = 0;
    for (const t of tasks) {
      for (let i = 0; i < t.n; i++) {
        for (let j = 0; j < featureDim; j++) {
          const v = t.x[i * featureDim + j];
          sum[j] += v;
          sq[j] += v * v;
        }
      }
      n += t.n;
    }
    if (n === 0) throw new Error('Standardiser.fit: no rows');
    const mean = new Float32Array(featureDim);
    const std = new Float32Array(featureDim);
    for (let j = 0; j < featureDim; j++) {
      const m = sum[j] / n;
      const v = Math.max(0, sq[j] / n - m * m);
      mean[j] = m;
      // A constant feature keeps scale 1 rather than dividing by zero.
      std[j] = v > 1e-24 ? Math.sqrt(v) : 1;
    }
    return new Standardiser(mean, std);
  }

  apply(task: TabularTask): TabularTask {
    const d = this.mean.length;
    const x = new Float32Array(task.x.length);
    for (let i = 0; i < task.x.length; i++) x[i] = (task.x[i] - this.mean[i % d]) / this.std[i % d];
    return { ...task, x };
  }
}

export interface YoutubeSpamOptions {
  dataDir?: string;
  /** Turns each comment into a vector; default hashed words, word pairs and character trigrams, 256 buckets. */
  embedder?: TextEmbedder;
}

/**
 * The YouTube Spam Collection as 5 binary classification tasks, one per video (a personalised spam filter
 * per channel). Features: the CONTENT column, embedded by the text embedder; label: CLASS (1 = spam).
 */
export function loadYoutubeSpam(opts: YoutubeSpamOptions = {}): TabularTaskSet {
  const root = resolveDataDir(opts.dataDir);
  const dir = findExisting('YouTube spam folder (youtube-spam/)', [join(root, 'youtube-spam')]);
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .sort();
  if (files.length === 0)
    throw new Error(`${dir}: no .csv files (expected Youtube01-Psy.csv ... Youtube05-Shakira.csv)`);
  const embedder = opts.embedder ?? new HashingTextEmbedder({ dim: 256 });
  const tasks = files.map((f) => {
    const path = join(dir, f);
    const table = CsvTable.read(path);
    const content = table.column('CONTENT', 'text');
    const labels = table.column('CLASS', 'label');
    const n = table.rows.length;
    const x = new Float32Array(n * embedder.dim);
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const l = labels[r].trim();
      if (l !== '0' && l !== '1') {
        throw new Error(`${path}:${table.lines[r]}: column 'CLASS' should be 0 or 1, got '${labels[r]}'`);
      }
      y[r] = Number(l);
      x.set(embedder.embed(content[r]), r * embedder.dim);
    }
    // Youtube01-Psy.csv -> Psy
    const id = basename(f, '.csv').replace(/^Youtube\d+-/i, '');
    return { id, n, x, y };
  });
  return {
    name: 'youtube-spam',
    kind: 'classification',
    numClasses: 2,
    featureNames: Array.from({ length: embedder.dim }, (_, i) => `${embedder.name}[${i}]`),
    targetNames: ['CLASS'],
    tasks,
  };
}

/** The 16 voice measures of the Parkinsons telemonitoring data, Jitter(%) to PPE. */
export const PARKINSONS_FEATURES: readonly string[] = [
  'Jitter(%)',
  'Jitter(Abs)',
  'Jitter:RAP',
  'Jitter:PPQ5',
  'Jitter:DDP',
  'Shimmer',
  'Shimmer(dB)',
  'Shimmer:APQ3',
  'Shimmer:APQ5',
  'Shimmer:APQ11',
  'Shimmer:DDA',
  'NHR',
  'HNR',
  'RPDE',
  'DFA',
  'PPE',
];

export interface ParkinsonsOptions {
  dataDir?: string;
  /** Default both: ['motor_UPDRS', 'total_UPDRS']. */
  targets?: readonly ('motor_UPDRS' | 'total_UPDRS')[];
  /** Subject numbers held out as meta-test tasks; default a seeded quarter of the subjects. */
  testSubjects?: readonly number[];
  /** With no testSubjects: the Rng that picks them (default: every 4th subject, deterministic). */
  rng?: Rng;
}

/**
 * Parkinsons telemonitoring as per-patient regression tasks (42 subjects). Features are standardised with
 * means and deviations of the training subjects' rows only, then applied to both splits.
 */
export function loadParkinsons(opts: ParkinsonsOptions = {}): {
  train: TabularTaskSet;
  test: TabularTaskSet;
  standardiser: Standardiser;
} {
  const root = resolveDataDir(opts.dataDir);
  const path = findExisting('Parkinsons telemonitoring data (parkinsons/parkinsons_updrs.data)', [
    join(root, 'parkinsons', 'parkinsons_updrs.data'),
  ]);
  const targets = opts.targets ?? ['motor_UPDRS', 'total_UPDRS'];
  const table = CsvTable.read(path);
  const all = tasksFromTable(table, {
    taskColumn: 'subject#',
    featureColumns: PARKINSONS_FEATURES,
    targetColumns: targets,
    metadataColumns: ['age', 'sex'],
  });
  const ids = all.map((t) => Number(t.id));
  let test: Set<number>;
  if (opts.testSubjects !== undefined) {
    test = new Set(opts.testSubjects);
    for (const s of test)
      if (!ids.includes(s)) throw new Error(`${path}: test subject ${s} is not in column 'subject#'`);
  } else if (opts.rng !== undefined) {
    const pick = sampleDistinct(ids.length, Math.round(ids.length / 4), opts.rng);
    test = new Set(pick.map((k) => ids[k]));
  } else {
    test = new Set(ids.filter((_, k) => k % 4 === 3));
  }
  if (test.size === 0 || test.size === ids.length) {
    throw new Error(
      `loadParkinsons: the test split must hold some but not all of the ${ids.length} subjects`,
    );
  }
  const rawTrain = all.filter((t) => !test.has(Number(t.id)));
  const rawTest = all.filter((t) => test.has(Number(t.id)));
  const standardiser = Standardiser.fit(rawTrain, PARKINSONS_FEATURES.length);
  const set = (name: string, tasks: TabularTask[]): TabularTaskSet => ({
    name,
    kind: 'regression',
    featureNames: PARKINSONS_FEATURES,
    targetNames: targets,
    metadataNames: ['age', 'sex'],
    tasks: tasks.map((t) => standardiser.apply(t)),
  });
  return { train: set('parkinsons/train', rawTrain), test: set('parkinsons/test', rawTest), standardiser };
}

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
  rows(rows: readonly number[]): LabeledSet {
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

  sample(n: number, rng: Rng): LabeledSet {
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
