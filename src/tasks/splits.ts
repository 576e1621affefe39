import type { Rng } from '../engine/rng.js';
import { type ClassDataset, checkClass, sourceKeyOf } from '../data/types.js';

/** A view of some classes of a dataset, renumbered 0..n-1 in the given order. */
export class ClassSubset implements ClassDataset {
  readonly name: string;
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  private readonly ids: readonly number[];

  constructor(
    readonly base: ClassDataset,
    classIds: readonly number[],
    name?: string,
  ) {
    const seen = new Set<number>();
    for (const c of classIds) {
      checkClass(base, c);
      if (seen.has(c))
        throw new Error(`ClassSubset of ${base.name}: class ${c} ('${base.className(c)}') listed twice`);
      seen.add(c);
    }
    this.ids = classIds.slice();
    this.numClasses = this.ids.length;
    this.exampleShape = base.exampleShape;
    this.name = name ?? `${base.name}[${this.ids.length} classes]`;
  }

  /** The class id in the base dataset. */
  baseClass(c: number): number {
    checkClass(this, c);
    return this.ids[c];
  }

  examplesOf(c: number): number {
    return this.base.examplesOf(this.baseClass(c));
  }
  read(c: number, i: number, out: Float32Array, offset = 0): void {
    this.base.read(this.baseClass(c), i, out, offset);
  }
  className(c: number): string {
    return this.base.className(this.baseClass(c));
  }
  sourceKey(c: number): string {
    return sourceKeyOf(this.base, this.baseClass(c));
  }
}

/** Several datasets with equal example shapes seen as one; classes are numbered part after part. */
export class ConcatClasses implements ClassDataset {
  readonly name: string;
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  private readonly starts: number[] = [];

  constructor(
    readonly parts: readonly ClassDataset[],
    name?: string,
  ) {
    if (parts.length === 0) throw new Error('ConcatClasses: no datasets given');
    const shape = parts[0].exampleShape;
    let n = 0;
    for (const p of parts) {
      if (p.exampleShape.length !== shape.length || p.exampleShape.some((d, i) => d !== shape[i])) {
        throw new Error(
          `ConcatClasses: ${p.name} has example shape [${p.exampleShape}], but ${parts[0].name} has [${shape}]`,
        );
      }
      this.starts.push(n);
      n += p.numClasses;
    }
    this.numClasses = n;
    this.exampleShape = shape;
    this.name = name ?? parts.map((p) => p.name).join('+');
  }

  /** [part index, class id inside that part]. */
  locate(c: number): [number, number] {
    checkClass(this, c);
    let k = this.starts.length - 1;
    while (this.starts[k] > c) k--;
    return [k, c - this.starts[k]];
  }

  examplesOf(c: number): number {
    const [k, j] = this.locate(c);
    return this.parts[k].examplesOf(j);
  }
  read(c: number, i: number, out: Float32Array, offset = 0): void {
    const [k, j] = this.locate(c);
    this.parts[k].read(j, i, out, offset);
  }
  className(c: number): string {
    const [k, j] = this.locate(c);
    return this.parts[k].className(j);
  }
  sourceKey(c: number): string {
    const [k, j] = this.locate(c);
    return sourceKeyOf(this.parts[k], j);
  }
}

/** Class ids of meta-train, meta-validation and meta-test. */
export interface ClassSplit {
  train: number[];
  val: number[];
  test: number[];
}

/** Sizes of a split: fractions (summing to at most 1) or class counts. `val` defaults to 0. */
export interface SplitSizes {
  train: number;
  val?: number;
  test: number;
}

