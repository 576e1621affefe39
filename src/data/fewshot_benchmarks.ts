/**
 * Readers of the standard few-shot image benchmarks from local files, each with its published class split:
 * mini-ImageNet (Vinyals et al. 2016; the split of Ravi & Larochelle 2017), tiered-ImageNet (Ren et al.
 * 2018), CIFAR-FS (Bertinetto et al. 2019), FC100 (Oreshkin et al. 2018) and CUB-200-2011 (Wah et al.
 * 2011; the split of Chen et al. 2019). Only CIFAR-100 has a stable public download with a published
 * checksum; for the others the error says which files to put where.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassDataset } from './types.js';
import { ImageListDataset, type ImageDecodeOptions, type ImageClass, sizeOf } from './image_list.js';
import { ImageFolderDataset } from './imagefolder.js';
import { ImageArrayDataset, type ImageArrayClass } from './image_array.js';
import { resizeChannels } from './image.js';
import { readTar } from './tar.js';
import { resolveDataDir } from './paths.js';
import { assertDisjoint } from './views.js';
import { writeFileAtomic } from './cache.js';
import { download } from './download.js';
import { asNdArray, dictGet, ndNumbers, pickleText, readPickle } from './pickle.js';
import {
  hasMiniImageNetPickle,
  hasTieredImageNetPickles,
  loadMiniImageNetPickle,
  loadTieredImageNetPickle,
} from './benchmark_pickles.js';

/** The three meta-splits of a benchmark. */
export interface ImageBenchmarkSplits {
  train: ClassDataset;
  val: ClassDataset;
  test: ClassDataset;
}

/** Where a benchmark's files are and how its images are decoded. */
export interface ImageBenchmarkOptions extends ImageDecodeOptions {
  /** The benchmark's own folder; default `<dataDir>/<the benchmark's folder name>` (see BENCHMARK_FILES). */
  root?: string;
  /** The data folder; default $METALEARN_DATA, else the per-user data folder. */
  dataDir?: string;
  /**
   * Check that the splits have the published numbers of classes (default true); turn off to use a
   * subset of a benchmark's classes.
   */
  checkCounts?: boolean;
}

/** Published class counts (train / val / test) of each benchmark. */
export const BENCHMARK_CLASS_COUNTS = {
  'mini-imagenet': [64, 16, 20],
  'tiered-imagenet': [351, 97, 160],
  'cifar-fs': [64, 16, 20],
  fc100: [60, 20, 20],
  cub: [100, 50, 50],
} as const;

/** The benchmarks readable from local files. */
export type ImageBenchmarkName = keyof typeof BENCHMARK_CLASS_COUNTS;

/** The folder under the data folder, and the files, that each reader expects. */
export const BENCHMARK_FILES: Record<ImageBenchmarkName, { folder: string; files: string }> = {
  'mini-imagenet': {
    folder: 'mini-imagenet',
    files:
      'train.csv, val.csv, test.csv (Ravi & Larochelle split files, lines filename,label) and images/ holding each listed file (images/<file>.jpg or images/<label>/<file>.jpg); or the pickles mini-imagenet-cache-train.pkl, mini-imagenet-cache-val.pkl, mini-imagenet-cache-test.pkl',
  },
  'tiered-imagenet': {
    folder: 'tiered-imagenet',
    files:
      'train/, val/, test/, each holding one folder of JPEG or PNG images per class (351 / 97 / 160 classes); or the pickles of Ren et al. (2018): train_images_png.pkl, train_labels.pkl, val_images_png.pkl, val_labels.pkl, test_images_png.pkl, test_labels.pkl',
  },
  'cifar-fs': {
    folder: 'cifar100',
    files:
      'cifar-100-binary.tar.gz (the binary version of CIFAR-100) or cifar-100-python.tar.gz (the python version), or either extracted',
  },
  fc100: {
    folder: 'cifar100',
    files:
      'cifar-100-binary.tar.gz (the binary version of CIFAR-100) or cifar-100-python.tar.gz (the python version), or either extracted',
  },
  cub: {
    folder: 'CUB_200_2011',
    files: 'images/ holding the 200 class folders (001.Black_footed_Albatross/ ...) of CUB_200_2011.tgz',
  },
};

function rootOf(name: ImageBenchmarkName, opts: ImageBenchmarkOptions): string {
  return opts.root ?? join(resolveDataDir(opts.dataDir), BENCHMARK_FILES[name].folder);
}

