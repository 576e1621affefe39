/**
 * Composable task transforms, in the spirit of learn2learn's TaskDataset transforms (Arnold et al. 2020):
 * a list like [nWays(5), kShots(1), nQueries(15), remapLabels(), classAugment(), augment([...])] describes
 * how tasks are drawn from a ClassDataset, and taskSource turns it into something that samples them.
 */
import { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import type { ClassDataset } from '../data/types.js';
import { RotatedClasses } from '../data/rotate.js';
import type { Rotation } from '../data/image.js';
import { type Augmentation, composeAugmentations } from '../data/augment.js';
import { EpisodeSampler, type EpisodeSpec } from './episodes.js';
import type { Episode } from './types.js';

/** One step of a task pipeline (build them with nWays, kShots, nQueries, remapLabels, classAugment, augment). */
export type TaskTransform =
  | { readonly kind: 'ways'; readonly n: number }
  | { readonly kind: 'shots'; readonly k: number }
  | { readonly kind: 'queries'; readonly q: number }
  | { readonly kind: 'remapLabels'; readonly shuffle: boolean }
  | { readonly kind: 'withinGroups' }
  | { readonly kind: 'classAugment'; readonly rotations: readonly Rotation[] }
  | { readonly kind: 'augment'; readonly fn: Augmentation; readonly query: boolean };

/** N classes per task. */
export const nWays = (n: number): TaskTransform => ({ kind: 'ways', n });
/** K support examples per class. */
export const kShots = (k: number): TaskTransform => ({ kind: 'shots', k });
/** Q query examples per class. */
export const nQueries = (q: number): TaskTransform => ({ kind: 'queries', q });
/**
 * How classes become labels 0..N-1. Without this step (or with shuffle: true) label j is the j-th class
 * drawn, a random order; with shuffle: false labels follow the dataset's class ids (learn2learn's
 * ConsecutiveLabels), so one set of classes always gets the same labels.
 */
export const remapLabels = (opts: { shuffle?: boolean } = {}): TaskTransform => ({
  kind: 'remapLabels',
  shuffle: opts.shuffle ?? true,
});
/**
 * All N classes of a task from one group of the dataset (ClassDataset.groupOf: an Omniglot alphabet),
 * Lake et al.'s (2015) within-alphabet episodes. Applies to the dataset after classAugment, whose rotated
 * classes stay in their alphabet.
 */
export const withinGroups = (): TaskTransform => ({ kind: 'withinGroups' });
/**
 * Class augmentation: every class turned by each rotation becomes a class of its own (Santoro et al.
 * 2016), through RotatedClasses; rotated copies keep their source's identity for split checks.
 */
export const classAugment = (rotations: readonly Rotation[] = [0, 90, 180, 270]): TaskTransform => ({
  kind: 'classAugment',
  rotations,
});
/**
 * Data augmentations applied, in order, to every support example (and to queries with query: true),
 * drawn from the task's Rng.
 */
export const augment = (fns: readonly Augmentation[], opts: { query?: boolean } = {}): TaskTransform => ({
  kind: 'augment',
  fn: composeAugmentations(fns),
  query: opts.query ?? false,
});

/**
 * Tasks drawn from a ClassDataset as a list of transforms describes them: `sample(rng)` gives an
 * Episode (tensors owned by the caller). The same Rng state gives the same task, augmentations included.
 */
export class TaskSource {
  readonly dataset: ClassDataset;
  readonly sampler: EpisodeSampler;
  readonly nWay: number;
  readonly kShot: number;
  readonly nQuery: number;
  private readonly shuffle: boolean | undefined;
  private readonly supportAug: Augmentation[] = [];
  private readonly queryAug: Augmentation[] = [];

  constructor(base: ClassDataset, transforms: readonly TaskTransform[]) {
    let ds = base;
    let n: number | undefined;
    let k: number | undefined;
    let q: number | undefined;
    let shuffle: boolean | undefined;
    let withinGroup = false;
    const once = new Set<string>();
    for (const t of transforms) {
      if (t.kind !== 'augment') {
        if (once.has(t.kind)) throw new Error(`task transforms: '${t.kind}' is given twice`);
        once.add(t.kind);
      }
      switch (t.kind) {
        case 'ways':
          n = t.n;
          break;
        case 'shots':
          k = t.k;
          break;
        case 'queries':
          q = t.q;
          break;
        case 'remapLabels':
          shuffle = t.shuffle;
          break;
        case 'withinGroups':
          withinGroup = true;
          break;
        case 'classAugment':
          ds = new RotatedClasses(ds, { rotations: t.rotations });
          break;
        case 'augment':
          this.supportAug.push(t.fn);
          if (t.query) this.queryAug.push(t.fn);
          break;
        default:
          throw new Error(`task transforms: unknown step ${JSON.stringify(t)}`);
      }
    }
    if (n === undefined || k === undefined)
      throw new Error('task transforms: nWays(n) and kShots(k) are required (nQueries defaults to 0)');
    this.dataset = ds;
    this.sampler = new EpisodeSampler(ds, { nWay: n, kShot: k, nQuery: q ?? 0, withinGroup });
    this.nWay = n;
    this.kShot = k;
    this.nQuery = q ?? 0;
    this.shuffle = shuffle;
  }

  /** Which examples make up a task (no pixels); the label order follows remapLabels. */
  sampleSpec(rng: Rng): EpisodeSpec {
    const spec = this.sampler.sampleSpec(rng);
    if (this.shuffle === undefined || this.shuffle) return spec;
    const order = spec.classes.map((_, j) => j).sort((a, b) => spec.classes[a] - spec.classes[b]);
    return {
      classes: order.map((j) => spec.classes[j]),
      support: order.map((j) => spec.support[j]),
      query: order.map((j) => spec.query[j]),
    };
  }

  /** A task's tensors; augmentations (if any) draw from `rng`. */
  build(spec: EpisodeSpec, rng?: Rng): Episode {
    const hasAug = this.supportAug.length > 0 || this.queryAug.length > 0;
    if (!hasAug) return this.sampler.build(spec);
    if (rng === undefined) throw new Error('TaskSource.build: augmentations need an Rng');
    const { sx, sy, qx, qy } = this.sampler.gather(spec);
    const shape = this.dataset.exampleShape;
    const size = shape.reduce((a, b) => a * b, 1);
    const run = (fns: Augmentation[], x: Float32Array) => {
      for (let o = 0; o < x.length; o += size) for (const f of fns) f(x, o, shape, rng);
    };
    run(this.supportAug, sx);
    run(this.queryAug, qx);
    const n = spec.classes.length;
    return {
      support: { x: tf.tensor(sx, [sy.length, ...shape], 'float32'), y: tf.tensor1d(sy, 'int32') },
      query: { x: tf.tensor(qx, [qy.length, ...shape], 'float32'), y: tf.tensor1d(qy, 'int32') },
      classes: spec.classes.slice(),
      classNames: spec.classes.map((c) => this.dataset.className(c)),
      nWay: n,
      kShot: spec.support[0].length,
      nQuery: spec.query[0].length,
    };
  }

  /** One task as tensors (the caller disposes them). */
  sample(rng: Rng): Episode {
    return this.build(this.sampleSpec(rng), rng);
  }
}

/** A TaskSource over `dataset` described by `transforms`. */
export function taskSource(dataset: ClassDataset, transforms: readonly TaskTransform[]): TaskSource {
  return new TaskSource(dataset, transforms);
}
