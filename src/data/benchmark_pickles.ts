/**
 * The pickle layouts in which mini-ImageNet and tiered-ImageNet usually circulate, read with our own
 * pickle reader (pickle.ts; no Python needed):
 * - mini-ImageNet `mini-imagenet-cache-{train,val,test}.pkl`: a dict of 'image_data', an (N, 84, 84, 3)
 *   uint8 array, and 'class_dict', {wnid: [indices into image_data]}.
 * - tiered-ImageNet (Ren et al. 2018) `{split}_images_png.pkl`: a list (or numpy object array) of PNG
 *   files, each a 1-D uint8 array (cv2.imencode's output) or bytes; and `{split}_labels.pkl`: a dict of
 *   'label_specific' (the class of each image), 'label_general' (its super-category),
 *   'label_specific_str' and 'label_general_str' (their names), written by Python 2 (str keys as bytes).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ClassDataset, checkExample } from './types.js';
import { readPickleFile } from './pickle_file.js';
import {
  type NdArray,
  type PickleValue,
  asNdArray,
  describe,
  dictGet,
  ndNumbers,
  pickleText,
} from './pickle.js';
import { ImageArrayDataset, type ImageArrayClass, type Normalization } from './image_array.js';
import { type ImageDecodeOptions, decodeImageFile, sizeOf } from './image_list.js';
import { resizeChannels } from './image.js';

/** The file of mini-ImageNet's pickle layout for a split. */
export const miniImageNetPickle = (root: string, split: string): string =>
  join(root, `mini-imagenet-cache-${split}.pkl`);

/** The two files of tiered-ImageNet's pickle release for a split. */
export const tieredImageNetPickles = (root: string, split: string): { images: string; labels: string } => ({
  images: join(root, `${split}_images_png.pkl`),
  labels: join(root, `${split}_labels.pkl`),
});

/** True when `root` holds mini-ImageNet's pickle for `split`. */
export const hasMiniImageNetPickle = (root: string, split: string): boolean =>
  existsSync(miniImageNetPickle(root, split));

/** True when `root` holds both tiered-ImageNet pickles of `split`. */
export function hasTieredImageNetPickles(root: string, split: string): boolean {
  const f = tieredImageNetPickles(root, split);
  return existsSync(f.images) && existsSync(f.labels);
}

function check(name: string, opts: ImageDecodeOptions): { h: number; w: number; ch: 1 | 3 } {
  const [h, w] = sizeOf(opts.size ?? 84, name);
  const color = opts.color ?? 'rgb';
  if (color !== 'rgb' && color !== 'gray')
    throw new Error(`${name}: option color must be 'gray' or 'rgb', got '${String(color)}'`);
  return { h, w, ch: color === 'rgb' ? 3 : 1 };
}