/** Where the files can be had, for benchmarks without a stable public download. */
export const BENCHMARK_SOURCES: Partial<Record<ImageBenchmarkName, string>> = {
  'mini-imagenet':
    'there is no stable public download: build the images from ImageNet (ILSVRC-2012 train) with the Ravi & Larochelle CSVs (github.com/twitter-research/meta-learning-lstm, data/miniImagenet), or use the pickles that learn2learn and other projects share',
  'tiered-imagenet':
    'there is no stable public download: the pickles are those linked from github.com/renmengye/few-shot-ssl-public, or build the class folders from ImageNet with its split CSVs',
  cub: 'CUB_200_2011.tgz from the Caltech-UCSD Birds page (data.caltech.edu), extracted here',
};

function missing(name: ImageBenchmarkName, root: string, what: string): Error {
  const where = BENCHMARK_SOURCES[name];
  return new Error(
    `${name}: ${what} not found; put ${BENCHMARK_FILES[name].files} into ${root}${where ? ` (${where})` : ''}`,
  );
}

function checkCounts(
  name: ImageBenchmarkName,
  s: ImageBenchmarkSplits,
  opts: ImageBenchmarkOptions,
): ImageBenchmarkSplits {
  assertDisjoint({ train: s.train, val: s.val, test: s.test });
  if (opts.checkCounts ?? true) {
    const want = BENCHMARK_CLASS_COUNTS[name];
    const got = [s.train.numClasses, s.val.numClasses, s.test.numClasses];
    if (got.some((v, i) => v !== want[i])) {
      throw new Error(
        `${name}: the splits have ${got.join(' / ')} classes, but the published split has ${want.join(' / ')} (pass checkCounts: false to use a subset)`,
      );
    }
  }
  return s;
}

// ------------------------------------------------------------------------------------------------------
// mini-ImageNet
// ------------------------------------------------------------------------------------------------------

/**
 * mini-ImageNet from the Ravi & Larochelle (2017) split files over a folder of images: `train.csv`,
 * `val.csv`, `test.csv` (header `filename,label`) and `images/`. Colour is kept by default; the size
 * defaults to 84x84. Where a split's CSV is absent and `mini-imagenet-cache-<split>.pkl` is present, the
 * split is read from the pickle (loadMiniImageNetPickle; memory: its pixel array, 813 MB for train).
 */
export function loadMiniImageNet(opts: ImageBenchmarkOptions = {}): ImageBenchmarkSplits {
  const root = rootOf('mini-imagenet', opts);
  const dec: ImageDecodeOptions = { color: 'rgb', size: 84, ...opts };
  const splits = (['train', 'val', 'test'] as const).map((split) => {
    const csv = join(root, `${split}.csv`);
    if (!existsSync(csv)) {
      if (hasMiniImageNetPickle(root, split)) return loadMiniImageNetPickle(root, split, dec);
      throw missing('mini-imagenet', root, csv);
    }
    const byLabel = new Map<string, string[]>();
    const lines = readFileSync(csv, 'utf8').split(/\r?\n/);
    lines.forEach((line, i) => {
      const t = line.trim();
      if (t === '' || (i === 0 && /^filename\s*,\s*label$/i.test(t))) return;
      const m = /^([^,]+),([^,]+)$/.exec(t);
      if (!m) throw new Error(`${csv}: line ${i + 1}: expected 'filename,label', got ${JSON.stringify(t)}`);
      const [file, label] = [m[1].trim(), m[2].trim()];
      let path = join(root, 'images', file);
      if (!existsSync(path)) path = join(root, 'images', label, file);
      if (!existsSync(path))
        throw new Error(
          `${join(root, 'images', file)}: missing (listed in ${csv} line ${i + 1}); also looked for images/${label}/${file}`,
        );
      let list = byLabel.get(label);
      if (!list) byLabel.set(label, (list = []));
      list.push(path);
    });
    if (byLabel.size === 0) throw new Error(`${csv}: no images listed`);
    const classes: ImageClass[] = [...byLabel.keys()]
      .sort()
      .map((name) => ({ name, files: byLabel.get(name)! }));
    return new ImageListDataset(`mini-imagenet/${split}`, classes, dec);
  });
  return checkCounts('mini-imagenet', { train: splits[0], val: splits[1], test: splits[2] }, opts);
}

// ------------------------------------------------------------------------------------------------------
// tiered-ImageNet
// ------------------------------------------------------------------------------------------------------

