import { join } from 'node:path';
import { Rng } from '../engine/rng.js';
import { CsvTable } from '../data/csv.js';
import { loadOmniglot } from '../data/omniglot.js';
import { findExisting, resolveDataDir } from '../data/paths.js';
import { Standardiser, type TabularTask } from '../data/tabular.js';
import { PARKINSONS_FEATURES, loadYoutubeSpam, tasksFromTable } from '../data/tabular_files.js';
import { metadataDescriptor, oneHotDescriptor, textDescriptor } from '../tasks/descriptors.js';
import { checkOptions } from './conditioning/options.js';
import { splitIndices, takeRows, validateTaskSet } from './data.js';
import type { MultiTaskSet, MultiTaskTask } from './types.js';

/** Which z_i a benchmark's tasks carry. */
export type DescriptorKind = 'onehot' | 'text' | 'metadata';

/** Options shared by the multi-task benchmarks. */
export interface BenchmarkOptions {
  /** Folder holding omniglot/, youtube-spam/, parkinsons/ (default: $METALEARN_DATA, else the per-user data folder). */
  dataDir?: string;
  /** Seed of the train/test row split. */
  seed?: number;
  /** Share of each task's rows held out for testing (tabular benchmarks; default 0.3). */
  testFraction?: number;
  /** Keep only the first k tasks (tests, quick runs). */
  maxTasks?: number;
  /** Keep at most this many rows of each task before splitting (tabular benchmarks). */
  maxRowsPerTask?: number;
  descriptor?: DescriptorKind;
}

const COMMON = ['dataDir', 'seed', 'testFraction', 'maxTasks', 'maxRowsPerTask', 'descriptor'];

function descriptorFor(
  kind: DescriptorKind,
  i: number,
  T: number,
  text: string,
  meta?: Float32Array,
  metaNames?: readonly string[],
): Float32Array {
  if (kind === 'onehot') return oneHotDescriptor(i, T).vector;
  if (kind === 'text') return textDescriptor(text).vector;
  if (meta === undefined) throw new Error(`descriptor 'metadata': task '${text}' has no metadata`);
  return metadataDescriptor(meta, metaNames).vector;
}

