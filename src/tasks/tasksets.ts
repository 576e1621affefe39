/**
 * One call from a dataset name to training, validation and test task sources, as learn2learn's
 * get_tasksets: `await getTaskSets('mini-imagenet', { ways: 5, shots: 1, root: 'data/mini-imagenet' })`.
 */
import { Rng } from '../engine/rng.js';
import type { ClassDataset } from '../data/types.js';
import { SyntheticAlphabet } from '../data/synthetic.js';
import { ensureOmniglot, loadOmniglotLakeSplits, loadOmniglotVinyalsSplits } from '../data/omniglot.js';
import { loadImageFolder } from '../data/imagefolder.js';
import type { ImageDecodeOptions } from '../data/image_list.js';
import { type Augmentation, normalizeChannels } from '../data/augment.js';
import {
  BENCHMARK_LOADERS,
  type ImageBenchmarkName,
  ensureCifar100,
  BENCHMARK_FILES,
} from '../data/fewshot_benchmarks.js';
import { assertDisjoint } from '../data/views.js';
import { metaSplits, splitClassIds } from './splits.js';
import { TaskSource, type TaskTransform, augment, kShots, nQueries, nWays } from './transforms.js';
import { TASKSET_NAMES, type TaskSetName, isTaskSetName } from './taskset_names.js';

export { TASKSET_NAMES, type TaskSetName, isTaskSetName };

/** Options of getTaskSets and loadTaskSplits. */
export interface TaskSetsOptions {
  /** N of training and validation tasks; default 5. */
  ways?: number;
  /** K; default 1. */
  shots?: number;
  /** Queries per class; default 15. */
  queries?: number;
  /** N and K of test tasks; default ways and shots. */
  testWays?: number;
  testShots?: number;
  /**
   * The dataset's own folder: for 'folder' the image folder itself, for a benchmark its files (see
   * BENCHMARK_FILES); default `<dataDir>/<its folder>`.
   */
  root?: string;
  /** The data folder; default $METALEARN_DATA, else the per-user data folder. */
  dataDir?: string;
  /** Fetch missing files where a checked public source exists (Omniglot, CIFAR-100); default false. */
  download?: boolean;
  /**
   * More transforms for training tasks, after the ways/shots/queries ones (e.g. classAugment(),
   * remapLabels(), augment([randomCrop(8), horizontalFlip()])). A ways, shots or queries step here
   * replaces the one from the options.
   */
  transforms?: readonly TaskTransform[];
  /** Decoding of image files: size, colour, resize method (defaults per dataset). */
  image?: ImageDecodeOptions;
  /**
   * Per-channel mean/std applied to every split's examples after the augmentations (which expect
   * [0, 1] pixels).
   */
  normalize?: { mean: readonly number[]; std: readonly number[] };
  /**
   * For the benchmarks: check that the splits have the published numbers of classes (default true);
   * false reads a subset of a benchmark's classes.
   */
  checkCounts?: boolean;
  /** Seed of the class split of 'folder' (60/20/20%); default 7. */
  splitSeed?: number;
}

/** Disjoint training, validation and test classes, and where they came from. */
export interface TaskSplits {
  train: ClassDataset;
  val: ClassDataset;
  test: ClassDataset;
  /** One line on the data and its split. */
  description: string;
}

/** Training, validation and test task sources of one dataset, and the class splits under them. */
export interface TaskSets {
  train: TaskSource;
  validation: TaskSource;
  test: TaskSource;
  splits: TaskSplits;
}

const counts = (s: { train: ClassDataset; val: ClassDataset; test: ClassDataset }) =>
  `${s.train.numClasses} / ${s.val.numClasses} / ${s.test.numClasses} classes`;

/** The class splits of a dataset from local files (synchronous; no download). */
export function loadTaskSplits(name: string, opts: TaskSetsOptions = {}): TaskSplits {
  if (!isTaskSetName(name)) throw new Error(`unknown dataset '${name}'; known: ${TASKSET_NAMES.join(', ')}`);
  switch (name) {
    case 'synthetic': {
      const ds = new SyntheticAlphabet({ numClasses: 400, seed: 1234 });
      const s = metaSplits(ds, splitClassIds(ds.numClasses, { train: 240, val: 80, test: 80 }, new Rng(7)));
      return { ...s, description: 'synthetic alphabet: 400 characters x 20 drawings; 240/80/80 classes' };
    }
    case 'omniglot': {
      const s = loadOmniglotVinyalsSplits(
        {
          dataDir: opts.root ?? opts.dataDir,
          size: sizeNumber(opts.image?.size),
          cacheDir: opts.image?.cacheDir,
        },
        ['train', 'val', 'test'],
      );
      const split = { train: s.train!, val: s.val!, test: s.test! };
      assertDisjoint(split);
      return { ...split, description: `Omniglot, Vinyals split with rotations: ${counts(split)}` };
    }
    case 'omniglot-lake': {
      const s = loadOmniglotLakeSplits({
        dataDir: opts.root ?? opts.dataDir,
        size: sizeNumber(opts.image?.size),
        cacheDir: opts.image?.cacheDir,
      });
      return { train: s.train, val: s.val!, test: s.test, description: lakeDescription(s) };
    }
    case 'folder': {
      if (opts.root === undefined)
        throw new Error(`dataset 'folder' needs option root (a folder of class/image files)`);
      const ds = loadImageFolder(opts.root, opts.image);
      const s = metaSplits(
        ds,
        splitClassIds(ds.numClasses, { train: 0.6, val: 0.2, test: 0.2 }, new Rng(opts.splitSeed ?? 7)),
      );
      return { ...s, description: `image folder ${opts.root}: ${ds.numClasses} classes split 60/20/20%` };
    }
    default: {
      const s = BENCHMARK_LOADERS[name]({
        ...opts.image,
        root: opts.root,
        dataDir: opts.dataDir,
        checkCounts: opts.checkCounts,
      });
      return { ...s, description: `${name} (published split): ${counts(s)}` };
    }
  }
}

