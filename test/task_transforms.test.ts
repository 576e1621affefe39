// Seeded data augmentations and composable task transforms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import {
  colorJitter,
  horizontalFlip,
  normalizeChannels,
  parseAugmentations,
  randomCrop,
} from '../src/data/augment.js';
import { ImageArrayDataset } from '../src/data/image_array.js';
import {
  augment,
  classAugment,
  kShots,
  nQueries,
  nWays,
  remapLabels,
  taskSource,
} from '../src/tasks/transforms.js';

/** A fixed Rng stand-in whose int() and next() return given values. */
const fixed = (ints: number[], nexts: number[] = []) =>
  ({ int: () => ints.shift()!, next: () => nexts.shift()!, uniform: (lo: number) => lo }) as unknown as Rng;

test('randomCrop: pads with the fill and shifts by the drawn offset; flip mirrors rows', () => {
  // 3x3 gray image 1..9; offsets drawn as int(2p+1) - p with p = 1: ints 2, 0 -> dy = +1, dx = -1.
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  randomCrop(1)(x, 0, [3, 3, 1], fixed([2, 0]));
  // Output (y, x) reads source (y + 1, x - 1); outside is 0.
  assert.deepEqual(Array.from(x), [0, 4, 5, 0, 7, 8, 0, 0, 0]);
  const rgb = Float32Array.from([1, 2, 3, 4, 5, 6]); // 1x2, 3 channels
  horizontalFlip(0.5)(rgb, 0, [1, 2, 3], fixed([], [0.2]));
  assert.deepEqual(Array.from(rgb), [4, 5, 6, 1, 2, 3]);
  horizontalFlip(0.5)(rgb, 0, [1, 2, 3], fixed([], [0.7]));
  assert.deepEqual(Array.from(rgb), [4, 5, 6, 1, 2, 3], 'not flipped when the draw is over p');
  // At an offset inside a larger buffer, only that example changes.
  const two = Float32Array.from([9, 9, 1, 2]);
  horizontalFlip(1)(two, 2, [1, 2, 1], fixed([], [0]));
  assert.deepEqual(Array.from(two), [9, 9, 2, 1]);
});

test('colorJitter: brightness scales, contrast blends with the mean, saturation with the pixel gray; clipped', () => {
  const x = Float32Array.from([0.2, 0.4, 0.6, 0.6, 0.4, 0.2]);
  // uniform(lo) returns lo: factors are 1 - s.
  colorJitter({ brightness: 0.5 })(x, 0, [1, 2, 3], fixed([]));
  assert.ok(Array.from(x).every((v, i) => Math.abs(v - [0.1, 0.2, 0.3, 0.3, 0.2, 0.1][i]) < 1e-6));
  const y = Float32Array.from([0, 1]);
  colorJitter({ contrast: 0.5 })(y, 0, [1, 2, 1], fixed([]));
  assert.deepEqual(Array.from(y), [0.25, 0.75]);
  const z = Float32Array.from([1, 0, 0]);
  colorJitter({ saturation: 1 })(z, 0, [1, 1, 3], fixed([]));
  assert.ok(
    Array.from(z).every((v) => Math.abs(v - 0.299) < 1e-6),
    'saturation 0 gives the gray',
  );
  const n = Float32Array.from([0.5, 0.5, 1]);
  normalizeChannels([0.5, 0, 0], [0.5, 1, 2])(n, 0, [1, 1, 3], fixed([]));
  assert.deepEqual(Array.from(n), [0, 0.5, 0.5]);
  assert.equal(parseAugmentations('crop:8,flip,jitter:0.4').length, 3);
  assert.deepEqual(parseAugmentations('none'), []);
  assert.throws(() => parseAugmentations('crop:8,spin'), /field 'augment': cannot read step "spin"/);
  assert.throws(() => parseAugmentations('crop:x'), /numbers after the colons/);
});

/** 6 classes of 4 images 4x4x3, image i of class c filled with c * 10 + i (over 255). */
function tiny(): ImageArrayDataset {
  const classes = Array.from({ length: 6 }, (_, c) => {
    const pixels = new Uint8Array(4 * 48);
    for (let i = 0; i < 4; i++) pixels.fill(c * 10 + i, i * 48, (i + 1) * 48);
    return { name: `c${c}`, pixels, count: 4 };
  });
  return new ImageArrayDataset('tiny', classes, [4, 4, 3]);
}

test('task transforms: N ways, K shots, Q queries, label order, class augmentation, seeded augmentation', () => {
  const ds = tiny();
  const before = tf.memory().numTensors;
  const src = taskSource(ds, [nWays(3), kShots(2), nQueries(1), remapLabels({ shuffle: false })]);
  const ep = src.sample(new Rng(3));
  assert.deepEqual(ep.support.x.shape, [6, 4, 4, 3]);
  assert.deepEqual(ep.query.x.shape, [3, 4, 4, 3]);
  assert.deepEqual(
    [...ep.classes],
    [...ep.classes].sort((a, b) => a - b),
    'labels follow class ids',
  );
  // Every support example holds its class's value (c * 10 + i) / 255.
  const sx = ep.support.x.dataSync();
  const sy = ep.support.y.dataSync();
  for (let e = 0; e < 6; e++) {
    const c = ep.classes[sy[e]];
    const v = sx[e * 48] * 255;
    assert.ok(Math.abs(v - Math.round(v)) < 1e-3 && Math.floor(Math.round(v) / 10) === c, `example ${e}`);
  }
  tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);
  // Class augmentation: 6 classes x 4 rotations.
  const rot = taskSource(ds, [nWays(5), kShots(1), classAugment()]);
  assert.equal(rot.dataset.numClasses, 24);
  assert.equal(rot.dataset.className(5), 'c1/rot090');
  // Augmentation is seeded: the same Rng state gives the same pixels; the query is untouched by default.
  const aug = taskSource(ds, [nWays(2), kShots(2), nQueries(2), augment([colorJitter({ brightness: 0.5 })])]);
  const a = aug.sample(new Rng(11));
  const b = aug.sample(new Rng(11));
  assert.deepEqual(a.support.x.dataSync(), b.support.x.dataSync());
  const plain = taskSource(ds, [nWays(2), kShots(2), nQueries(2)]).sample(new Rng(11));
  assert.deepEqual(a.query.x.dataSync(), plain.query.x.dataSync());
  assert.notDeepEqual(a.support.x.dataSync(), plain.support.x.dataSync());
  for (const e of [a, b, plain]) tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  assert.throws(() => taskSource(ds, [nWays(2)]), /nWays\(n\) and kShots\(k\) are required/);
  assert.throws(() => taskSource(ds, [nWays(2), nWays(3), kShots(1)]), /'ways' is given twice/);
  assert.throws(
    () => taskSource(ds, [nWays(7), kShots(1)]),
    /cannot sample 7-way episodes from only 6 classes/,
  );
});