function checkDescriptor(kind: unknown, allowed: readonly DescriptorKind[], who: string): DescriptorKind {
  if (!allowed.includes(kind as DescriptorKind)) {
    throw new Error(
      `${who}: option 'descriptor' must be one of ${allowed.join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  return kind as DescriptorKind;
}

function firstTasks<T>(items: readonly T[], maxTasks: number | undefined, who: string): readonly T[] {
  if (maxTasks === undefined) return items;
  if (!Number.isInteger(maxTasks) || maxTasks < 1)
    throw new Error(`${who}: option 'maxTasks' must be a positive integer, got ${maxTasks}`);
  return items.slice(0, maxTasks);
}

/** Row-split one tabular task into train and test (stratified by class for classifiers). */
function splitTabular(
  t: TabularTask,
  d: number,
  yPer: number,
  testFraction: number,
  rng: Rng,
  stratify: boolean,
  maxRows?: number,
) {
  let rows = Array.from({ length: t.n }, (_, i) => i);
  if (maxRows !== undefined && maxRows < t.n) rows = rng.sample(t.n, maxRows).sort((a, b) => a - b);
  const x = takeRows(t.x, d, rows);
  const y = takeRows(t.y, yPer, rows);
  const { train, test } = splitIndices(rows.length, testFraction, rng, stratify ? y : undefined);
  return {
    train: { n: train.length, x: takeRows(x, d, train), y: takeRows(y, yPer, train) },
    test: { n: test.length, x: takeRows(x, d, test), y: takeRows(y, yPer, test) },
  };
}

/**
 * YouTube spam as multi-task learning: one spam filter per video (5 tasks, a personalised filter per
 * channel), comments embedded by the data module's hashing text featuriser (256 buckets).
 */
export function youtubeSpamTasks(opts: BenchmarkOptions = {}): MultiTaskSet {
  const who = 'youtubeSpamTasks';
  checkOptions(opts, COMMON, who);
  const desc = checkDescriptor(opts.descriptor ?? 'onehot', ['onehot', 'text'], who);
  const src = loadYoutubeSpam({ dataDir: opts.dataDir });
  const rng = new Rng(opts.seed ?? 0);
  const d = src.featureNames.length;
  const chosen = firstTasks(src.tasks, opts.maxTasks, who);
  const tasks: MultiTaskTask[] = chosen.map((t, i) => ({
    id: t.id,
    kind: 'classification',
    outDim: 2,
    descriptor: descriptorFor(desc, i, chosen.length, `youtube video ${t.id} comments`),
    ...splitTabular(t, d, 1, opts.testFraction ?? 0.3, rng.fork(), true, opts.maxRowsPerTask),
  }));
  const set: MultiTaskSet = { name: 'youtube-spam', inputDim: d, tasks };
  validateTaskSet(set, { needTest: true });
  return set;
}

/** Options of parkinsonsTasks. */
export interface ParkinsonsTaskOptions extends BenchmarkOptions {
  target?: 'motor_UPDRS' | 'total_UPDRS';
}

/**
 * Parkinsons telemonitoring as multi-task regression: one task per patient (42), predicting the UPDRS
 * score from 16 voice measures. Each patient's recordings are split at random into train and test rows;
 * features and target are standardised with the training rows of all patients, and `targetScale` lets
 * reports give MSE in UPDRS points squared.
 */
export function parkinsonsTasks(opts: ParkinsonsTaskOptions = {}): MultiTaskSet {
  const who = 'parkinsonsTasks';
  checkOptions(opts, [...COMMON, 'target'], who);
  const desc = checkDescriptor(opts.descriptor ?? 'onehot', ['onehot', 'text', 'metadata'], who);
  const target = opts.target ?? 'motor_UPDRS';
  if (target !== 'motor_UPDRS' && target !== 'total_UPDRS')
    throw new Error(`${who}: option 'target' must be motor_UPDRS or total_UPDRS`);
  const path = findExisting('Parkinsons telemonitoring data (parkinsons/parkinsons_updrs.data)', [
    join(resolveDataDir(opts.dataDir), 'parkinsons', 'parkinsons_updrs.data'),
  ]);
  const raw = tasksFromTable(CsvTable.read(path), {
    taskColumn: 'subject#',
    featureColumns: PARKINSONS_FEATURES,
    targetColumns: [target],
    metadataColumns: ['age', 'sex'],
  });
  const chosen = firstTasks(raw, opts.maxTasks, who);
  const rng = new Rng(opts.seed ?? 0);
  const d = PARKINSONS_FEATURES.length;
  const split = chosen.map((t) => ({
    t,
    ...splitTabular(t, d, 1, opts.testFraction ?? 0.3, rng.fork(), false, opts.maxRowsPerTask),
  }));
  const fitOn: TabularTask[] = split.map((s) => ({ id: s.t.id, n: s.train.n, x: s.train.x, y: s.train.y }));
  const xs = Standardiser.fit(fitOn, d);
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (const s of split) {
    for (const v of s.train.y) {
      sum += v;
      sq += v * v;
      n++;
    }
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(1e-12, sq / n - mean * mean));
  // Metadata (age, sex) is standardised over patients so it can condition a network directly.
  const ages = chosen.map((t) => t.metadata![0]);
  const ageMean = ages.reduce((a, b) => a + b, 0) / ages.length;
  const ageStd = Math.sqrt(ages.reduce((a, b) => a + (b - ageMean) ** 2, 0) / ages.length) || 1;
  const scaleX = (x: Float32Array) => xs.apply({ id: '', n: x.length / d, x, y: new Float32Array(0) }).x;
  const scaleY = (y: Float32Array) => y.map((v) => (v - mean) / std);
  const tasks: MultiTaskTask[] = split.map((s, i) => ({
    id: `subject${s.t.id}`,
    kind: 'regression',
    outDim: 1,
    descriptor: descriptorFor(
      desc,
      i,
      chosen.length,
      `parkinsons patient ${s.t.id}`,
      Float32Array.from([(s.t.metadata![0] - ageMean) / ageStd, s.t.metadata![1]]),
      ['age', 'sex'],
    ),
    train: { n: s.train.n, x: scaleX(s.train.x), y: scaleY(s.train.y) },
    test: { n: s.test.n, x: scaleX(s.test.x), y: scaleY(s.test.y) },
  }));
  const set: MultiTaskSet = { name: 'parkinsons', inputDim: d, tasks, targetScale: std, targetName: target };
  validateTaskSet(set, { needTest: true });
  return set;
}

/** Options of omniglotAlphabetTasks. */
export interface OmniglotTaskOptions extends Omit<BenchmarkOptions, 'testFraction' | 'maxRowsPerTask'> {
  /** Drawings of each character held out for testing (of 20; default 5). */
  testPerClass?: number;
  /** Keep at most this many characters of each alphabet (tests). */
  maxClassesPerTask?: number;
  /** Image side (default 28). */
  size?: number;
}

/**
 * Omniglot's 30 background alphabets (Lake et al. 2015) as tasks, multilingual handwriting: each
 * alphabet classifies its own characters (14 to 55 classes), inputs are 28x28 images flattened (ink = 1).
 * `testPerClass` drawings of every character are held out, chosen per character with the seed.
 */
export function omniglotAlphabetTasks(opts: OmniglotTaskOptions = {}): MultiTaskSet {
  const who = 'omniglotAlphabetTasks';
  checkOptions(
    opts,
    ['dataDir', 'seed', 'maxTasks', 'descriptor', 'testPerClass', 'maxClassesPerTask', 'size'],
    who,
  );
  const desc = checkDescriptor(opts.descriptor ?? 'onehot', ['onehot', 'text'], who);
  const testPer = opts.testPerClass ?? 5;
  if (!Number.isInteger(testPer) || testPer < 1 || testPer > 19)
    throw new Error(`${who}: option 'testPerClass' must be an integer in [1, 19], got ${testPer}`);
  const ds = loadOmniglot('background', { dataDir: opts.dataDir, size: opts.size ?? 28 });
  const d = ds.exampleShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(opts.seed ?? 0);
  const byAlphabet = new Map<string, number[]>();
  for (let c = 0; c < ds.numClasses; c++) {
    const a = ds.alphabetOf(c);
    let list = byAlphabet.get(a);
    if (!list) byAlphabet.set(a, (list = []));
    list.push(c);
  }
  const names = firstTasks([...byAlphabet.keys()], opts.maxTasks, who);
  const tasks: MultiTaskTask[] = names.map((a, i) => {
    let classes = byAlphabet.get(a)!;
    if (opts.maxClassesPerTask !== undefined) classes = classes.slice(0, opts.maxClassesPerTask);
    if (classes.length < 2)
      throw new Error(
        `${who}: alphabet '${a}' keeps ${classes.length} character(s); a task needs at least 2`,
      );
    const tr: { c: number; i: number; y: number }[] = [];
    const te: { c: number; i: number; y: number }[] = [];
    classes.forEach((c, label) => {
      const m = ds.examplesOf(c);
      const order = rng.shuffle(Array.from({ length: m }, (_, k) => k));
      order.forEach((k, j) => (j < testPer ? te : tr).push({ c, i: k, y: label }));
    });
    const rows = (list: typeof tr) => {
      const x = new Float32Array(list.length * d);
      list.forEach((r, j) => ds.read(r.c, r.i, x, j * d));
      return { n: list.length, x, y: Float32Array.from(list, (r) => r.y) };
    };
    return {
      id: a,
      kind: 'classification',
      outDim: classes.length,
      descriptor: descriptorFor(
        desc,
        i,
        names.length,
        `handwritten characters of the ${a.replace(/_/g, ' ')} alphabet`,
      ),
      train: rows(tr),
      test: rows(te),
    };
  });
  const set: MultiTaskSet = { name: 'omniglot-alphabets', inputDim: d, tasks };
  validateTaskSet(set, { needTest: true });
  return set;
}

/** A multi-task benchmark loadBenchmark knows. */
export type BenchmarkName = 'omniglot' | 'youtube-spam' | 'parkinsons';

/** The multi-task benchmarks by name. */
export const BENCHMARKS: Readonly<Record<BenchmarkName, (opts: object) => MultiTaskSet>> = {
  omniglot: (o) => omniglotAlphabetTasks(o),
  'youtube-spam': (o) => youtubeSpamTasks(o),
  parkinsons: (o) => parkinsonsTasks(o),
};

/** A benchmark task set by name; unknown names and options are errors that list the known ones. */
export function loadBenchmark(name: string, opts: object = {}): MultiTaskSet {
  if (!Object.prototype.hasOwnProperty.call(BENCHMARKS, name)) {
    throw new Error(`unknown benchmark '${name}'; known benchmarks: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  return BENCHMARKS[name as BenchmarkName](opts);
}
