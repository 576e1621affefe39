import type { Rng } from '../engine/rng.js';
import type { ClassDataset } from '../data/types.js';
import { ClassSubset, assertDisjoint } from '../data/views.js';

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
