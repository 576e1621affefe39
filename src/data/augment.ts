import type { Rng } from '../engine/rng.js';

/**
 * A data augmentation: changes one example in place (`x[offset .. offset + h*w*c)`, NHWC, values as the
 * dataset reads them) using `rng`, so the same seed gives the same augmented episode.
 */
export type Augmentation = (x: Float32Array, offset: number, shape: readonly number[], rng: Rng) => void;

function hwc(shape: readonly number[], who: string): [number, number, number] {
  if (shape.length !== 3 && shape.length !== 2)
    throw new Error(`${who}: expected image examples [h, w, c], got shape [${shape}]`);
  return [shape[0], shape[1], shape.length === 3 ? shape[2] : 1];
}

function checkNonNeg(v: number, name: string, who: string, max = Infinity): void {
  if (!(Number.isFinite(v) && v >= 0 && v <= max))
    throw new Error(`${who}: ${name} must be a number in [0, ${max}], got ${v}`);
}

/**
 * Random crop with padding, as in the CIFAR and mini-ImageNet training recipes (RandomCrop(size,
 * padding)): the image is padded by `padding` pixels of value `fill` on every side and an h x w window is
 * cut at a uniformly drawn offset, so content shifts by up to `padding` pixels and the size is unchanged.
 */
export function randomCrop(padding: number, fill = 0): Augmentation {
  if (!Number.isInteger(padding) || padding < 0)
    throw new Error(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  let tmp = new Float32Array(0);
  return (x, offset, shape, rng) => {
    const [h, w, c] = hwc(shape, 'randomCrop');
    const dy = rng.int(2 * padding + 1) - padding;
    const dx = rng.int(2 * padding + 1) - padding;
    if (dx === 0 && dy === 0) return;
    const n = h * w * c;
    if (tmp.length < n) tmp = new Float32Array(n);
    tmp.set(x.subarray(offset, offset + n));
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      for (let xx = 0; xx < w; xx++) {
        const sx = xx + dx;
        const o = offset + (y * w + xx) * c;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) for (let k = 0; k < c; k++) x[o + k] = fill;
        else for (let k = 0, s = (sy * w + sx) * c; k < c; k++) x[o + k] = tmp[s + k];
      }
    }
  };
}

/** Mirror the image left-right with probability `p` (default 0.5). */
export function horizontalFlip(p = 0.5): Augmentation {
  checkNonNeg(p, 'p', 'horizontalFlip', 1);
  return (x, offset, shape, rng) => {
    const [h, w, c] = hwc(shape, 'horizontalFlip');
    if (!(rng.next() < p)) return;
    for (let y = 0; y < h; y++) {
      const row = offset + y * w * c;
      for (let a = 0, b = w - 1; a < b; a++, b--) {
        for (let k = 0; k < c; k++) {
          const i = row + a * c + k;
          const j = row + b * c + k;
          const t = x[i];
          x[i] = x[j];
          x[j] = t;
        }
      }
    }
  };
}

/** Strengths of colorJitter: each factor is drawn uniformly from [1 - s, 1 + s]. */
export interface ColorJitterOptions {
  brightness?: number;
  contrast?: number;
  /** Only for colour (3-channel) images; ignored on gray ones. */
  saturation?: number;
}

/**
 * Colour jitter as in the few-shot training recipes that use it (e.g. Lee et al. 2019, MetaOptNet:
 * brightness, contrast and saturation 0.4): brightness scales every value; contrast blends with the
 * image's mean gray; saturation blends each pixel with its own gray (ITU-R 601 luma). Applied in that
 * fixed order, with results clipped to [0, 1], so use it on [0, 1] pixels, before normalisation.
 */
