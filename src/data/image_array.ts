import { type ClassDataset, checkExample } from './types.js';

/** Per-channel normalisation: stored values v in [0, 1] are read as (v - mean[c]) / std[c]. */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/** One class of an in-memory image array: its name and its images as bytes, [count, h, w, c] row-major. */
export interface ImageArrayClass {
  readonly name: string;
  readonly pixels: Uint8Array;
  readonly count: number;
  /** Source identity for split checks (defaults to the name). */
  readonly sourceKey?: string;
}

/**
 * Byte images already in memory, grouped by class (what archive readers such as CIFAR-100's produce),
 * read as float32 in [0, 1], optionally inverted and normalised per channel on read.
 */
export class ImageArrayDataset implements ClassDataset {
  readonly numClasses: number;
  private readonly per: number;
  private readonly channels: number;

  constructor(
    readonly name: string,
    private readonly classes: readonly ImageArrayClass[],
    readonly exampleShape: readonly number[],
    private readonly opts: { invert?: boolean; normalize?: Normalization } = {},
  ) {
    if (exampleShape.length !== 3)
      throw new Error(`${name}: example shape must be [h, w, c], got [${exampleShape}]`);
    this.per = exampleShape[0] * exampleShape[1] * exampleShape[2];
    this.channels = exampleShape[2];
    for (const c of classes) {
      if (c.pixels.length !== c.count * this.per)
        throw new Error(
          `${name}: class '${c.name}' holds ${c.pixels.length} bytes, not ${c.count} x ${this.per}`,
        );
    }
    const n = opts.normalize;
    if (
      n !== undefined &&
      (n.mean.length !== this.channels || n.std.length !== this.channels || !n.std.every((s) => s > 0))
    )
      throw new Error(
        `${name}: option normalize needs ${this.channels} means and ${this.channels} positive stds`,
      );
    this.numClasses = classes.length;
  }

  examplesOf(c: number): number {
    const k = this.classes[c];
    if (k === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return k.count;
  }

  read(c: number, i: number, out: Float32Array, offset = 0): void {
    checkExample(this, c, i);
    const px = this.classes[c].pixels;
    const start = i * this.per;
    const inv = this.opts.invert ?? false;
    const mean = this.opts.normalize?.mean;
    const std = this.opts.normalize?.std;
    for (let j = 0; j < this.per; j++) {
      let v = px[start + j] / 255;
      if (inv) v = 1 - v;
      if (mean !== undefined) v = (v - mean[j % this.channels]) / std![j % this.channels];
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
}
