import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ClassDataset, checkExample } from './types.js';
import { ZipArchive, type ZipEntry } from './zip.js';
import { decodePng, pngToGray } from './png_decode.js';
import { type ResizeMethod, type Rotation, resizeGray } from './image.js';
import { crc32 } from './crc32.js';
import {
  type SourceStamp,
  fileSizeOrMinusOne,
  readJsonOrUndefined,
  sameStamp,
  stampOf,
  writeFileAtomic,
} from './cache.js';
import { findExisting, resolveCacheDir, resolveDataDir } from './paths.js';
import { type FetchOmniglotOptions, fetchOmniglot } from './download.js';
import { RotatedClasses, type RotatedEntry } from './rotate.js';
import { ClassSubset, ConcatClasses, assertDisjoint } from './views.js';

/** Lake et al.'s split: 30 background alphabets (964 characters) and 20 evaluation alphabets (659). */
export type OmniglotSet = 'background' | 'evaluation';

/** Options of the Omniglot readers: data and cache folders, image size, resize method. */
export interface OmniglotOptions {
  /** Folder holding `omniglot/images_{background,evaluation}.zip` (or the zips themselves). */
  dataDir?: string;
  /** Where decoded images are cached; default `$METALEARN_CACHE/omniglot`, else the per-user cache folder. */
  cacheDir?: string;
  /** Side of the square output images; default 28. */
  size?: number;
  /** Resampling from 105x105; default 'area' (box filter, keeps thin strokes). */
  resize?: ResizeMethod;
  /** Read and write the binary cache; default true. */
  cache?: boolean;
  /** Called while decoding (not when the cache is hit). */
  onProgress?: (done: number, total: number) => void;
}

interface CharacterIndex {
  alphabet: number;
  name: string;
  start: number;
  files: string[];
}

interface OmniglotIndex {
  format: 'metalearn-omniglot-cache';
  version: number;
  set: string;
  size: number;
  resize: ResizeMethod;
  source: SourceStamp;
  bytes: number;
  crc32: number;
  alphabets: string[];
  characters: CharacterIndex[];
}

// Bump when the decoded pixels or the index layout change, so stale caches are rebuilt.
const CACHE_VERSION = 1;

const LUT = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255;
  return t;
})();

/**
 * Omniglot characters as a ClassDataset: class = one character of one alphabet, 20 drawings each.
 * Images are [size, size, 1] float32 in [0, 1] with ink = 1 and background = 0: the PNGs have a white
 * background, which is inverted so that empty space is zero (what convolutions and padding expect).
 * Pixels are held as 8-bit gray (quantised after resizing), 784 bytes per 28x28 image.
 */
export class OmniglotImages implements ClassDataset {
  readonly name: string;
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  readonly alphabets: readonly string[];
  readonly numImages: number;
  private readonly pixelsPerImage: number;

  /** @internal built by loadOmniglot */
  constructor(
    readonly set: string,
    readonly size: number,
    private readonly pixels: Uint8Array,
    private readonly index: OmniglotIndex,
  ) {
    this.name = `omniglot/${set}`;
    this.numClasses = index.characters.length;
    this.exampleShape = [size, size, 1];
    this.alphabets = index.alphabets;
    this.pixelsPerImage = size * size;
    this.numImages = index.characters.reduce((n, c) => n + c.files.length, 0);
  }

