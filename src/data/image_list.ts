import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type ClassDataset, checkExample } from './types.js';
import type { Normalization } from './image_array.js';

export type { Normalization };
import { decodePng, MAX_PNG_PIXELS } from './png_decode.js';
import { decodeJpeg, isJpeg, MAX_JPEG_PIXELS } from './jpeg_decode.js';
import { type ResizeMethod, resizeChannels } from './image.js';
import { crc32 } from './crc32.js';
import {
  type SourceStamp,
  fileSizeOrMinusOne,
  readJsonOrUndefined,
  sameStamp,
  stampOf,
  writeFileAtomic,
} from './cache.js';
import { resolveCacheDir } from './paths.js';

/** Colour handling: 'gray' (ITU-R 601 luma, one channel) or 'rgb' (three channels). */
export type ColorMode = 'gray' | 'rgb';

/**
 * The ImageNet channel statistics (RGB, [0, 1] scale) that most mini-ImageNet code normalises with; the
 * values torchvision's documentation gives.
 */
export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** How images are decoded, resized, stored and read. */
export interface ImageDecodeOptions {
  /** Output size: a side for square images, or [height, width]; default 28. */
  size?: number | readonly [number, number];
  /**
   * Default 'area': each output pixel averages the source pixels under it (by overlap), the right filter
   * for shrinking photographs; 'bilinear' interpolates with half-pixel centres (as PIL and tf.image do).
   */
  resize?: ResizeMethod;
  /** Default 'gray' (one channel); 'rgb' keeps colour as [h, w, 3]. */
  color?: ColorMode;
  /**
   * Store 1 - value instead of value. Use it for dark ink on white paper (like the Omniglot scans) so
   * that ink is 1 and background 0, as the Omniglot reader does; default false (bright = 1).
   */
  invert?: boolean;
  /** Per-channel mean/std applied when examples are read (after invert); default none. */
  normalize?: Normalization;
  /**
   * Keep the decoded pixels in the binary cache (one file of bytes plus an index; rebuilt when any source
   * file's size or time changes). Default 'auto': cache folders of 1000 images or more.
   */
  cache?: boolean | 'auto';
  /** Where decoded images are cached; default `$METALEARN_CACHE/images`, else the per-user cache folder. */
  cacheDir?: string;
  /** Refuse a PNG or JPEG of more pixels than this; default 8192x8192 (MAX_PNG_PIXELS, MAX_JPEG_PIXELS). */
  maxPixels?: number;
  /** Called while decoding (not when the cache is hit). */
  onProgress?: (done: number, total: number) => void;
}

/** One class of an image list: its name and its image files (paths). */
export interface ImageClass {
  readonly name: string;
  readonly files: readonly string[];
  /** Source identity for split checks (defaults to the name). */
  readonly sourceKey?: string;
}

/** Images of at least this many files are cached when the option cache is 'auto'. */
export const AUTO_CACHE_IMAGES = 1000;

// Bump when decoding, resizing or the cache layout change, so that stale caches are rebuilt.
const CACHE_VERSION = 1;

interface ImageCacheIndex {
  format: 'metalearn-image-cache';
  version: number;
  key: string;
  bytes: number;
  crc32: number;
  stamps: SourceStamp[];
}