export function colorJitter(opts: ColorJitterOptions): Augmentation {
  const b = opts.brightness ?? 0;
  const ct = opts.contrast ?? 0;
  const s = opts.saturation ?? 0;
  checkNonNeg(b, 'brightness', 'colorJitter', 1);
  checkNonNeg(ct, 'contrast', 'colorJitter', 1);
  checkNonNeg(s, 'saturation', 'colorJitter', 1);
  const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  return (x, offset, shape, rng) => {
    const [h, w, c] = hwc(shape, 'colorJitter');
    const n = h * w;
    const end = offset + n * c;
    if (b > 0) {
      const f = rng.uniform(1 - b, 1 + b);
      for (let i = offset; i < end; i++) x[i] = clip(x[i] * f);
    }
    const gray = (p: number) => (c === 3 ? 0.299 * x[p] + 0.587 * x[p + 1] + 0.114 * x[p + 2] : x[p]);
    if (ct > 0) {
      const f = rng.uniform(1 - ct, 1 + ct);
      let m = 0;
      for (let p = 0; p < n; p++) m += gray(offset + p * c);
      m /= n;
      for (let i = offset; i < end; i++) x[i] = clip(m + f * (x[i] - m));
    }
    if (s > 0 && c === 3) {
      const f = rng.uniform(1 - s, 1 + s);
      for (let p = 0; p < n; p++) {
        const o = offset + p * 3;
        const g = gray(o);
        for (let k = 0; k < 3; k++) x[o + k] = clip(g + f * (x[o + k] - g));
      }
    }
  };
}

/**
 * Per-channel normalisation as an augmentation step (deterministic): (v - mean[c]) / std[c]. Put it last,
 * after the augmentations that expect [0, 1] pixels.
 */
export function normalizeChannels(mean: readonly number[], std: readonly number[]): Augmentation {
  if (mean.length !== std.length || mean.length === 0 || !std.every((v) => v > 0))
    throw new Error(`normalizeChannels: need as many means as positive stds, got ${mean} and ${std}`);
  return (x, offset, shape) => {
    const [h, w, c] = hwc(shape, 'normalizeChannels');
    if (c !== mean.length)
      throw new Error(`normalizeChannels: ${mean.length} channel statistics for ${c}-channel images`);
    for (let i = 0, n = h * w * c; i < n; i++) {
      const k = i % c;
      x[offset + i] = (x[offset + i] - mean[k]) / std[k];
    }
  };
}

/** Several augmentations applied in order, as one. */
export function composeAugmentations(list: readonly Augmentation[]): Augmentation {
  const fns = list.slice();
  return (x, offset, shape, rng) => {
    for (const f of fns) f(x, offset, shape, rng);
  };
}

/**
 * Augmentations from a short text, as run configs give them: comma-separated steps, each
 * `crop:<padding>`, `flip[:<p>]` or `jitter:<strength>[:<contrast>:<saturation>]`, e.g. 'crop:8,flip,jitter:0.4'.
 * Throws naming the step it cannot read.
 */
export function parseAugmentations(text: string, field = 'augment'): Augmentation[] {
  if (text.trim() === '' || text.trim() === 'none') return [];
  return text.split(',').map((part) => {
    const [name, ...args] = part.trim().split(':');
    const nums = args.map(Number);
    const bad = (expected: string): never => {
      throw new Error(
        `field '${field}': cannot read step ${JSON.stringify(part.trim())}; expected ${expected} (steps: crop:<padding>, flip[:<p>], jitter:<b>[:<c>:<s>])`,
      );
    };
    if (nums.some((v) => !Number.isFinite(v))) bad('numbers after the colons');
    if (name === 'crop') {
      if (nums.length !== 1 || !Number.isInteger(nums[0]) || nums[0] < 0) bad('crop:<padding pixels>');
      return randomCrop(nums[0]);
    }
    if (name === 'flip') {
      if (nums.length > 1 || (nums.length === 1 && !(nums[0] >= 0 && nums[0] <= 1)))
        bad('flip or flip:<p in [0, 1]>');
      return horizontalFlip(nums[0] ?? 0.5);
    }
    if (name === 'jitter') {
      if (nums.length !== 1 && nums.length !== 3)
        bad('jitter:<all> or jitter:<brightness>:<contrast>:<saturation>');
      if (!nums.every((v) => v >= 0 && v <= 1)) bad('strengths in [0, 1]');
      const [br, co = br, sa = br] = nums;
      return colorJitter({ brightness: br, contrast: co, saturation: sa });
    }
    return bad('one of crop, flip, jitter');
  });
}