/**
 * tiered-ImageNet (Ren et al. 2018) as image folders: `train/`, `val/`, `test/`, each with one folder per
 * class (351 / 97 / 160 classes, split by ImageNet super-category), or, where a split's folder is absent,
 * from its pickles `<split>_images_png.pkl` and `<split>_labels.pkl` (loadTieredImageNetPickle; the PNGs
 * stay encoded in memory, about the files' size, and are decoded when read).
 */
export function loadTieredImageNet(opts: ImageBenchmarkOptions = {}): ImageBenchmarkSplits {
  const root = rootOf('tiered-imagenet', opts);
  const dec: ImageDecodeOptions = { color: 'rgb', size: 84, ...opts };
  const splits = (['train', 'val', 'test'] as const).map((split) => {
    const dir = join(root, split);
    if (!existsSync(dir)) {
      if (hasTieredImageNetPickles(root, split)) return loadTieredImageNetPickle(root, split, dec);
      throw missing('tiered-imagenet', root, dir);
    }
    return new ImageFolderDataset(dir, dec);
  });
  return checkCounts('tiered-imagenet', { train: splits[0], val: splits[1], test: splits[2] }, opts);
}

// ------------------------------------------------------------------------------------------------------
// CUB-200-2011
// ------------------------------------------------------------------------------------------------------

/**
 * Which split class `i` (0-based, in sorted folder order) of CUB-200-2011 belongs to in Chen et al.
 * (2019, "A Closer Look at Few-shot Classification"): even indices are base (train) classes, i % 4 == 1
 * validation, i % 4 == 3 novel (test): 100 / 50 / 50.
 */
export function cubChenSplit(i: number): 'train' | 'val' | 'test' {
  return i % 2 === 0 ? 'train' : i % 4 === 1 ? 'val' : 'test';
}

/** CUB-200-2011 birds with the Chen et al. (2019) split; colour, 84x84 by default. */
export function loadCub(opts: ImageBenchmarkOptions = {}): ImageBenchmarkSplits {
  let root = rootOf('cub', opts);
  if (!existsSync(join(root, 'images')) && existsSync(join(root, 'CUB_200_2011', 'images')))
    root = join(root, 'CUB_200_2011');
  const images = join(root, 'images');
  if (!existsSync(images)) throw missing('cub', root, images);
  const folders = readdirSync(images)
    .filter((f) => !f.startsWith('.') && statSync(join(images, f)).isDirectory())
    .sort();
  if ((opts.checkCounts ?? true) && folders.length !== 200)
    throw new Error(`cub: ${images} holds ${folders.length} class folders; CUB-200-2011 has 200`);
  const part = (which: string): ImageClass[] =>
    folders
      .filter((_, i) => cubChenSplit(i) === which)
      .map((f) => {
        const files = readdirSync(join(images, f))
          .filter((n) => !n.startsWith('.') && /\.(jpe?g|png)$/i.test(n))
          .sort()
          .map((n) => join(images, f, n));
        if (files.length === 0) throw new Error(`cub: class folder ${join(images, f)} holds no images`);
        return { name: f, files };
      });
  const dec: ImageDecodeOptions = { color: 'rgb', size: 84, ...opts };
  const [train, val, test] = (['train', 'val', 'test'] as const).map(
    (s) => new ImageListDataset(`cub/${s}`, part(s), dec),
  );
  return checkCounts('cub', { train, val, test }, opts);
}

// ------------------------------------------------------------------------------------------------------
// CIFAR-100: CIFAR-FS and FC100
// ------------------------------------------------------------------------------------------------------

/** The binary version of CIFAR-100 (Krizhevsky 2009), its MD5 and size as its page gives them. */
export const CIFAR100_BINARY = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
  file: 'cifar-100-binary.tar.gz',
  md5: '03b5dce01913d631647c71ecec9e9cb8',
  bytes: 168513733,
} as const;