/** Decode a PNG or JPEG (told apart by their first bytes) to float RGB or gray in [0, 1]. */
export function decodeImageFile(
  buf: Uint8Array,
  file: string,
  color: ColorMode,
  maxPixels?: number,
): { width: number; height: number; channels: 1 | 3; data: Float32Array } {
  const png = buf.length >= 8 && buf[0] === 137 && buf[1] === 80 && buf[2] === 78 && buf[3] === 71;
  // Content decides; for a file that is neither, its name picks whose error to show.
  if (isJpeg(buf) || (!png && /\.jpe?g$/i.test(file))) {
    const img = decodeJpeg(buf, file, { maxPixels: maxPixels ?? MAX_JPEG_PIXELS });
    const n = img.width * img.height;
    const d = img.data;
    if (color === 'rgb') {
      const out = new Float32Array(n * 3);
      for (let i = 0; i < n * 3; i++) out[i] = d[i] / 255;
      return { width: img.width, height: img.height, channels: 3, data: out };
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++)
      out[i] = (0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2]) / 255;
    return { width: img.width, height: img.height, channels: 1, data: out };
  }
  if (png || /\.png$/i.test(file)) {
    const img = decodePng(buf, file, { maxPixels: maxPixels ?? MAX_PNG_PIXELS });
    const { width, height, channels, data } = img;
    const n = width * height;
    const inv = 1 / img.maxValue;
    const out = new Float32Array(n * (color === 'rgb' ? 3 : 1));
    for (let i = 0; i < n; i++) {
      const o = i * channels;
      let r: number, g: number, b: number;
      let a = 1;
      if (channels <= 2) {
        r = g = b = data[o] * inv;
        if (channels === 2) a = data[o + 1] * inv;
      } else {
        r = data[o] * inv;
        g = data[o + 1] * inv;
        b = data[o + 2] * inv;
        if (channels === 4) a = data[o + 3] * inv;
      }
      // Transparent pixels over white, as pngToGray does.
      if (color === 'rgb') {
        out[3 * i] = a * r + (1 - a);
        out[3 * i + 1] = a * g + (1 - a);
        out[3 * i + 2] = a * b + (1 - a);
      } else out[i] = a * (channels <= 2 ? r : 0.299 * r + 0.587 * g + 0.114 * b) + (1 - a);
    }
    return { width, height, channels: color === 'rgb' ? 3 : 1, data: out };
  }
  throw new Error(`${file}: neither a PNG nor a JPEG file (by its first bytes)`);
}

/** [h, w] of a size option, checked. */
export function sizeOf(size: number | readonly [number, number] | undefined, who: string): [number, number] {
  const s = size ?? 28;
  const [h, w] = typeof s === 'number' ? [s, s] : s;
  if (![h, w].every((v) => Number.isInteger(v) && v >= 1 && v <= 4096)) {
    throw new Error(`${who}: option size must be integers in [1, 4096], got ${JSON.stringify(size)}`);
  }
  return [h, w];
}

/** Check a normalisation against the channel count, naming the option. */
function checkNormalization(n: Normalization | undefined, channels: number, who: string): void {
  if (n === undefined) return;
  const ok = (a: readonly number[]) => Array.isArray(a) && a.length === channels && a.every(Number.isFinite);
  if (!ok(n.mean) || !ok(n.std) || !n.std.every((s) => s > 0)) {
    throw new Error(
      `${who}: option normalize needs ${channels} finite means and ${channels} positive stds (one per channel), got ${JSON.stringify(n)}`,
    );
  }
}

/**
 * Images listed by class, decoded once to bytes ([h, w, c], c = 1 or 3), and read as float32 (inverted and
 * normalised on read). Bytes, not floats: mini-ImageNet at 84x84x3 is 1.3 GB as bytes, 5 GB as floats.
 * Large lists are kept in the binary cache, keyed by the file list and the decode options.
 */
export class ImageListDataset implements ClassDataset {
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  protected readonly classes: readonly ImageClass[];
  private readonly starts: number[];
  private readonly pixels: Uint8Array;
  private readonly per: number;
  private readonly channels: number;
  private readonly invert: boolean;
  private readonly norm?: Normalization;
  /** True when the pixels came from the binary cache. */
  readonly fromCache: boolean;