/** One line on Lake et al.'s split as loadOmniglotLakeSplits makes it. */
function lakeDescription(s: {
  train: ClassDataset;
  val?: ClassDataset;
  test: ClassDataset;
  valAlphabetNames: readonly string[];
}): string {
  return (
    `Omniglot, Lake et al.'s split: background alphabets (rotations as classes) / ` +
    `${s.valAlphabetNames.length} held-out background alphabets (${s.valAlphabetNames.join(', ')}) / ` +
    `evaluation alphabets: ${s.train.numClasses} / ${s.val?.numClasses ?? 0} / ${s.test.numClasses} classes`
  );
}

function sizeNumber(size: ImageDecodeOptions['size']): number | undefined {
  if (size === undefined || typeof size === 'number') return size;
  if (size[0] !== size[1])
    throw new Error(`omniglot: images are square; option image.size ${JSON.stringify(size)}`);
  return size[0];
}

/** The files a dataset needs, in one line (for help and error messages). */
export function taskSetFiles(name: TaskSetName): string {
  if (name === 'synthetic') return 'none (generated)';
  if (name === 'omniglot-lake') return 'omniglot/images_background.zip and images_evaluation.zip';
  if (name === 'omniglot')
    return 'omniglot/images_background.zip, images_evaluation.zip and splits/vinyals/*.txt';
  if (name === 'folder') return '<root>/<class>/<image>.jpg|.png';
  return `${BENCHMARK_FILES[name as ImageBenchmarkName].folder}/: ${BENCHMARK_FILES[name as ImageBenchmarkName].files}`;
}

/**
 * Training, validation and test task sources for `name` (one of TASKSET_NAMES). With download: true,
 * Omniglot's and CIFAR-100's public archives are fetched (and checked) first when missing; other datasets
 * have no stable public source, and a missing file is an error saying which file to put where.
 */
export async function getTaskSets(name: string, opts: TaskSetsOptions = {}): Promise<TaskSets> {
  if (opts.download === true) {
    if (name === 'omniglot') opts = { ...opts, dataDir: await ensureOmniglot(opts.root ?? opts.dataDir) };
    if (name === 'omniglot-lake')
      opts = { ...opts, dataDir: await ensureOmniglot(opts.root ?? opts.dataDir, { vinyals: false }) };
    if (name === 'cifar-fs' || name === 'fc100')
      await ensureCifar100({ root: opts.root, dataDir: opts.dataDir });
  }
  return taskSetsOf(loadTaskSplits(name, opts), opts);
}

/** Task sources over given class splits (what getTaskSets does after loading). */
export function taskSetsOf(s: TaskSplits, opts: TaskSetsOptions = {}): TaskSets {
  const ways = opts.ways ?? 5;
  const shots = opts.shots ?? 1;
  const queries = opts.queries ?? 15;
  const norm: Augmentation[] =
    opts.normalize !== undefined ? [normalizeChannels(opts.normalize.mean, opts.normalize.std)] : [];
  const post = norm.length > 0 ? [augment(norm, { query: true })] : [];
  const extra = opts.transforms ?? [];
  const has = (k: string) => extra.some((t) => t.kind === k);
  const base: TaskTransform[] = [
    ...(has('ways') ? [] : [nWays(ways)]),
    ...(has('shots') ? [] : [kShots(shots)]),
    ...(has('queries') ? [] : [nQueries(queries)]),
  ];
  const evalBase = (w: number, k: number) => [nWays(w), kShots(k), nQueries(queries), ...post];
  return {
    train: new TaskSource(s.train, [...base, ...extra, ...post]),
    validation: new TaskSource(s.val, evalBase(ways, shots)),
    test: new TaskSource(s.test, evalBase(opts.testWays ?? ways, opts.testShots ?? shots)),
    splits: s,
  };
}