/** CIFAR-FS classes (Bertinetto et al. 2019): 64 train, 16 val, 20 test, by CIFAR-100 fine label name. */
// prettier-ignore
export const CIFAR_FS_CLASSES = {
  train: [
    'train',
    'skyscraper',
    'turtle',
    'raccoon',
    'spider',
    'orange',
    'castle',
    'keyboard',
    'clock',
    'pear',
    'girl',
    'seal',
    'elephant',
    'apple',
    'aquarium_fish',
    'bus',
    'mushroom',
    'possum',
    'squirrel',
    'chair',
    'tank',
    'plate',
    'wolf',
    'road',
    'mouse',
    'boy',
    'shrew',
    'couch',
    'sunflower',
    'tiger',
    'caterpillar',
    'lion',
    'streetcar',
    'lawn_mower',
    'tulip',
    'forest',
    'dolphin',
    'cockroach',
    'bear',
    'porcupine',
    'bee',
    'hamster',
    'lobster',
    'bowl',
    'can',
    'bottle',
    'trout',
    'snake',
    'bridge',
    'pine_tree',
    'skunk',
    'lizard',
    'cup',
    'kangaroo',
    'oak_tree',
    'dinosaur',
    'rabbit',
    'orchid',
    'willow_tree',
    'ray',
    'palm_tree',
    'mountain',
    'house',
    'cloud',
  ],
  val: [
    'otter',
    'motorcycle',
    'television',
    'lamp',
    'crocodile',
    'shark',
    'butterfly',
    'beaver',
    'beetle',
    'tractor',
    'flatfish',
    'maple_tree',
    'camel',
    'crab',
    'sea',
    'cattle',
  ],
  test: [
    'baby',
    'bed',
    'bicycle',
    'chimpanzee',
    'fox',
    'leopard',
    'man',
    'pickup_truck',
    'plain',
    'poppy',
    'rocket',
    'rose',
    'snail',
    'sweet_pepper',
    'table',
    'telephone',
    'wardrobe',
    'whale',
    'woman',
    'worm',
  ],
} as const;

/** FC100 (Oreshkin et al. 2018): CIFAR-100 superclass (coarse label) ids of each split, 12 / 4 / 4. */
export const FC100_SUPERCLASSES = {
  train: [1, 2, 3, 4, 5, 6, 9, 10, 15, 17, 18, 19],
  val: [8, 11, 13, 16],
  test: [0, 7, 12, 14],
} as const;

/** CIFAR-100 decoded: per fine class its name, coarse label and 600 images (train then test) as CHW bytes. */
interface Cifar100 {
  fine: string[];
  coarseOf: number[];
  images: Uint8Array[][];
}

const RECORD = 2 + 3072;

/**
 * Read CIFAR-100 under `root`: its binary version `cifar-100-binary.tar.gz` (or the extracted
 * `cifar-100-binary/`; records of coarse label, fine label, 3072 bytes of R, G, B planes), else its python
 * version `cifar-100-python.tar.gz` (or `cifar-100-python/`; pickles, see readCifar100Python).
 */
function readCifar100(root: string, name: ImageBenchmarkName): Cifar100 {
  const archive = join(root, CIFAR100_BINARY.file);
  const folder = join(root, 'cifar-100-binary');
  let get: (f: string) => Uint8Array | undefined;
  let where: string;
  if (existsSync(folder)) {
    where = folder;
    get = (f) => (existsSync(join(folder, f)) ? new Uint8Array(readFileSync(join(folder, f))) : undefined);
  } else if (existsSync(archive)) {
    where = archive;
    const files = readTar(new Uint8Array(readFileSync(archive)), archive);
    get = (f) => files.get(`cifar-100-binary/${f}`) ?? files.get(f);
  } else {
    const pyFolder = join(root, 'cifar-100-python');
    const pyArchive = join(root, 'cifar-100-python.tar.gz');
    if (existsSync(pyFolder)) return readCifar100Python(pyFolder, (f) => readIfThere(join(pyFolder, f)));
    if (existsSync(pyArchive)) {
      const files = readTar(new Uint8Array(readFileSync(pyArchive)), pyArchive);
      return readCifar100Python(pyArchive, (f) => files.get(`cifar-100-python/${f}`) ?? files.get(f));
    }
    throw missing(name, root, `${archive} (or ${folder}, ${pyArchive}, ${pyFolder})`);
  }
  const need = (f: string) => {
    const b = get(f);
    if (b === undefined) throw new Error(`${where}: no ${f} in it; is this the binary version of CIFAR-100?`);
    return b;
  };
  const fine = new TextDecoder()
    .decode(need('fine_label_names.txt'))
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (fine.length !== 100)
    throw new Error(`${where}: fine_label_names.txt lists ${fine.length} names, not 100`);
  const images: Uint8Array[][] = fine.map(() => []);
  const coarseOf = new Array<number>(100).fill(-1);
  for (const f of ['train.bin', 'test.bin']) {
    const b = need(f);
    if (b.length % RECORD !== 0)
      throw new Error(`${where}: ${f} is ${b.length} bytes, not a whole number of ${RECORD}-byte records`);
    for (let o = 0; o < b.length; o += RECORD) {
      const coarse = b[o];
      const label = b[o + 1];
      if (label >= 100 || coarse >= 20)
        throw new Error(`${where}: ${f} record ${o / RECORD} has labels ${coarse}/${label} out of range`);
      if (coarseOf[label] === -1) coarseOf[label] = coarse;
      else if (coarseOf[label] !== coarse)
        throw new Error(`${where}: ${f}: fine class ${fine[label]} appears under two superclasses`);
      images[label].push(b.subarray(o + 2, o + RECORD));
    }
  }
  return { fine, coarseOf, images };
}