  constructor(
    readonly name: string,
    classes: readonly ImageClass[],
    opts: ImageDecodeOptions = {},
  ) {
    const [h, w] = sizeOf(opts.size, name);
    const resize = opts.resize ?? 'area';
    if (resize !== 'area' && resize !== 'bilinear')
      throw new Error(`${name}: option resize must be 'area' or 'bilinear', got '${String(resize)}'`);
    const color = opts.color ?? 'gray';
    if (color !== 'gray' && color !== 'rgb')
      throw new Error(`${name}: option color must be 'gray' or 'rgb', got '${String(color)}'`);
    this.channels = color === 'rgb' ? 3 : 1;
    checkNormalization(opts.normalize, this.channels, name);
    if (classes.length === 0) throw new Error(`${name}: no classes`);
    this.classes = classes;
    this.starts = [];
    let total = 0;
    for (const c of classes) {
      this.starts.push(total);
      total += c.files.length;
    }
    this.per = h * w * this.channels;
    this.invert = opts.invert ?? false;
    this.norm = opts.normalize;
    this.numClasses = classes.length;
    this.exampleShape = [h, w, this.channels];
    const files = classes.flatMap((c) => c.files);
    const useCache = opts.cache === true || ((opts.cache ?? 'auto') === 'auto' && total >= AUTO_CACHE_IMAGES);
    let pixels: Uint8Array | undefined;
    let base = '';
    let key = '';
    let stamps: SourceStamp[] = [];
    if (useCache) {
      key = createHash('sha256')
        .update(JSON.stringify({ v: CACHE_VERSION, h, w, resize, color, files }))
        .digest('hex');
      base = join(resolveCacheDir('images', opts.cacheDir), key.slice(0, 24));
      stamps = files.map((f) => statOrThrow(f));
      const idx = readJsonOrUndefined<ImageCacheIndex>(`${base}.json`);
      if (
        idx?.format === 'metalearn-image-cache' &&
        idx.version === CACHE_VERSION &&
        idx.key === key &&
        idx.bytes === total * this.per &&
        fileSizeOrMinusOne(`${base}.u8`) === idx.bytes &&
        Array.isArray(idx.stamps) &&
        idx.stamps.length === stamps.length &&
        idx.stamps.every((s, i) => sameStamp(s, stamps[i]))
      ) {
        const px = new Uint8Array(readFileSync(`${base}.u8`));
        // A damaged cache is a miss, not an error: it is rebuilt.
        if (crc32(px) === idx.crc32) pixels = px;
      }
    }
    this.fromCache = pixels !== undefined;
    if (pixels === undefined) {
      pixels = new Uint8Array(total * this.per);
      const small = new Float32Array(this.per);
      files.forEach((f, k) => {
        let buf: Uint8Array;
        try {
          buf = readFileSync(f);
        } catch (e) {
          throw new Error(
            `${f}: cannot read image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
          );
        }
        const img = decodeImageFile(buf, f, color, opts.maxPixels);
        resizeChannels(img.data, img.height, img.width, this.channels, h, w, resize, small);
        // Stored as bytes whether cached or not, so a cached run reads exactly what a fresh one does.
        const o = k * this.per;
        for (let j = 0; j < this.per; j++) {
          const v = Math.round(small[j] * 255);
          pixels![o + j] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
        if (opts.onProgress && ((k + 1) % 1000 === 0 || k + 1 === total)) opts.onProgress(k + 1, total);
      });
      if (useCache) {
        try {
          writeFileAtomic(`${base}.u8`, pixels);
          const index: ImageCacheIndex = {
            format: 'metalearn-image-cache',
            version: CACHE_VERSION,
            key,
            bytes: pixels.length,
            crc32: crc32(pixels),
            stamps,
          };
          writeFileAtomic(`${base}.json`, JSON.stringify(index));
        } catch (e) {
          process.emitWarning(
            `image cache not written to ${base}: ${(e as Error).message}`,
            'MetalearnCacheWarning',
          );
        }
      }
    }
    this.pixels = pixels;
  }

  examplesOf(c: number): number {
    const k = this.classes[c];
    if (k === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return k.files.length;
  }

  read(c: number, i: number, out: Float32Array, offset = 0): void {
    checkExample(this, c, i);
    const start = (this.starts[c] + i) * this.per;
    const px = this.pixels;
    const ch = this.channels;
    const inv = this.invert;
    const mean = this.norm?.mean;
    const std = this.norm?.std;
    for (let j = 0; j < this.per; j++) {
      let v = px[start + j] / 255;
      if (inv) v = 1 - v;
      if (mean !== undefined) {
        const k = j % ch;
        v = (v - mean[k]) / std![k];
      }
      out[offset + j] = v;
    }
  }

  className(c: number): string {
    this.examplesOf(c);
    return this.classes[c].name;
  }

  sourceKey(c: number): string {
    this.examplesOf(c);
    return this.classes[c].sourceKey ?? this.classes[c].name;
  }

  /** The path of example `i` of class `c`. */
  fileOf(c: number, i: number): string {
    checkExample(this, c, i);
    return this.classes[c].files[i];
  }
}

function statOrThrow(f: string): SourceStamp {
  try {
    return stampOf(f);
  } catch (e) {
    throw new Error(`${f}: cannot read image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
