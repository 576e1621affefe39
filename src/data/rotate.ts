import { type ClassDataset, checkExample, exampleSize, groupOfClass, sourceKeyOf } from './types.js';
import { type Rotation, rotateSquare } from './image.js';

/** One class of a rotated view: base class `cls` turned counter-clockwise by `rotation` degrees. */
export interface RotatedEntry {
  readonly cls: number;
  readonly rotation: Rotation;
}

const ROTATIONS: readonly Rotation[] = [0, 90, 180, 270];

/**
 * Class augmentation by rotation: each (base class, rotation) is a new class, as in the Omniglot
 * few-shot literature (Santoro et al. 2016, Vinyals et al. 2016). By default every base class gets all four
 * rotations and class `c` is base class `floor(c / 4)` turned by `90 * (c % 4)` degrees, which is the order
 * of the Vinyals split files. Pixels are rotated on read; nothing is stored.
 * Rotated copies share the base class's sourceKey, so a split that puts rot000 of a character in
 * meta-train and rot090 in meta-test is caught by assertDisjoint.
 */
export class RotatedClasses implements ClassDataset {
  readonly name: string;
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  private readonly entries: readonly RotatedEntry[];
  private readonly side: number;
  private readonly channels: number;
  private readonly scratch: Float32Array;

  constructor(
    readonly base: ClassDataset,
    opts: { rotations?: readonly Rotation[]; entries?: readonly RotatedEntry[]; name?: string } = {},
  ) {
    const shape = base.exampleShape;
    if ((shape.length !== 2 && shape.length !== 3) || shape[0] !== shape[1]) {
      throw new Error(
        `RotatedClasses: ${base.name} has example shape [${shape}]; expected square [h, h, c] images`,
      );
    }
    this.side = shape[0];
    this.channels = shape.length === 3 ? shape[2] : 1;
    this.exampleShape = shape;
    if (opts.entries !== undefined) {
      for (const e of opts.entries) {
        if (!ROTATIONS.includes(e.rotation))
          throw new Error(`RotatedClasses: rotation ${e.rotation} is not 0/90/180/270`);
        if (!Number.isInteger(e.cls) || e.cls < 0 || e.cls >= base.numClasses) {
          throw new Error(
            `RotatedClasses: class ${e.cls} out of range for ${base.name} (${base.numClasses} classes)`,
          );
        }
      }
      this.entries = opts.entries.slice();
    } else {
      const rots = opts.rotations ?? ROTATIONS;
      for (const r of rots)
        if (!ROTATIONS.includes(r)) throw new Error(`RotatedClasses: rotation ${r} is not 0/90/180/270`);
      const list: RotatedEntry[] = [];
      for (let c = 0; c < base.numClasses; c++) for (const rotation of rots) list.push({ cls: c, rotation });
      this.entries = list;
    }
    this.numClasses = this.entries.length;
    this.name = opts.name ?? `${base.name}+rot`;
    this.scratch = new Float32Array(exampleSize(base));
  }

  entry(c: number): RotatedEntry {
    const e = this.entries[c];
    if (e === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return e;
  }

  examplesOf(c: number): number {
    return this.base.examplesOf(this.entry(c).cls);
  }

  read(c: number, i: number, out: Float32Array, offset = 0): void {
    checkExample(this, c, i);
    const e = this.entries[c];
    if (e.rotation === 0) {
      this.base.read(e.cls, i, out, offset);
      return;
    }
    this.base.read(e.cls, i, this.scratch, 0);
    rotateSquare(this.scratch, this.side, this.channels, e.rotation, out, offset);
  }

  className(c: number): string {
    const e = this.entry(c);
    return `${this.base.className(e.cls)}/rot${String(e.rotation).padStart(3, '0')}`;
  }

  sourceKey(c: number): string {
    return sourceKeyOf(this.base, this.entry(c).cls);
  }

  /** The base class's group: a rotated character stays in its alphabet. */
  groupOf(c: number): string | undefined {
    return groupOfClass(this.base, this.entry(c).cls);
  }
}