const readIfThere = (f: string) => (existsSync(f) ? new Uint8Array(readFileSync(f)) : undefined);

/**
 * CIFAR-100's python version: `meta`, `train` and `test`, Python 2 pickles of dicts ('data': an (N, 3072)
 * uint8 array of R, G, B planes as in the binary records; 'fine_labels', 'coarse_labels'), read with our
 * pickle reader.
 */
function readCifar100Python(where: string, get: (f: string) => Uint8Array | undefined): Cifar100 {
  const load = (f: string) => {
    const b = get(f);
    if (b === undefined) throw new Error(`${where}: no ${f} in it; is this the python version of CIFAR-100?`);
    return readPickle(b, { file: `${where}/${f}` });
  };
  const meta = load('meta');
  const names = dictGet(meta, 'fine_label_names', `${where}/meta`);
  if (!Array.isArray(names) || names.length !== 100)
    throw new Error(`${where}/meta: fine_label_names must list 100 names`);
  const fine = names.map((n, i) => pickleText(n, `${where}/meta: fine_label_names[${i}]`));
  const images: Uint8Array[][] = fine.map(() => []);
  const coarseOf = new Array<number>(100).fill(-1);
  for (const f of ['train', 'test']) {
    const what = `${where}/${f}`;
    const d = load(f);
    const data = asNdArray(dictGet(d, 'data', what), `${what}: 'data'`);
    const fl = ndNumbers(dictGet(d, 'fine_labels', what), `${what}: 'fine_labels'`);
    const cl = ndNumbers(dictGet(d, 'coarse_labels', what), `${what}: 'coarse_labels'`);
    if (data.dtype !== '|u1' || data.shape.length !== 2 || data.shape[1] !== 3072 || data.fortran)
      throw new Error(
        `${what}: 'data' must be a C-order (N, 3072) uint8 array, got ${data.dtype} (${data.shape.join(', ')})`,
      );
    const n = data.shape[0];
    if (fl.length !== n || cl.length !== n)
      throw new Error(`${what}: ${n} images but ${fl.length} fine and ${cl.length} coarse labels`);
    const px = data.data as Uint8Array;
    for (let k = 0; k < n; k++) {
      const [label, coarse] = [fl[k], cl[k]];
      if (!(label >= 0 && label < 100 && coarse >= 0 && coarse < 20))
        throw new Error(`${what}: image ${k} has labels ${coarse}/${label} out of range`);
      if (coarseOf[label] === -1) coarseOf[label] = coarse;
      else if (coarseOf[label] !== coarse)
        throw new Error(`${what}: fine class ${fine[label]} appears under two superclasses`);
      images[label].push(px.subarray(k * 3072, (k + 1) * 3072));
    }
  }
  return { fine, coarseOf, images };
}

/** A split of CIFAR-100 classes as an ImageArrayDataset, resized from 32x32 when asked. */
function cifarSplit(
  data: Cifar100,
  ids: number[],
  label: string,
  opts: ImageBenchmarkOptions,
): ImageArrayDataset {
  const [h, w] = sizeOf(opts.size ?? 32, label);
  const color = opts.color ?? 'rgb';
  const ch = color === 'rgb' ? 3 : 1;
  const per = h * w * ch;
  const hwc = new Float32Array(32 * 32 * 3);
  const gray = new Float32Array(32 * 32);
  const small = new Float32Array(per);
  const classes: ImageArrayClass[] = ids.map((id) => {
    const imgs = data.images[id];
    const pixels = new Uint8Array(imgs.length * per);
    imgs.forEach((chw, k) => {
      for (let p = 0; p < 1024; p++) {
        const r = chw[p] / 255;
        const g = chw[1024 + p] / 255;
        const b = chw[2048 + p] / 255;
        hwc[3 * p] = r;
        hwc[3 * p + 1] = g;
        hwc[3 * p + 2] = b;
        gray[p] = 0.299 * r + 0.587 * g + 0.114 * b;
      }
      resizeChannels(ch === 3 ? hwc : gray, 32, 32, ch, h, w, opts.resize ?? 'area', small);
      for (let j = 0; j < per; j++)
        pixels[k * per + j] = Math.min(255, Math.max(0, Math.round(small[j] * 255)));
    });
    return { name: data.fine[id], pixels, count: imgs.length };
  });
  return new ImageArrayDataset(label, classes, [h, w, ch], {
    invert: opts.invert,
    normalize: opts.normalize,
  });
}

