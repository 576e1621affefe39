import { type ClassDataset, checkClass, groupOfClass, sourceKeyOf } from './types.js';

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
  groupOf(c: number): string | undefined {
    return groupOfClass(this.base, this.baseClass(c));
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
  groupOf(c: number): string | undefined {
    const [k, j] = this.locate(c);
    return groupOfClass(this.parts[k], j);
  }
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
