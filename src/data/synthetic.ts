import { Rng } from '../engine/rng.js';
import { type ClassDataset, checkExample } from './types.js';

// ---------------------------------------------------------------------------------------------------------
// Synthetic alphabet: procedural stroke glyphs, an Omniglot stand-in that needs no files
// ---------------------------------------------------------------------------------------------------------

/** Options of SyntheticAlphabet. */
export interface SyntheticAlphabetOptions {
  /** Number of characters (classes); default 100. */
  numClasses?: number;
  /** Drawings per character; default 20 (as Omniglot). */
  examplesPerClass?: number;
  /** Image side; default 28. */
  size?: number;
  seed?: number;
  /** Strokes per character, inclusive range; default [1, 4]. */
  strokes?: readonly [number, number];
  /**
   * Scale of the per-drawing variation (affine jitter, point noise, pen width); 0 = identical drawings.
   * Default 1 (about 6 degrees of rotation, 0.8 px shift, 0.6 px point noise at 28x28). Measured with raw-pixel
   * 1-NN on 5-way 1-shot episodes: 0.82 at jitter 1, 0.46 at jitter 2; real Omniglot gives 0.42.
   */
  jitter?: number;
  /** Keep rendered drawings in memory (4 bytes per pixel); default true. */
  cache?: boolean;
}

type Pt = [number, number];

interface Glyph {
  /** Each stroke is a polyline of control points in [0, 1]^2; curved strokes are cubic Beziers (4 points). */
  strokes: { pts: Pt[]; curved: boolean }[];
  width: number;
}