function counts(total: number, sizes: SplitSizes): [number, number, number] {
  const val = sizes.val ?? 0;
  const parts = [sizes.train, val, sizes.test];
  if (parts.some((p) => !(p >= 0)))
    throw new Error(`split sizes must be non-negative, got ${JSON.stringify(sizes)}`);
  const fractional = parts.every((p) => p <= 1) && parts.some((p) => p > 0 && p < 1);
  let c: number[];
  if (fractional) {
    if (parts[0] + parts[1] + parts[2] > 1 + 1e-9) {
      throw new Error(`split fractions add up to more than 1: ${JSON.stringify(sizes)}`);
    }
    c = [Math.round(parts[0] * total), Math.round(parts[1] * total), 0];
    c[2] = Math.min(Math.round(parts[2] * total), total - c[0] - c[1]);
  } else {
    if (!parts.every(Number.isInteger))
      throw new Error(`split counts must be integers: ${JSON.stringify(sizes)}`);
    c = parts;
  }
  if (c[0] + c[1] + c[2] > total) {
    throw new Error(`split asks for ${c[0] + c[1] + c[2]} items but only ${total} exist`);
  }
  return [c[0], c[1], c[2]];
}

/** A seeded random split of class ids 0..numClasses-1 into disjoint train / val / test lists (each sorted). */
export function splitClassIds(numClasses: number, sizes: SplitSizes, rng: Rng): ClassSplit {
  const [a, b, c] = counts(numClasses, sizes);
  const perm = rng.shuffle(Array.from({ length: numClasses }, (_, i) => i));
  const sort = (xs: number[]) => xs.sort((x, y) => x - y);
  return {
    train: sort(perm.slice(0, a)),
    val: sort(perm.slice(a, a + b)),
    test: sort(perm.slice(a + b, a + b + c)),
  };
}

/**
 * Split by groups (e.g. alphabets) so that every class of a group lands on the same side: Lake et al.'s
 * background/evaluation protocol tests on unseen alphabets, not only unseen characters. Sizes count groups.
 */
export function splitClassesByGroup(
  ds: ClassDataset,
  groupOf: (c: number) => string,
  sizes: SplitSizes,
  rng: Rng,
): ClassSplit {
  const groups = new Map<string, number[]>();
  for (let c = 0; c < ds.numClasses; c++) {
    const g = groupOf(c);
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(c);
  }
  const names = [...groups.keys()].sort();
  const s = splitClassIds(names.length, sizes, rng);
  const expand = (ids: number[]) => ids.flatMap((k) => groups.get(names[k])!).sort((x, y) => x - y);
  return { train: expand(s.train), val: expand(s.val), test: expand(s.test) };
}

/**
 * Throw if any two splits share a class. Datasets are compared by sourceKey (so rotations or other views of
 * one source class count as the same class); plain id lists are compared by id.
 */
export function assertDisjoint(splits: Record<string, ClassDataset | readonly number[]>): void {
  const owner = new Map<string, string>();
  for (const [split, s] of Object.entries(splits)) {
    const keys = new Set<string>();
    if (Array.isArray(s)) for (const c of s as readonly number[]) keys.add(`class id ${c}`);
    else {
      const ds = s as ClassDataset;
      for (let c = 0; c < ds.numClasses; c++) keys.add(`class '${sourceKeyOf(ds, c)}'`);
    }
    for (const k of keys) {
      const other = owner.get(k);
      if (other !== undefined) {
        throw new Error(`meta-splits overlap: ${k} is in both '${other}' and '${split}'`);
      }
      owner.set(k, split);
    }
  }
}

/** Subset views for a class split, checked to be disjoint. */
export function metaSplits(
  ds: ClassDataset,
  split: { train: readonly number[]; val?: readonly number[]; test: readonly number[] },
): { train: ClassSubset; val: ClassSubset; test: ClassSubset } {
  const train = new ClassSubset(ds, split.train, `${ds.name}/meta-train`);
  const val = new ClassSubset(ds, split.val ?? [], `${ds.name}/meta-val`);
  const test = new ClassSubset(ds, split.test, `${ds.name}/meta-test`);
  assertDisjoint({ train, val, test });
  return { train, val, test };
}
