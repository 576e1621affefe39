import { tf } from '../engine/tf.js';
import { Rng, sampleDistinct } from '../engine/rng.js';
import { type ClassDataset, exampleSize, groupOfClass } from '../data/types.js';
import type { Episode } from './types.js';

/** The shape of an N-way K-shot episode with Q queries per class. */
export interface EpisodeOptions {
  /** N: classes per episode. */
  nWay: number;
  /** K: support examples per class. */
  kShot: number;
  /** Q: query examples per class. */
  nQuery: number;
  /**
   * Draw all N classes of an episode from one group of the dataset (ClassDataset.groupOf: an Omniglot
   * alphabet), as in Lake et al.'s (2015) within-alphabet one-shot classification: first a group,
   * uniformly among those with at least N classes, then N of its classes. Default false: N classes of
   * the whole dataset.
   */
  withinGroup?: boolean;
}

/** Which examples make up an episode, without pixels: cheap to sample, store and replay. */
export interface EpisodeSpec {
  /** Dataset class ids, in label order. */
  readonly classes: readonly number[];
  /** support[j]: K example indices of classes[j]. */
  readonly support: readonly (readonly number[])[];
  /** query[j]: Q example indices of classes[j], disjoint from support[j]. */
  readonly query: readonly (readonly number[])[];
}