// Independent streams per (seed, class, drawing), so drawing i of class c never depends on what else was read.
function streamSeed(seed: number, c: number, i: number): number {
  let h =
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(c + 1, 0xc2b2ae35) ^ Math.imul(i + 7, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

function bezier(p: Pt[], t: number): Pt {
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const d = t * t * t;
  return [
    a * p[0][0] + b * p[1][0] + c * p[2][0] + d * p[3][0],
    a * p[0][1] + b * p[1][1] + c * p[2][1] + d * p[3][1],
  ];
}

/**
 * Random stroke characters rendered anti-aliased into [size, size, 1] images (ink = 1, background = 0, as
 * the Omniglot reader). Each character is 1-4 strokes (cubic Beziers or polylines, often starting where an
 * earlier stroke ends); each of its drawings is that character seen through a small random affine map, with
 * noise on every control point and a varied pen width, like different people drawing the same symbol.
 * Deterministic in (seed, class, drawing); drawings are rendered on first read.
 */
export class SyntheticAlphabet implements ClassDataset {
  readonly name: string;
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  readonly examplesPerClass: number;
  private readonly size: number;
  private readonly seed: number;
  private readonly strokeRange: readonly [number, number];
  private readonly jitter: number;
  private readonly glyphs: (Glyph | undefined)[];
  private readonly rendered: Map<number, Float32Array> | null;

  constructor(opts: SyntheticAlphabetOptions = {}) {
    this.numClasses = opts.numClasses ?? 100;
    this.examplesPerClass = opts.examplesPerClass ?? 20;
    this.size = opts.size ?? 28;
    this.seed = opts.seed ?? 0;
    this.strokeRange = opts.strokes ?? [1, 4];
    this.jitter = opts.jitter ?? 1;
    const int = (k: string, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min)
        throw new Error(`SyntheticAlphabet: option ${k} must be an integer >= ${min}, got ${v}`);
    };
    int('numClasses', this.numClasses, 1);
    int('examplesPerClass', this.examplesPerClass, 1);
    int('size', this.size, 8);
    int('strokes[0]', this.strokeRange[0], 1);
    int('strokes[1]', this.strokeRange[1], this.strokeRange[0]);
    if (!(this.jitter >= 0))
      throw new Error(`SyntheticAlphabet: option jitter must be >= 0, got ${this.jitter}`);
    this.name = `synthetic-alphabet(seed=${this.seed})`;
    this.exampleShape = [this.size, this.size, 1];
    this.glyphs = new Array(this.numClasses);
    this.rendered = (opts.cache ?? true) ? new Map() : null;
  }

  examplesOf(c: number): number {
    if (!Number.isInteger(c) || c < 0 || c >= this.numClasses) {
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    }
    return this.examplesPerClass;
  }

  className(c: number): string {
    this.examplesOf(c);
    return `glyph${String(c).padStart(4, '0')}`;
  }

  read(c: number, i: number, out: Float32Array, offset = 0): void {
    checkExample(this, c, i);
    const key = c * this.examplesPerClass + i;
    let img = this.rendered?.get(key);
    if (img === undefined) {
      img = this.render(c, i);
      this.rendered?.set(key, img);
    }
    out.set(img, offset);
  }

  private glyph(c: number): Glyph {
    let g = this.glyphs[c];
    if (g !== undefined) return g;
    const rng = new Rng(streamSeed(this.seed, c, -1));
    const [lo, hi] = this.strokeRange;
    const n = lo + rng.int(hi - lo + 1);
    const pt = (): Pt => [rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)];
    const strokes: Glyph['strokes'] = [];
    for (let s = 0; s < n; s++) {
      const curved = rng.next() < 0.5;
      const len = curved ? 4 : 2 + rng.int(3);
      const pts: Pt[] = [];
      // Joined strokes make glyphs look like characters rather than scattered marks.
      if (s > 0 && rng.next() < 0.5) {
        const prev = strokes[rng.int(strokes.length)].pts;
        const p = prev[rng.next() < 0.5 ? 0 : prev.length - 1];
        pts.push([p[0], p[1]]);
      } else pts.push(pt());
      while (pts.length < len) pts.push(pt());
      strokes.push({ pts, curved });
    }
    g = { strokes, width: rng.uniform(1.4, 2.2) * (this.size / 28) };
    this.glyphs[c] = g;
    return g;
  }

  private render(c: number, i: number): Float32Array {
    const g = this.glyph(c);
    const rng = new Rng(streamSeed(this.seed, c, i));
    const j = this.jitter;
    const S = this.size;
    // The drawer's affine map about the centre: rotation, anisotropic scale, shear, shift.
    const th = rng.normal(0, 0.1 * j);
    const sx = 1 + rng.normal(0, 0.06 * j);
    const sy = 1 + rng.normal(0, 0.06 * j);
    const sh = rng.normal(0, 0.08 * j);
    const tx = rng.normal(0, 0.03 * j);
    const ty = rng.normal(0, 0.03 * j);
    const cos = Math.cos(th);
    const sin = Math.sin(th);
    const map = (p: Pt): Pt => {
      const x = (p[0] - 0.5 + rng.normal(0, 0.02 * j)) * sx + sh * (p[1] - 0.5);
      const y = (p[1] - 0.5 + rng.normal(0, 0.02 * j)) * sy;
      return [(cos * x - sin * y + 0.5 + tx) * S, (sin * x + cos * y + 0.5 + ty) * S];
    };
    const half = (g.width * Math.max(0.6, 1 + rng.normal(0, 0.12 * j))) / 2;
    const img = new Float32Array(S * S);
    for (const st of g.strokes) {
      const ctrl = st.pts.map(map);
      const line: Pt[] = st.curved ? Array.from({ length: 17 }, (_, k) => bezier(ctrl, k / 16)) : ctrl;
      for (let k = 0; k + 1 < line.length; k++) drawSegment(img, S, line[k], line[k + 1], half);
    }
    return img;
  }
}

/**
 * Max-composite an anti-aliased thick segment: coverage falls linearly from 1 to 0 over the pixel at the
 * pen's edge (distance from pixel centre to the segment vs. half the width).
 */
function drawSegment(img: Float32Array, S: number, a: Pt, b: Pt, half: number): void {
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - half - 1));
  const x1 = Math.min(S - 1, Math.ceil(Math.max(a[0], b[0]) + half + 1));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - half - 1));
  const y1 = Math.min(S - 1, Math.ceil(Math.max(a[1], b[1]) + half + 1));
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - a[0];
      const py = y + 0.5 - a[1];
      const t = len2 > 0 ? Math.min(1, Math.max(0, (px * dx + py * dy) / len2)) : 0;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const cov = half + 0.5 - Math.sqrt(ex * ex + ey * ey);
      if (cov > 0) {
        const v = cov > 1 ? 1 : cov;
        const o = y * S + x;
        if (v > img[o]) img[o] = v;
      }
    }
  }
}