/** Fetch CIFAR-100's binary archive into `root` unless it (or its extracted folder) is there; MD5 and size checked. */
export async function ensureCifar100(
  opts: ImageBenchmarkOptions & { fetch?: typeof fetch; log?: (s: string) => void } = {},
): Promise<string> {
  const root = rootOf('cifar-fs', opts);
  const path = join(root, CIFAR100_BINARY.file);
  const have = [CIFAR100_BINARY.file, 'cifar-100-binary', 'cifar-100-python.tar.gz', 'cifar-100-python'];
  if (have.some((f) => existsSync(join(root, f)))) return root;
  const f = opts.fetch ?? globalThis.fetch;
  if (typeof f !== 'function')
    throw new Error('ensureCifar100: no fetch available (Node 18+ or pass opts.fetch)');
  opts.log?.(`downloading ${CIFAR100_BINARY.url}`);
  const body = await download(
    CIFAR100_BINARY.url,
    f,
    `without a network, put ${CIFAR100_BINARY.file} into ${root} by hand`,
  );
  if (body.length !== CIFAR100_BINARY.bytes)
    throw new Error(`${CIFAR100_BINARY.url}: got ${body.length} bytes, expected ${CIFAR100_BINARY.bytes}`);
  const md5 = createHash('md5').update(body).digest('hex');
  if (md5 !== CIFAR100_BINARY.md5)
    throw new Error(
      `${CIFAR100_BINARY.url}: MD5 is ${md5}, expected ${CIFAR100_BINARY.md5} (a damaged or different file)`,
    );
  writeFileAtomic(path, body);
  return root;
}

/** CIFAR-FS (Bertinetto et al. 2019): 64 / 16 / 20 CIFAR-100 classes by name, 600 images each, 32x32 RGB by default. */
export function loadCifarFs(opts: ImageBenchmarkOptions = {}): ImageBenchmarkSplits {
  const data = readCifar100(rootOf('cifar-fs', opts), 'cifar-fs');
  const ids = (names: readonly string[]) =>
    names.map((n) => {
      const i = data.fine.indexOf(n);
      if (i < 0) throw new Error(`cifar-fs: CIFAR-100 has no class '${n}' (fine_label_names.txt)`);
      return i;
    });
  const s = {
    train: cifarSplit(data, ids(CIFAR_FS_CLASSES.train), 'cifar-fs/train', opts),
    val: cifarSplit(data, ids(CIFAR_FS_CLASSES.val), 'cifar-fs/val', opts),
    test: cifarSplit(data, ids(CIFAR_FS_CLASSES.test), 'cifar-fs/test', opts),
  };
  return checkCounts('cifar-fs', s, opts);
}

/** FC100 (Oreshkin et al. 2018): CIFAR-100 split by superclass, 60 / 20 / 20 classes, 32x32 RGB by default. */
export function loadFc100(opts: ImageBenchmarkOptions = {}): ImageBenchmarkSplits {
  const data = readCifar100(rootOf('fc100', opts), 'fc100');
  const ids = (supers: readonly number[]) =>
    data.fine.map((_, i) => i).filter((i) => supers.includes(data.coarseOf[i]));
  const s = {
    train: cifarSplit(data, ids(FC100_SUPERCLASSES.train), 'fc100/train', opts),
    val: cifarSplit(data, ids(FC100_SUPERCLASSES.val), 'fc100/val', opts),
    test: cifarSplit(data, ids(FC100_SUPERCLASSES.test), 'fc100/test', opts),
  };
  return checkCounts('fc100', s, opts);
}

/** The reader of each benchmark. */
export const BENCHMARK_LOADERS: Record<
  ImageBenchmarkName,
  (opts?: ImageBenchmarkOptions) => ImageBenchmarkSplits
> = {
  'mini-imagenet': loadMiniImageNet,
  'tiered-imagenet': loadTieredImageNet,
  'cifar-fs': loadCifarFs,
  fc100: loadFc100,
  cub: loadCub,
};
