import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Rng, sampleDistinct } from '../engine/rng.js';
import { CsvTable } from './csv.js';
import { HashingTextEmbedder, type TextEmbedder } from './text.js';
import { findExisting, resolveDataDir } from './paths.js';
import { Standardiser, type TabularTask, type TabularTaskSet } from './tabular.js';

/** Which columns of a table name the task, and hold the features, targets and metadata. */
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

/** Options of loadYoutubeSpam. */
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

/** Options of loadParkinsons. */
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