/** A batch of episodes stacked on a leading axis: x [B, N*K, ...], y [B, N*K], likewise for the query. */
export interface EpisodeBatch {
  readonly support: { x: tf.Tensor; y: tf.Tensor };
  readonly query: { x: tf.Tensor; y: tf.Tensor };
  readonly specs: readonly EpisodeSpec[];
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min)
    throw new Error(`episodes: ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * N-way K-shot episodes from a ClassDataset. Sampling draws only indices (sampleSpec); building copies the
 * pixels of all N*(K+Q) examples into two Float32Arrays and uploads each with a single tensor call.
 * The same Rng state gives the same episode.
 */
export class EpisodeSampler {
  readonly nWay: number;
  readonly kShot: number;
  readonly nQuery: number;
  readonly withinGroup: boolean;
  private readonly size: number;
  /** With withinGroup: the class ids of each group that has at least nWay classes. */
  private readonly groups: readonly (readonly number[])[] = [];

  constructor(
    readonly dataset: ClassDataset,
    opts: EpisodeOptions,
  ) {
    checkCount('nWay', opts.nWay, 1);
    checkCount('kShot', opts.kShot, 1);
    checkCount('nQuery', opts.nQuery, 0);
    this.nWay = opts.nWay;
    this.kShot = opts.kShot;
    this.nQuery = opts.nQuery;
    if (opts.nWay > dataset.numClasses) {
      throw new Error(
        `${dataset.name}: cannot sample ${opts.nWay}-way episodes from only ${dataset.numClasses} classes`,
      );
    }
    // Checked up front, so a too-small class fails at construction and not in epoch 37.
    const need = opts.kShot + opts.nQuery;
    for (let c = 0; c < dataset.numClasses; c++) {
      const have = dataset.examplesOf(c);
      if (have < need) {
        throw new Error(
          `${dataset.name}: class '${dataset.className(c)}' (id ${c}) has ${have} examples, fewer than ` +
            `K + Q = ${opts.kShot} + ${opts.nQuery} = ${need}`,
        );
      }
    }
    this.size = exampleSize(dataset);
    this.withinGroup = opts.withinGroup ?? false;
    if (this.withinGroup) this.groups = eligibleGroups(dataset, opts.nWay);
  }

  sampleSpec(rng: Rng): EpisodeSpec {
    let classes: number[];
    if (this.withinGroup) {
      const g = this.groups[rng.int(this.groups.length)];
      classes = sampleDistinct(g.length, this.nWay, rng).map((i) => g[i]);
    } else {
      classes = sampleDistinct(this.dataset.numClasses, this.nWay, rng);
    }
    const support: number[][] = [];
    const query: number[][] = [];
    const k = this.kShot;
    for (const c of classes) {
      const idx = sampleDistinct(this.dataset.examplesOf(c), k + this.nQuery, rng);
      support.push(idx.slice(0, k));
      query.push(idx.slice(k));
    }
    return { classes, support, query };
  }

  /** Pixels of a spec as flat arrays (no tensors): support then query, each in class order. */
  gather(spec: EpisodeSpec): { sx: Float32Array; sy: Int32Array; qx: Float32Array; qy: Int32Array } {
    const n = spec.classes.length;
    const k = spec.support[0]?.length ?? 0;
    const q = spec.query[0]?.length ?? 0;
    const sx = new Float32Array(n * k * this.size);
    const qx = new Float32Array(n * q * this.size);
    const sy = new Int32Array(n * k);
    const qy = new Int32Array(n * q);
    this.fill(spec, sx, sy, qx, qy, 0, 0);
    return { sx, sy, qx, qy };
  }

  private fill(
    spec: EpisodeSpec,
    sx: Float32Array,
    sy: Int32Array,
    qx: Float32Array,
    qy: Int32Array,
    sOff: number,
    qOff: number,
  ): void {
    const ds = this.dataset;
    const sz = this.size;
    let s = sOff;
    let q = qOff;
    spec.classes.forEach((c, j) => {
      for (const i of spec.support[j]) {
        ds.read(c, i, sx, s * sz);
        sy[s++] = j;
      }
      for (const i of spec.query[j]) {
        ds.read(c, i, qx, q * sz);
        qy[q++] = j;
      }
    });
  }

  /** Tensors for a spec (from sampleSpec or a saved EpisodeSet). */
  build(spec: EpisodeSpec): Episode {
    validateSpec(spec, this.dataset, '<spec>');
    const n = spec.classes.length;
    const k = spec.support[0].length;
    const q = spec.query[0].length;
    const { sx, sy, qx, qy } = this.gather(spec);
    const shape = this.dataset.exampleShape;
    return {
      support: { x: tf.tensor(sx, [n * k, ...shape], 'float32'), y: tf.tensor1d(sy, 'int32') },
      query: { x: tf.tensor(qx, [n * q, ...shape], 'float32'), y: tf.tensor1d(qy, 'int32') },
      classes: spec.classes.slice(),
      classNames: spec.classes.map((c) => this.dataset.className(c)),
      nWay: n,
      kShot: k,
      nQuery: q,
    };
  }

  sample(rng: Rng): Episode {
    return this.build(this.sampleSpec(rng));
  }

  /** `count` episodes as one batch (for meta-batches): four tensor calls in all. */
  sampleBatch(rng: Rng, count: number): EpisodeBatch {
    checkCount('batch size', count, 1);
    const specs = Array.from({ length: count }, () => this.sampleSpec(rng));
    return this.buildBatch(specs);
  }

  buildBatch(specs: readonly EpisodeSpec[]): EpisodeBatch {
    if (specs.length === 0) throw new Error('buildBatch: no episodes');
    const n = specs[0].classes.length;
    const k = specs[0].support[0].length;
    const q = specs[0].query[0].length;
    for (const s of specs) {
      validateSpec(s, this.dataset, '<spec>');
      if (s.classes.length !== n || s.support[0].length !== k || s.query[0].length !== q) {
        throw new Error('buildBatch: all episodes of a batch need the same N, K and Q');
      }
    }
    const b = specs.length;
    const sz = this.size;
    const sx = new Float32Array(b * n * k * sz);
    const qx = new Float32Array(b * n * q * sz);
    const sy = new Int32Array(b * n * k);
    const qy = new Int32Array(b * n * q);
    specs.forEach((s, e) => this.fill(s, sx, sy, qx, qy, e * n * k, e * n * q));
    const shape = this.dataset.exampleShape;
    return {
      support: { x: tf.tensor(sx, [b, n * k, ...shape], 'float32'), y: tf.tensor2d(sy, [b, n * k], 'int32') },
      query: { x: tf.tensor(qx, [b, n * q, ...shape], 'float32'), y: tf.tensor2d(qy, [b, n * q], 'int32') },
      specs: specs.slice(),
    };
  }
}

/** The classes of each group of `ds` with at least `nWay` of them, in group-name order. */
function eligibleGroups(ds: ClassDataset, nWay: number): number[][] {
  const byGroup = new Map<string, number[]>();
  for (let c = 0; c < ds.numClasses; c++) {
    const g = groupOfClass(ds, c);
    if (g === undefined) {
      throw new Error(
        `${ds.name}: within-group episodes need classes that belong to groups (such as Omniglot's alphabets), ` +
          `but class '${ds.className(c)}' (id ${c}) has none`,
      );
    }
    let list = byGroup.get(g);
    if (!list) byGroup.set(g, (list = []));
    list.push(c);
  }
  const names = [...byGroup.keys()].sort();
  const out = names.map((g) => byGroup.get(g)!).filter((l) => l.length >= nWay);
  if (out.length === 0) {
    const most = Math.max(...names.map((g) => byGroup.get(g)!.length));
    throw new Error(
      `${ds.name}: no group has ${nWay} classes for ${nWay}-way within-group episodes ` +
        `(${names.length} groups, the largest with ${most})`,
    );
  }
  return out;
}

