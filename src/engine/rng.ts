import * as tf from '@tensorflow/tfjs';

/**
 * Seeded pseudo-random numbers for everything the library samples (initialisation, episodes, shuffles).
 * Values are generated in JavaScript and uploaded, so a seed gives the same numbers on every backend.
 * The generator is sfc32 seeded through splitmix32, fast and with a 128-bit state.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    let s = Math.floor(seed) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return mean + std * v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle, in place; returns the array. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }

  /** k distinct indices from [0, n), in random order. */
  sample(n: number, k: number): number[] {
    if (k > n) throw new Error(`Rng.sample: cannot draw ${k} distinct items from ${n}`);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return idx.slice(0, k);
  }

  /** The full generator state, for checkpoints: `Rng.fromState(r.getState())` continues the same stream. */
  getState(): number[] {
    return [this.a, this.b, this.c, this.d, this.spareNormal ?? NaN];
  }

  static fromState(state: readonly number[]): Rng {
    if (!Array.isArray(state) || state.length !== 5 || !state.slice(0, 4).every(Number.isInteger)) {
      throw new Error(
        `Rng.fromState: expected [a, b, c, d, spare] with four integers, got ${JSON.stringify(state)}`,
      );
    }
    const r = new Rng(0);
    [r.a, r.b, r.c, r.d] = state;
    r.spareNormal = Number.isNaN(state[4]) || state[4] === null ? null : state[4];
    return r;
  }

  /** An independent generator derived from this one (for per-worker or per-task streams). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  uniformArray(size: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  normalArray(size: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.normal(mean, std);
    return out;
  }

  uniformTensor(shape: number[], lo = 0, hi = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(sizeOf(shape), lo, hi), shape, 'float32');
  }

  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normalArray(sizeOf(shape), mean, std), shape, 'float32');
  }
}

/** Number of elements of a tensor of this shape (the product of its dimensions). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * k distinct integers from [0, n) in random order. Rejection when k is small against n (an episode's 5 of
 * 4,800 classes), so the cost does not grow with the number of classes; a partial shuffle otherwise.
 */
export function sampleDistinct(n: number, k: number, rng: Rng): number[] {
  if (k > n) throw new Error(`sampleDistinct: cannot draw ${k} distinct items from ${n}`);
  if (k * 4 <= n) {
    const out: number[] = [];
    while (out.length < k) {
      const v = rng.int(n);
      if (!out.includes(v)) out.push(v);
    }
    return out;
  }
  return rng.sample(n, k);
}