  examplesOf(c: number): number {
    const ch = this.index.characters[c];
    if (ch === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return ch.files.length;
  }

  read(c: number, i: number, out: Float32Array, offset = 0): void {
    checkExample(this, c, i);
    const n = this.pixelsPerImage;
    const src = (this.index.characters[c].start + i) * n;
    const px = this.pixels;
    for (let j = 0; j < n; j++) out[offset + j] = LUT[px[src + j]];
  }

  /** `Alphabet/characterNN`, the naming of the Vinyals split files. */
  className(c: number): string {
    const ch = this.index.characters[c];
    if (ch === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return `${this.index.alphabets[ch.alphabet]}/${ch.name}`;
  }

  alphabetOf(c: number): string {
    const ch = this.index.characters[c];
    if (ch === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return this.index.alphabets[ch.alphabet];
  }

  /** A character's group is its alphabet (within-alphabet episodes, Lake et al. 2015). */
  groupOf(c: number): string {
    return this.alphabetOf(c);
  }

  /** The PNG file name of drawing `i` of class `c`, e.g. `0001_07.png` (character 1, drawer 7). */
  fileOf(c: number, i: number): string {
    checkExample(this, c, i);
    return this.index.characters[c].files[i];
  }

  /** The raw 8-bit pixels of every image, class after class (read-only by convention). */
  rawPixels(): Uint8Array {
    return this.pixels;
  }
}

const zipCandidates = (set: OmniglotSet, dir: string): string[] => [
  join(dir, 'omniglot', `images_${set}.zip`),
  join(dir, `images_${set}.zip`),
];

/** Path of `images_<set>.zip` under the data directory. */
export function omniglotZipPath(set: OmniglotSet, dataDir?: string): string {
  return findExisting(
    `Omniglot ${set} zip (images_${set}.zip)`,
    zipCandidates(set, resolveDataDir(dataDir)),
    'To download the public release there: `metalearn fetch` or loadOmniglot(set, { download: true }).',
  );
}

/**
 * Make sure both Omniglot zips and the Vinyals split files are in the data directory (`dataDir`, else
 * `$METALEARN_DATA`, else the per-user data folder), downloading and checking what is missing
 * (`fetchOmniglot`). Returns the data directory.
 */
export async function ensureOmniglot(
  dataDir?: string,
  opts: Omit<FetchOmniglotOptions, 'force'> = {},
): Promise<string> {
  const dir = resolveDataDir(dataDir);
  const have = (['background', 'evaluation'] as const).every((set) =>
    zipCandidates(set, dir).some((p) => existsSync(p)),
  );
  const splits = VINYALS_SPLITS.every((s) => splitCandidates(s, dir).some((p) => existsSync(p)));
  if (have && (splits || opts.vinyals === false)) return dir;
  return fetchOmniglot(dir, opts);
}

/**
 * Load one half of Omniglot, decoding the zip on first use and reading the binary cache afterwards
 * (cache files `<set>-<size>-<resize>.{u8,json}`; rebuilt when the zip's size or time changes).
 * With `download: true` the public zips are fetched first when missing (`ensureOmniglot`), and the
 * result is a Promise.
 */
export function loadOmniglot(
  set: OmniglotSet,
  opts: OmniglotOptions & { download: true; fetchOptions?: FetchOmniglotOptions },
): Promise<OmniglotImages>;
export function loadOmniglot(set: OmniglotSet, opts?: OmniglotOptions & { download?: false }): OmniglotImages;
export function loadOmniglot(
  set: OmniglotSet,
  opts: OmniglotOptions & { download?: boolean; fetchOptions?: FetchOmniglotOptions } = {},
): OmniglotImages | Promise<OmniglotImages> {
  if (opts.download === true) {
    return ensureOmniglot(opts.dataDir, opts.fetchOptions).then((dataDir) =>
      loadOmniglotNow(set, { ...opts, dataDir }),
    );
  }
  return loadOmniglotNow(set, opts);
}

function loadOmniglotNow(set: OmniglotSet, opts: OmniglotOptions): OmniglotImages {
  if (set !== 'background' && set !== 'evaluation') {
    throw new Error(`loadOmniglot: set must be 'background' or 'evaluation', got '${String(set)}'`);
  }
  const size = opts.size ?? 28;
  if (!Number.isInteger(size) || size < 1 || size > 1024) {
    throw new Error(`loadOmniglot: option size must be an integer in [1, 1024], got ${size}`);
  }
  const resize = opts.resize ?? 'area';
  if (resize !== 'area' && resize !== 'bilinear') {
    throw new Error(`loadOmniglot: option resize must be 'area' or 'bilinear', got '${String(resize)}'`);
  }
  const zipPath = omniglotZipPath(set, opts.dataDir);
  const stamp = stampOf(zipPath);
  const useCache = opts.cache ?? true;
  const cacheDir = resolveCacheDir('omniglot', opts.cacheDir);
  const base = join(cacheDir, `${set}-${size}-${resize}`);
  if (useCache) {
    const idx = readJsonOrUndefined<OmniglotIndex>(`${base}.json`);
    if (
      idx?.format === 'metalearn-omniglot-cache' &&
      idx.version === CACHE_VERSION &&
      idx.size === size &&
      idx.resize === resize &&
      sameStamp(idx.source, stamp) &&
      fileSizeOrMinusOne(`${base}.u8`) === idx.bytes
    ) {
      const px = new Uint8Array(readFileSync(`${base}.u8`));
      // A damaged cache is a miss, not an error: fall through and rebuild it.
      if (crc32(px) === idx.crc32) return new OmniglotImages(set, size, px, idx);
    }
  }
  const { pixels, index } = decodeOmniglotZip(zipPath, set, size, resize, stamp, opts.onProgress);
  if (useCache) {
    // Pixels first, index last: the index is the commit record, and it names the pixel file's length and
    // checksum, so no reader ever trusts a pixel file the index was not written for.
    try {
      writeFileAtomic(`${base}.u8`, pixels);
      writeFileAtomic(`${base}.json`, JSON.stringify(index));
    } catch (e) {
      // The images are decoded and correct; a read-only or full cache folder only costs speed next time.
      process.emitWarning(
        `Omniglot cache not written to ${cacheDir}: ${(e as Error).message}`,
        'MetalearnCacheWarning',
      );
    }
  }
  return new OmniglotImages(set, size, pixels, index);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeOmniglotZip(
  zipPath: string,
  set: string,
  size: number,
  resize: ResizeMethod,
  stamp: SourceStamp,
  onProgress?: (done: number, total: number) => void,
): { pixels: Uint8Array; index: OmniglotIndex } {
  const zip = ZipArchive.open(zipPath);
  // Layout: images_<set>/<Alphabet>/<characterNN>/<id>_<drawer>.png; tolerate a missing top folder.
  const groups = new Map<string, Map<string, { file: string; entry: ZipEntry }[]>>();
  for (const e of zip.entries) {
    if (e.isDirectory || e.name.startsWith('__MACOSX/')) continue;
    const parts = e.name.split('/');
    const file = parts[parts.length - 1];
    if (!file.toLowerCase().endsWith('.png') || file.startsWith('.')) continue;
    if (parts.length < 3) {
      throw new Error(`${zipPath}: entry '${e.name}' is not inside <Alphabet>/<character>/ folders`);
    }
    const alphabet = parts[parts.length - 3];
    const character = parts[parts.length - 2];
    let chars = groups.get(alphabet);
    if (!chars) groups.set(alphabet, (chars = new Map()));
    let files = chars.get(character);
    if (!files) chars.set(character, (files = []));
    files.push({ file, entry: e });
  }
  if (groups.size === 0) throw new Error(`${zipPath}: no PNG images found in the zip`);
  const alphabets = [...groups.keys()].sort(byName);
  const plan: { alphabet: number; name: string; files: { file: string; entry: ZipEntry }[] }[] = [];
  alphabets.forEach((a, ai) => {
    const chars = groups.get(a)!;
    for (const ch of [...chars.keys()].sort(byName)) {
      plan.push({ alphabet: ai, name: ch, files: chars.get(ch)!.sort((x, y) => byName(x.file, y.file)) });
    }
  });
  const total = plan.reduce((n, p) => n + p.files.length, 0);
  const per = size * size;
  const pixels = new Uint8Array(total * per);
  const characters: CharacterIndex[] = [];
  let k = 0;
  let gray = new Float32Array(0);
  const out = new Float32Array(per);
  for (const p of plan) {
    characters.push({ alphabet: p.alphabet, name: p.name, start: k, files: p.files.map((f) => f.file) });
    for (const { entry } of p.files) {
      const label = `${zipPath}: entry '${entry.name}'`;
      const img = decodePng(zip.read(entry), label);
      // Resampling weights sum to 1, so inverting after resizing (on 784 values, not 11,025) is the same.
      const n = img.width * img.height;
      if (gray.length !== n) gray = new Float32Array(n);
      const small = resizeGray(pngToGray(img, gray), img.height, img.width, size, size, resize, out);
      const o = k * per;
      for (let j = 0; j < per; j++) {
        const v = Math.round((1 - small[j]) * 255);
        pixels[o + j] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      k++;
      if (onProgress && (k % 1000 === 0 || k === total)) onProgress(k, total);
    }
  }
  const index: OmniglotIndex = {
    format: 'metalearn-omniglot-cache',
    version: CACHE_VERSION,
    set,
    size,
    resize,
    source: stamp,
    bytes: pixels.length,
    crc32: crc32(pixels),
    alphabets,
    characters,
  };
  return { pixels, index };
}

/** Both halves of Lake et al.'s split, checked to share no character. */
export function loadOmniglotBackgroundEvaluation(opts: OmniglotOptions = {}): {
  background: OmniglotImages;
  evaluation: OmniglotImages;
} {
  const background = loadOmniglot('background', opts);
  const evaluation = loadOmniglot('evaluation', opts);
  assertDisjoint({ background, evaluation });
  return { background, evaluation };
}

/** Options of loadOmniglotLakeSplits. */
export interface OmniglotLakeOptions extends OmniglotOptions {
  /**
   * How many background alphabets to hold out for validation, spread over the alphabetical order (every
   * floor(30 / n)-th from the last); default 5 (for a smaller background set, one alphabet in six and at least
   * one). 0 trains on all 30 and leaves `val` undefined.
   */
  valAlphabets?: number;
  /** Add the 90/180/270-degree rotations of the training characters as classes of their own; default true. */
  rotations?: boolean;
}

/** Lake et al.'s background/evaluation split as meta-train, meta-validation and meta-test classes. */
export interface OmniglotLakeSplits {
  /** Characters of the background alphabets not held out (with rotations unless `rotations: false`). */
  train: ClassSubset | RotatedClasses;
  /** Characters of the held-out background alphabets, unrotated; undefined with valAlphabets 0. */
  val: ClassSubset | undefined;
  /** The 659 characters of the 20 evaluation alphabets, unrotated. */
  test: ClassSubset;
  /** The held-out background alphabets, in name order. */
  valAlphabetNames: string[];
}

/**
 * Lake et al.'s (2015) split for one-shot classification: train only on the background set (30 alphabets,
 * 964 characters), meta-test on the evaluation set (20 alphabets, 659 characters). The paper has no
 * validation set; `valAlphabets` background alphabets are held out for one, so the evaluation alphabets
 * are never seen before the meta-test. Pair with within-group episodes (EpisodeOptions.withinGroup) for
 * Lake's 20-way within-alphabet task.
 */
export function loadOmniglotLakeSplits(opts: OmniglotLakeOptions = {}): OmniglotLakeSplits {
  const { background, evaluation } = loadOmniglotBackgroundEvaluation(opts);
  const count = background.alphabets.length;
  // 5 of the 30; a smaller background set (a test fixture) gives one alphabet in six, at least one.
  const n = opts.valAlphabets ?? Math.max(1, Math.min(5, Math.floor(count / 6)));
  if (!Number.isInteger(n) || n < 0 || n >= count) {
    throw new Error(
      `loadOmniglotLakeSplits: option valAlphabets must be an integer in [0, ${count}), got ${n}`,
    );
  }
  // Every stride-th alphabet counted back from the last, so the choice needs no seed and is easy to state.
  const held = new Set<number>();
  const stride = n > 0 ? Math.floor(count / n) : 0;
  for (let i = 0; i < n; i++) held.add(count - 1 - i * stride);
  const alphabetIndex = new Map(background.alphabets.map((a, i) => [a, i]));
  const trainIds: number[] = [];
  const valIds: number[] = [];
  for (let c = 0; c < background.numClasses; c++) {
    (held.has(alphabetIndex.get(background.alphabetOf(c))!) ? valIds : trainIds).push(c);
  }
  const base = new ClassSubset(background, trainIds, 'omniglot/lake-train');
  const train =
    (opts.rotations ?? true) ? new RotatedClasses(base, { name: 'omniglot/lake-train+rot' }) : base;
  const val = n > 0 ? new ClassSubset(background, valIds, 'omniglot/lake-val') : undefined;
  const test = new ClassSubset(
    evaluation,
    Array.from({ length: evaluation.numClasses }, (_, c) => c),
    'omniglot/lake-test',
  );
  assertDisjoint(val ? { train, val, test } : { train, test });
  const valAlphabetNames = [...held].sort((a, b) => a - b).map((i) => background.alphabets[i]);
  return { train, val, test, valAlphabetNames };
}

/** A split of Vinyals et al.'s (2016) Omniglot protocol. */
export type VinyalsSplit = 'train' | 'val' | 'trainval' | 'test';
/** Every Vinyals split, in file order. */
export const VINYALS_SPLITS: readonly VinyalsSplit[] = ['train', 'val', 'trainval', 'test'];

/** One line of a Vinyals split file: a character and one of its rotations. */
export interface VinyalsLine {
  /** `Alphabet/characterNN` */
  character: string;
  rotation: Rotation;
}

function splitCandidates(split: VinyalsSplit, dir: string): string[] {
  const rel = join('splits', 'vinyals', `${split}.txt`);
  return [join(dir, 'omniglot', rel), join(dir, rel)];
}

/** Path of `splits/vinyals/<split>.txt` under the data directory. */
export function vinyalsSplitPath(split: VinyalsSplit, dataDir?: string): string {
  return findExisting(`Vinyals split file ${split}.txt`, splitCandidates(split, resolveDataDir(dataDir)));
}

/** Parse a Vinyals split file: one `Alphabet/characterNN/rotDDD` per line. */
export function readVinyalsSplit(split: VinyalsSplit, opts: { dataDir?: string } = {}): VinyalsLine[] {
  if (!VINYALS_SPLITS.includes(split)) {
    throw new Error(`unknown Vinyals split '${String(split)}'; expected one of ${VINYALS_SPLITS.join(', ')}`);
  }
  const path = vinyalsSplitPath(split, opts.dataDir);
  const out: VinyalsLine[] = [];
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      const s = line.trim();
      if (s.length === 0) return;
      const m = /^(.+\/[^/]+)\/rot(\d{3})$/.exec(s);
      const rot = m ? Number(m[2]) : NaN;
      if (!m || ![0, 90, 180, 270].includes(rot)) {
        throw new Error(
          `${path}:${i + 1}: expected 'Alphabet/characterNN/rotDDD' with DDD in 000/090/180/270, got '${s}'`,
        );
      }
      out.push({ character: m[1], rotation: rot as Rotation });
    });
  return out;
}

/**
 * The Vinyals et al. (2016) few-shot split: characters of both zips pooled, then 1,200 (trainval) and 423
 * (test) characters, each with four rotations as separate classes (4,800 and 1,692 classes).
 */
export function loadOmniglotVinyals(split: VinyalsSplit, opts: OmniglotOptions = {}): RotatedClasses {
  return loadOmniglotVinyalsSplits(opts, [split])[split]!;
}

/** Several Vinyals splits sharing one load of the images; throws if train/val/test or trainval/test overlap. */
export function loadOmniglotVinyalsSplits(
  opts: OmniglotOptions = {},
  splits: readonly VinyalsSplit[] = VINYALS_SPLITS,
): Partial<Record<VinyalsSplit, RotatedClasses>> {
  const pooled = new ConcatClasses(
    [loadOmniglot('background', opts), loadOmniglot('evaluation', opts)],
    'omniglot/all',
  );
  const byName = new Map<string, number>();
  for (let c = 0; c < pooled.numClasses; c++) byName.set(pooled.className(c), c);
  const out: Partial<Record<VinyalsSplit, RotatedClasses>> = {};
  for (const split of splits) {
    const entries: RotatedEntry[] = readVinyalsSplit(split, opts).map((l) => {
      const cls = byName.get(l.character);
      if (cls === undefined) {
        throw new Error(
          `${vinyalsSplitPath(split, opts.dataDir)}: character '${l.character}' is in neither Omniglot zip`,
        );
      }
      return { cls, rotation: l.rotation };
    });
    out[split] = new RotatedClasses(pooled, { entries, name: `omniglot/vinyals-${split}` });
  }
  const { train, val, test, trainval } = out;
  if (train && val && test) assertDisjoint({ train, val, test });
  if (trainval && test) assertDisjoint({ trainval, test });
  return out;
}
