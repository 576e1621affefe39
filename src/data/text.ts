/**
 * Deterministic text embedding by feature hashing: tokens and n-grams are hashed into a fixed number of
 * buckets, so no vocabulary has to be fitted or stored and the same text gives the same vector everywhere.
 */

/** Anything that turns text into a fixed-size vector (task specifications, comment features, ...). */
export interface TextEmbedder {
  readonly name: string;
  readonly dim: number;
  embed(text: string): Float32Array;
}

/** Options of HashingTextEmbedder: number of buckets and which n-grams are hashed. */
export interface HashingOptions {
  /** Number of buckets (vector size); default 256. */
  dim?: number;
  /** Word n-gram orders; default [1, 2]. */
  wordNgrams?: readonly number[];
  /** Character n-gram orders within words (with boundary marks); default [3]. Use [] to switch off. */
  charNgrams?: readonly number[];
  /** log(1 + count) instead of raw counts, so one repeated word does not dominate; default true. */
  sublinear?: boolean;
  /** Scale to unit Euclidean length; default true. */
  normalize?: boolean;
  /** Hash seed, to get an independent embedding of the same text; default 0. */
  seed?: number;
}

/** 32-bit FNV-1a over UTF-16 code units, mixed with a seed. */
export function hashString(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche: FNV's low bits are weak, and the bucket is taken from them.
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** Lower-cased runs of letters and digits (any script). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Text to a fixed-size vector by the hashing trick (Weinberger et al. 2009): no vocabulary, no training. */
export class HashingTextEmbedder implements TextEmbedder {
  readonly name: string;
  readonly dim: number;
  private readonly words: readonly number[];
  private readonly chars: readonly number[];
  private readonly sublinear: boolean;
  private readonly normalize: boolean;
  private readonly seed: number;

  constructor(opts: HashingOptions = {}) {
    this.dim = opts.dim ?? 256;
    if (!Number.isInteger(this.dim) || this.dim < 1) {
      throw new Error(`HashingTextEmbedder: dim must be a positive integer, got ${this.dim}`);
    }
    this.words = opts.wordNgrams ?? [1, 2];
    this.chars = opts.charNgrams ?? [3];
    for (const k of [...this.words, ...this.chars]) {
      if (!Number.isInteger(k) || k < 1)
        throw new Error(`HashingTextEmbedder: n-gram orders must be >= 1, got ${k}`);
    }
    this.sublinear = opts.sublinear ?? true;
    this.normalize = opts.normalize ?? true;
    this.seed = opts.seed ?? 0;
    this.name = `hashing(dim=${this.dim},words=${this.words},chars=${this.chars},seed=${this.seed})`;
  }

  embed(text: string): Float32Array {
    const v = new Float64Array(this.dim);
    // The sign bit halves the bias that collisions put on every bucket (Weinberger et al. 2009).
    const add = (feature: string) => {
      const h = hashString(feature, this.seed);
      v[h % this.dim] += h & 0x80000000 ? -1 : 1;
    };
    const toks = tokenize(text);
    for (const n of this.words) {
      for (let i = 0; i + n <= toks.length; i++) add(`w${n}:${toks.slice(i, i + n).join(' ')}`);
    }
    for (const n of this.chars) {
      for (const t of toks) {
        const s = `<${t}>`;
        for (let i = 0; i + n <= s.length; i++) add(`c${n}:${s.slice(i, i + n)}`);
      }
    }
    const out = new Float32Array(this.dim);
    let norm = 0;
    for (let i = 0; i < this.dim; i++) {
      const x = this.sublinear ? Math.sign(v[i]) * Math.log1p(Math.abs(v[i])) : v[i];
      out[i] = x;
      norm += x * x;
    }
    if (this.normalize && norm > 0) {
      const s = 1 / Math.sqrt(norm);
      for (let i = 0; i < this.dim; i++) out[i] *= s;
    }
    return out;
  }

  /** Row-major [texts.length, dim]. */
  embedAll(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => out.set(this.embed(t), i * this.dim));
    return out;
  }
}