function validateSpec(spec: EpisodeSpec, ds: ClassDataset, where: string): void {
  const n = spec.classes.length;
  if (n === 0) throw new Error(`${where}: episode has no classes`);
  if (spec.support.length !== n || spec.query.length !== n) {
    throw new Error(
      `${where}: episode lists ${n} classes but ${spec.support.length} support and ${spec.query.length} query groups`,
    );
  }
  const k = spec.support[0].length;
  const q = spec.query[0].length;
  const seen = new Set<number>();
  spec.classes.forEach((c, j) => {
    if (!Number.isInteger(c) || c < 0 || c >= ds.numClasses) {
      throw new Error(`${where}: class id ${c} out of range for ${ds.name} (${ds.numClasses} classes)`);
    }
    if (seen.has(c)) throw new Error(`${where}: class id ${c} appears twice in one episode`);
    seen.add(c);
    if (spec.support[j].length !== k || spec.query[j].length !== q) {
      throw new Error(
        `${where}: class ${j} has ${spec.support[j].length} support / ${spec.query[j].length} query examples; expected ${k} / ${q}`,
      );
    }
    const m = ds.examplesOf(c);
    const used = new Set<number>();
    for (const i of [...spec.support[j], ...spec.query[j]]) {
      if (!Number.isInteger(i) || i < 0 || i >= m) {
        throw new Error(
          `${where}: example index ${i} out of range for class '${ds.className(c)}' (${m} examples)`,
        );
      }
      if (used.has(i)) throw new Error(`${where}: example ${i} of class '${ds.className(c)}' is used twice`);
      used.add(i);
    }
  });
}

/** The JSON layout of a saved episode set. */
export interface EpisodeSetJson {
  format: 'metalearn-episodes';
  version: 1;
  dataset: string;
  numClasses: number;
  nWay: number;
  kShot: number;
  nQuery: number;
  seed: number | null;
  /** Present (true) when every episode's classes come from one group (EpisodeOptions.withinGroup). */
  withinGroup?: true;
  episodes: { classes: number[]; classNames: string[]; support: number[][]; query: number[][] }[];
}

/**
 * A fixed list of evaluation episodes (class ids, class names and example indices), saved as JSON so two
 * models, or two runs months apart, are scored on exactly the same episodes. Class names are stored and
 * checked on use, so replaying a set against a different dataset or split is an error, not a silent
 * mismatch. Files: loadEpisodeSet / saveEpisodeSet (tasks/episode_files.ts, Node).
 */
export class EpisodeSet {
  private constructor(private readonly data: EpisodeSetJson) {}

  /** `count` episodes from a sampler, drawn with a fresh Rng seeded `seed` (so the set can be regenerated). */
  static generate(sampler: EpisodeSampler, count: number, seed: number): EpisodeSet {
    checkCount('count', count, 1);
    const rng = new Rng(seed);
    const ds = sampler.dataset;
    const episodes = Array.from({ length: count }, () => {
      const s = sampler.sampleSpec(rng);
      return {
        classes: s.classes.slice(),
        classNames: s.classes.map((c) => ds.className(c)),
        support: s.support.map((x) => x.slice()),
        query: s.query.map((x) => x.slice()),
      };
    });
    return new EpisodeSet({
      format: 'metalearn-episodes',
      version: 1,
      dataset: ds.name,
      numClasses: ds.numClasses,
      nWay: sampler.nWay,
      kShot: sampler.kShot,
      nQuery: sampler.nQuery,
      seed,
      ...(sampler.withinGroup ? { withinGroup: true as const } : {}),
      episodes,
    });
  }