/** One image of [sh, sw, 3] bytes at `src[o..]` resized and colour-converted into `dst` bytes at `d`. */
function convert(
  src: Uint8Array,
  o: number,
  sh: number,
  sw: number,
  dst: Uint8Array,
  d: number,
  t: { h: number; w: number; ch: 1 | 3 },
  opts: ImageDecodeOptions,
  buf: { full: Float32Array; small: Float32Array },
): void {
  const n = sh * sw;
  for (let p = 0; p < n; p++) {
    const r = src[o + 3 * p] / 255;
    const g = src[o + 3 * p + 1] / 255;
    const b = src[o + 3 * p + 2] / 255;
    if (t.ch === 3) {
      buf.full[3 * p] = r;
      buf.full[3 * p + 1] = g;
      buf.full[3 * p + 2] = b;
    } else buf.full[p] = 0.299 * r + 0.587 * g + 0.114 * b;
  }
  resizeChannels(buf.full, sh, sw, t.ch, t.h, t.w, opts.resize ?? 'area', buf.small);
  const per = t.h * t.w * t.ch;
  for (let j = 0; j < per; j++) {
    const v = Math.round(buf.small[j] * 255);
    dst[d + j] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/**
 * A split of mini-ImageNet from `mini-imagenet-cache-<split>.pkl`. The pixels are read once into one
 * array; at the stored size and in colour (84x84 RGB, the default) each class is a view of it, so memory
 * is the array's size: 38,400 x 84 x 84 x 3 bytes = 813 MB for the training split (plus, for a file
 * written at protocol 2 by Python 3, its UTF-8 text of about 1.5 times that while it is read). Another
 * size or gray makes a converted copy per class, after which the array can be freed.
 */
export function loadMiniImageNetPickle(
  root: string,
  split: string,
  opts: ImageDecodeOptions = {},
): ImageArrayDataset {
  const file = miniImageNetPickle(root, split);
  const name = `mini-imagenet/${split}`;
  const t = check(name, opts);
  const data = readPickleFile(file);
  const images = asNdArray(dictGet(data, 'image_data', file), `${file}: 'image_data'`);
  const px = pixelsOf(images, `${file}: 'image_data'`);
  const [count, sh, sw] = images.shape;
  const perSrc = sh * sw * 3;
  const dict = dictGet(data, 'class_dict', file);
  if (!(dict instanceof Map)) throw new Error(`${file}: 'class_dict' is ${describe(dict)}, not a dict`);
  const same = sh === t.h && sw === t.w && t.ch === 3;
  const per = t.h * t.w * t.ch;
  const buf = { full: new Float32Array(sh * sw * t.ch), small: new Float32Array(per) };
  const seen = new Uint8Array(count);
  const classes: ImageArrayClass[] = [...dict.keys()]
    .map((k) => String(k))
    .sort()
    .map((wnid) => {
      const idx = ndNumbers(dict.get(wnid)!, `${file}: class_dict['${wnid}']`);
      if (idx.length === 0) throw new Error(`${file}: class_dict['${wnid}'] lists no images`);
      for (const i of idx) {
        if (!Number.isInteger(i) || i < 0 || i >= count)
          throw new Error(`${file}: class_dict['${wnid}'] lists image ${i}, but image_data holds ${count}`);
        if (seen[i]) throw new Error(`${file}: image ${i} is listed under two classes (or twice)`);
        seen[i] = 1;
      }
      const contiguous = idx.every((v, j) => v === idx[0] + j);
      let pixels: Uint8Array;
      if (same && contiguous) pixels = px.subarray(idx[0] * perSrc, (idx[0] + idx.length) * perSrc);
      else {
        pixels = new Uint8Array(idx.length * per);
        idx.forEach((i, j) => {
          if (same) pixels.set(px.subarray(i * perSrc, (i + 1) * perSrc), j * per);
          else convert(px, i * perSrc, sh, sw, pixels, j * per, t, opts, buf);
        });
      }
      return { name: wnid, pixels, count: idx.length };
    });
  if (classes.length === 0) throw new Error(`${file}: class_dict is empty`);
  return new ImageArrayDataset(name, classes, [t.h, t.w, t.ch], {
    invert: opts.invert,
    normalize: opts.normalize,
  });
}

/** The bytes of an (N, h, w, 3) C-order uint8 array. */
function pixelsOf(a: NdArray, what: string): Uint8Array {
  if (a.dtype !== '|u1' || !(a.data instanceof Uint8Array))
    throw new Error(`${what}: expected uint8 pixels, got dtype ${a.dtype}`);
  if (a.shape.length !== 4 || a.shape[3] !== 3)
    throw new Error(`${what}: expected shape (N, height, width, 3), got (${a.shape.join(', ')})`);
  if (a.fortran && a.shape.some((d, i) => i > 0 && d > 1))
    throw new Error(`${what}: a Fortran-order array is not read; save it in C order (np.ascontiguousarray)`);
  return a.data;
}

/** One class of encoded images: its name and its PNG or JPEG files' bytes. */
export interface EncodedImageClass {
  readonly name: string;
  readonly images: readonly Uint8Array[];
}

/**
 * Images kept encoded (PNG or JPEG bytes, as in tiered-ImageNet's pickles) and decoded when read: memory
 * is the encoded size (tiered-ImageNet's training split would be 448,695 x 84 x 84 x 3 bytes = 9.5 GB
 * decoded). Each read decodes, resizes and rounds to bytes as the image-list readers do, then inverts
 * and normalises as asked.
 */
export class EncodedImageDataset implements ClassDataset {
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  private readonly t: { h: number; w: number; ch: 1 | 3 };
  private readonly small: Float32Array;

  constructor(
    readonly name: string,
    private readonly classes: readonly EncodedImageClass[],
    private readonly opts: ImageDecodeOptions = {},
  ) {
    this.t = check(name, opts);
    this.exampleShape = [this.t.h, this.t.w, this.t.ch];
    this.small = new Float32Array(this.t.h * this.t.w * this.t.ch);
    const n: Normalization | undefined = opts.normalize;
    if (
      n !== undefined &&
      (n.mean.length !== this.t.ch || n.std.length !== this.t.ch || !n.std.every((s) => s > 0))
    )
      throw new Error(`${name}: option normalize needs ${this.t.ch} means and ${this.t.ch} positive stds`);
    if (classes.length === 0) throw new Error(`${name}: no classes`);
    this.numClasses = classes.length;
  }

  examplesOf(c: number): number {
    const k = this.classes[c];
    if (k === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return k.images.length;
  }

  read(c: number, i: number, out: Float32Array, offset = 0): void {
    checkExample(this, c, i);
    const what = `${this.name}: class '${this.classes[c].name}' image ${i}`;
    const img = decodeImageFile(
      this.classes[c].images[i],
      what,
      this.t.ch === 3 ? 'rgb' : 'gray',
      this.opts.maxPixels,
    );
    resizeChannels(
      img.data,
      img.height,
      img.width,
      this.t.ch,
      this.t.h,
      this.t.w,
      this.opts.resize ?? 'area',
      this.small,
    );
    const inv = this.opts.invert ?? false;
    const mean = this.opts.normalize?.mean;
    const std = this.opts.normalize?.std;
    const ch = this.t.ch;
    for (let j = 0; j < this.small.length; j++) {
      const b = Math.round(this.small[j] * 255);
      let v = (b < 0 ? 0 : b > 255 ? 255 : b) / 255;
      if (inv) v = 1 - v;
      if (mean !== undefined) v = (v - mean[j % ch]) / std![j % ch];
      out[offset + j] = v;
    }
  }

  className(c: number): string {
    this.examplesOf(c);
    return this.classes[c].name;
  }
}

/** The encoded image of one element of the images pickle. */
function encoded(v: PickleValue, i: number, file: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  const a = asNdArray(v, `${file}: image ${i}`);
  if (a.dtype !== '|u1' || !(a.data instanceof Uint8Array))
    throw new Error(`${file}: image ${i} is a numpy array of ${a.dtype}, not encoded bytes (uint8)`);
  return a.data;
}

/**
 * A split of tiered-ImageNet from `<split>_images_png.pkl` and `<split>_labels.pkl` (Ren et al. 2018's
 * release). Classes are label_specific, named by label_specific_str; the PNGs stay encoded in memory
 * (about the images file's size) and are decoded when read.
 */
export function loadTieredImageNetPickle(
  root: string,
  split: string,
  opts: ImageDecodeOptions = {},
): EncodedImageDataset {
  const files = tieredImageNetPickles(root, split);
  const labels = readPickleFile(files.labels);
  const specific = ndNumbers(
    dictGet(labels, 'label_specific', files.labels),
    `${files.labels}: 'label_specific'`,
  );
  const namesV = dictGet(labels, 'label_specific_str', files.labels);
  const namesList = Array.isArray(namesV)
    ? namesV
    : (asNdArray(namesV, `${files.labels}: 'label_specific_str'`).data as PickleValue[]);
  if (!Array.isArray(namesList))
    throw new Error(`${files.labels}: 'label_specific_str' is ${describe(namesV)}, not a list of names`);
  const names = namesList.map((n, i) => pickleText(n, `${files.labels}: label_specific_str[${i}]`));
  const imgsV = readPickleFile(files.images);
  const list = Array.isArray(imgsV) ? imgsV : asNdArray(imgsV, files.images).data;
  if (!Array.isArray(list))
    throw new Error(`${files.images}: expected a list of PNG files, got ${describe(imgsV)}`);
  if (list.length !== specific.length)
    throw new Error(
      `${files.images} holds ${list.length} images, but ${files.labels} labels ${specific.length}`,
    );
  const byClass: Uint8Array[][] = names.map(() => []);
  specific.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= names.length)
      throw new Error(`${files.labels}: image ${i} has label_specific ${c}, outside [0, ${names.length})`);
    byClass[c].push(encoded(list[i], i, files.images));
  });
  const classes = names.map((name, c) => {
    if (byClass[c].length === 0) throw new Error(`${files.labels}: class ${c} ('${name}') has no images`);
    return { name, images: byClass[c] };
  });
  return new EncodedImageDataset(`tiered-imagenet/${split}`, classes, { color: 'rgb', size: 84, ...opts });
}
