/**
 * A labelled collection of examples grouped by class: what few-shot episodes are drawn from.
 * Readers (Omniglot, image folders, synthetic glyphs) and views (subsets, rotations) all implement it,
 * so samplers never care where pixels come from.
 */
export interface ClassDataset {
  /** Short human-readable name, used in error messages. */
  readonly name: string;
  readonly numClasses: number;
  /** Shape of one example, e.g. [28, 28, 1] for NHWC grayscale images. */
  readonly exampleShape: readonly number[];
  /** Number of examples of class `c`. */
  examplesOf(c: number): number;
  /**
   * Copy example `i` of class `c` into `out` at `offset` as float32 (exampleSize values).
   * Writing into a caller's buffer lets an episode be assembled into one array and uploaded with one
   * tensor call, instead of one tensor per image.
   */
  read(c: number, i: number, out: Float32Array, offset?: number): void;
  /** Name of class `c`, e.g. `Latin/character01` or `Latin/character01/rot090`. */
  className(c: number): string;
  /**
   * Identity of the underlying source class. Rotated copies of one character share it, so split checks
   * catch a character whose rotations sit in both meta-train and meta-test. Defaults to className.
   */
  sourceKey?(c: number): string;
  /**
   * The group class `c` belongs to, e.g. its Omniglot alphabet, or undefined when the dataset has no
   * groups. Within-group episodes (EpisodeOptions.withinGroup) draw all N classes from one group.
   */
  groupOf?(c: number): string | undefined;
}

/** Number of floats in one example of `ds` (the product of its example shape). */
export function exampleSize(ds: ClassDataset): number {
  let n = 1;
  for (const d of ds.exampleShape) n *= d;
  return n;
}

/** The source identity of class `c`: its sourceKey when the dataset has one, else its name (used to check that meta-splits are disjoint). */
export function sourceKeyOf(ds: ClassDataset, c: number): string {
  return ds.sourceKey ? ds.sourceKey(c) : ds.className(c);
}

/** The group of class `c` (ClassDataset.groupOf), or undefined when `ds` has none. */
export function groupOfClass(ds: ClassDataset, c: number): string | undefined {
  return ds.groupOf ? ds.groupOf(c) : undefined;
}

/** Example `i` of class `c` as a fresh Float32Array (convenience; samplers use `read` into one buffer). */
export function readExample(ds: ClassDataset, c: number, i: number): Float32Array {
  const out = new Float32Array(exampleSize(ds));
  ds.read(c, i, out, 0);
  return out;
}

/** Throw a RangeError naming the dataset unless `c` is a class index of `ds`. */
export function checkClass(ds: ClassDataset, c: number): void {
  if (!Number.isInteger(c) || c < 0 || c >= ds.numClasses) {
    throw new RangeError(`${ds.name}: class index ${c} out of range [0, ${ds.numClasses})`);
  }
}

/** Throw a RangeError naming the dataset and class unless example `i` of class `c` exists. */
export function checkExample(ds: ClassDataset, c: number, i: number): void {
  checkClass(ds, c);
  const n = ds.examplesOf(c);
  if (!Number.isInteger(i) || i < 0 || i >= n) {
    throw new RangeError(
      `${ds.name}: example index ${i} out of range for class '${ds.className(c)}' (${n} examples)`,
    );
  }
}