  static fromJSON(json: unknown, file = '<json>'): EpisodeSet {
    const bad = (field: string, expected: string): never => {
      throw new Error(`${file}: field '${field}' ${expected}`);
    };
    const o = json as Partial<EpisodeSetJson> | null;
    if (o === null || typeof o !== 'object') bad('(root)', 'should be an object');
    if (o!.format !== 'metalearn-episodes')
      bad('format', `should be 'metalearn-episodes', got ${JSON.stringify(o!.format)}`);
    if (o!.version !== 1) bad('version', `should be 1, got ${JSON.stringify(o!.version)}`);
    if (typeof o!.dataset !== 'string') bad('dataset', 'should be a string');
    if (o!.withinGroup !== undefined && o!.withinGroup !== true)
      bad('withinGroup', `should be true or absent, got ${JSON.stringify(o!.withinGroup)}`);
    for (const f of ['numClasses', 'nWay', 'kShot', 'nQuery'] as const) {
      const v = o![f];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        bad(f, `should be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    if (!Array.isArray(o!.episodes) || o!.episodes.length === 0)
      bad('episodes', 'should be a non-empty array');
    const isInts = (a: unknown, len: number) =>
      Array.isArray(a) && a.length === len && a.every((v) => Number.isInteger(v) && v >= 0);
    o!.episodes!.forEach((e, i) => {
      const f = `episodes[${i}]`;
      if (!isInts(e?.classes, o!.nWay!)) bad(`${f}.classes`, `should be ${o!.nWay} class ids`);
      if (
        !Array.isArray(e.classNames) ||
        e.classNames.length !== o!.nWay ||
        !e.classNames.every((s) => typeof s === 'string')
      ) {
        bad(`${f}.classNames`, `should be ${o!.nWay} strings`);
      }
      for (const part of ['support', 'query'] as const) {
        const len = part === 'support' ? o!.kShot! : o!.nQuery!;
        if (!Array.isArray(e[part]) || e[part].length !== o!.nWay || !e[part].every((g) => isInts(g, len))) {
          bad(`${f}.${part}`, `should be ${o!.nWay} lists of ${len} example indices`);
        }
      }
    });
    return new EpisodeSet({ ...(o as EpisodeSetJson), seed: o!.seed ?? null });
  }

  toJSON(): EpisodeSetJson {
    return this.data;
  }

  get length(): number {
    return this.data.episodes.length;
  }
  get nWay(): number {
    return this.data.nWay;
  }
  get kShot(): number {
    return this.data.kShot;
  }
  get nQuery(): number {
    return this.data.nQuery;
  }
  /** True when every episode draws its classes from one group (within-group episodes). */
  get withinGroup(): boolean {
    return this.data.withinGroup === true;
  }
  get datasetName(): string {
    return this.data.dataset;
  }

  spec(i: number): EpisodeSpec {
    const e = this.data.episodes[i];
    if (e === undefined) throw new RangeError(`episode set: index ${i} out of range [0, ${this.length})`);
    return e;
  }

  /** Throw unless `ds` has the classes this set was made from (compared by class name). */
  checkDataset(ds: ClassDataset): void {
    if (ds.numClasses !== this.data.numClasses) {
      throw new Error(
        `episode set was made from '${this.data.dataset}' with ${this.data.numClasses} classes; ` +
          `'${ds.name}' has ${ds.numClasses}`,
      );
    }
    this.data.episodes.forEach((e, i) => {
      e.classes.forEach((c, j) => {
        const name = ds.className(c);
        if (name !== e.classNames[j]) {
          throw new Error(
            `episode set: episode ${i} expects class ${c} to be '${e.classNames[j]}', but in '${ds.name}' it is '${name}'`,
          );
        }
      });
    });
  }

  /** Episode i as tensors, built through a sampler on the same dataset (its class names are checked). */
  build(i: number, sampler: EpisodeSampler): Episode {
    const e = this.data.episodes[i];
    if (e === undefined) throw new RangeError(`episode set: index ${i} out of range [0, ${this.length})`);
    const ds = sampler.dataset;
    e.classes.forEach((c, j) => {
      const name = c < ds.numClasses ? ds.className(c) : `<no class ${c}>`;
      if (name !== e.classNames[j]) {
        throw new Error(
          `episode set: episode ${i} expects class ${c} to be '${e.classNames[j]}', but in '${ds.name}' it is '${name}'`,
        );
      }
    });
    return sampler.build(e);
  }
}
