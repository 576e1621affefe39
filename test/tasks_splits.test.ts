import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import { SyntheticAlphabet } from '../src/data/synthetic.js';
import { readExample, type ClassDataset } from '../src/data/types.js';
import { rotateSquare } from '../src/data/image.js';
import { RotatedClasses } from '../src/data/rotate.js';
import { ClassSubset, ConcatClasses, assertDisjoint } from '../src/data/views.js';
import { metaSplits, splitClassIds, splitClassesByGroup } from '../src/tasks/splits.js';
import { EpisodeSampler } from '../src/tasks/episodes.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

const base = new SyntheticAlphabet({ numClasses: 12, seed: 5 });

test('RotatedClasses: 4x the classes, pixels rotated on read, rotations share the source key', () => {
  const rot = new RotatedClasses(base);
  assert.equal(rot.numClasses, 48);
  assert.equal(rot.className(9), 'glyph0002/rot090');
  assert.equal(rot.sourceKey(9), 'glyph0002');
  assert.deepEqual(rot.entry(11), { cls: 2, rotation: 270 });
  const src = readExample(base, 2, 4);
  const want = new Float32Array(784);
  rotateSquare(src, 28, 1, 180, want);
  assert.deepEqual(readExample(rot, 10, 4), want);
  assert.deepEqual(readExample(rot, 8, 4), src);
  assert.equal(rot.examplesOf(47), 20);
  // Only some rotations, or an explicit list.
  assert.equal(new RotatedClasses(base, { rotations: [0, 180] }).numClasses, 24);
  const picked = new RotatedClasses(base, { entries: [{ cls: 3, rotation: 90 }] });
  assert.equal(picked.className(0), 'glyph0003/rot090');
  assert.throws(
    () => new RotatedClasses(base, { rotations: [45 as 90] }),
    /rotation 45 is not 0\/90\/180\/270/,
  );
  const flat: ClassDataset = {
    ...base,
    name: 'flat',
    exampleShape: [784],
    examplesOf: (c) => base.examplesOf(c),
    read: () => {},
    className: (c) => base.className(c),
  };
  assert.throws(() => new RotatedClasses(flat), /flat has example shape \[784\]; expected square/);
  // Episodes over rotated classes work the same way.
  const ep = new EpisodeSampler(rot, { nWay: 20, kShot: 1, nQuery: 1 }).sample(new Rng(0));
  assert.deepEqual(ep.support.x.shape, [20, 28, 28, 1]);
  tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);
});

test('class splits are disjoint, cover what was asked, and are seeded', () => {
  const s = splitClassIds(100, { train: 0.6, val: 0.2, test: 0.2 }, new Rng(1));
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [60, 20, 20]);
  assert.deepEqual(
    [...s.train, ...s.val, ...s.test].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assertDisjoint(s as unknown as Record<string, number[]>);
  assert.deepEqual(splitClassIds(100, { train: 0.6, val: 0.2, test: 0.2 }, new Rng(1)), s);
  const counts = splitClassIds(10, { train: 5, test: 3 }, new Rng(2));
  assert.deepEqual([counts.train.length, counts.val.length, counts.test.length], [5, 0, 3]);
  assert.throws(
    () => splitClassIds(10, { train: 8, test: 3 }, new Rng(0)),
    /asks for 11 items but only 10 exist/,
  );
  assert.throws(
    () => splitClassIds(10, { train: 0.8, test: 0.3 }, new Rng(0)),
    /fractions add up to more than 1/,
  );
});

test('group splits keep every class of a group (alphabet) on one side', () => {
  const groupOf = (c: number) => `alphabet${c % 4}`;
  const s = splitClassesByGroup(base, groupOf, { train: 2, val: 1, test: 1 }, new Rng(3));
  const groups = (ids: number[]) => new Set(ids.map(groupOf));
  assert.equal(groups(s.train).size, 2);
  assert.equal(groups(s.test).size, 1);
  for (const g of groups(s.test)) assert.ok(!groups(s.train).has(g) && !groups(s.val).has(g));
  assert.equal(s.train.length + s.val.length + s.test.length, 12);
});

test('assertDisjoint catches shared classes, including a rotation of a meta-test character', () => {
  assert.throws(
    () => assertDisjoint({ train: [1, 2, 3], test: [3, 4] }),
    /meta-splits overlap: class id 3 is in both 'train' and 'test'/,
  );
  const rot = new RotatedClasses(base);
  const train = new ClassSubset(rot, [0, 1, 2, 3, 4]); // glyph0000 (all four) and glyph0001/rot000
  const test_ = new ClassSubset(rot, [5, 8, 9]); // glyph0001/rot090 leaks
  assert.throws(
    () => assertDisjoint({ train, test: test_ }),
    /class 'glyph0001' is in both 'train' and 'test'/,
  );
  assertDisjoint({ train, test: new ClassSubset(rot, [8, 9]) });
  const m = metaSplits(base, { train: [0, 1, 2], val: [3], test: [4, 5] });
  assert.equal(m.test.className(1), 'glyph0005');
  assert.equal(m.train.baseClass(2), 2);
  assert.throws(
    () => metaSplits(base, { train: [0, 1], test: [1] }),
    /class 'glyph0001' is in both 'train' and 'test'/,
  );
  assert.throws(() => new ClassSubset(base, [1, 1]), /class 1 \('glyph0001'\) listed twice/);
  assert.throws(() => new ClassSubset(base, [12]), /class index 12 out of range/);
});

test('ConcatClasses numbers classes part after part and checks shapes', () => {
  const other = new SyntheticAlphabet({ numClasses: 3, seed: 6 });
  const cat = new ConcatClasses([base, other]);
  assert.equal(cat.numClasses, 15);
  assert.deepEqual(cat.locate(13), [1, 1]);
  assert.deepEqual(readExample(cat, 13, 2), readExample(other, 1, 2));
  assert.throws(
    () => new ConcatClasses([base, new SyntheticAlphabet({ numClasses: 2, size: 14 })]),
    /has example shape \[14,14,1\], but .* has \[28,28,1\]/,
  );
});
