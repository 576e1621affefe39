// The real Omniglot zips (../shared/data or $METALEARN_DATA). Without them these tests fail, on purpose:
// the error says where the data was looked for.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  type OmniglotImages,
  loadOmniglot,
  loadOmniglotBackgroundEvaluation,
  loadOmniglotVinyalsSplits,
  readVinyalsSplit,
} from '../src/data/omniglot.js';
import { assertDisjoint, ClassSubset } from '../src/data/views.js';
import { readExample } from '../src/data/types.js';
import type { RotatedClasses } from '../src/data/rotate.js';

let background: OmniglotImages;
let evaluation: OmniglotImages;
let vinyals: ReturnType<typeof loadOmniglotVinyalsSplits>;

before(() => {
  // First run decodes both zips (a few seconds) into <repo>/.cache/omniglot; later runs read the cache.
  const t0 = performance.now();
  ({ background, evaluation } = loadOmniglotBackgroundEvaluation());
  const t1 = performance.now();
  vinyals = loadOmniglotVinyalsSplits();
  console.log(
    `# omniglot load ${(t1 - t0).toFixed(0)} ms, vinyals views ${(performance.now() - t1).toFixed(0)} ms`,
  );
});

test('background / evaluation: 964 + 659 characters, 30 + 20 alphabets, 20 drawings each', () => {
  assert.equal(background.numClasses, 964);
  assert.equal(evaluation.numClasses, 659);
  assert.equal(background.alphabets.length, 30);
  assert.equal(evaluation.alphabets.length, 20);
  assert.equal(background.numImages, 19280);
  assert.equal(evaluation.numImages, 13180);
  for (const ds of [background, evaluation]) {
    for (let c = 0; c < ds.numClasses; c++) assert.equal(ds.examplesOf(c), 20, ds.className(c));
  }
  assert.deepEqual(background.exampleShape, [28, 28, 1]);
  // Drawer ids 01..20 in order.
  assert.deepEqual(
    Array.from({ length: 20 }, (_, i) => background.fileOf(0, i).slice(-6, -4)),
    Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(2, '0')),
  );
});

test('pixels are in [0, 1] with ink = 1 on a zero background', () => {
  let sum = 0;
  let zeros = 0;
  for (let c = 0; c < background.numClasses; c += 97) {
    const x = readExample(background, c, 3);
    assert.ok(x.every((v) => v >= 0 && v <= 1));
    for (const v of x) {
      sum += v;
      if (v === 0) zeros++;
    }
  }
  const n = 10 * 784;
  assert.ok(sum / n > 0.03 && sum / n < 0.3, `mean ink ${sum / n}`);
  assert.ok(zeros / n > 0.5, `share of exact zeros ${zeros / n}`);
});

test('background and evaluation share no alphabet or character', () => {
  assertDisjoint({ background, evaluation });
  const a = new Set(background.alphabets);
  assert.ok(evaluation.alphabets.every((x) => !a.has(x)));
});

test('Vinyals split: 1,200 trainval characters -> 4,800 classes, 423 test -> 1,692', () => {
  const { train, val, trainval, test: testSplit } = vinyals as Record<string, RotatedClasses>;
  assert.equal(trainval.numClasses, 4800);
  assert.equal(testSplit.numClasses, 1692);
  assert.equal(train.numClasses + val.numClasses, 4800);
  const chars = (ds: RotatedClasses) =>
    new Set(Array.from({ length: ds.numClasses }, (_, c) => ds.sourceKey(c)));
  assert.equal(chars(trainval).size, 1200);
  assert.equal(chars(testSplit).size, 423);
  assert.equal(readVinyalsSplit('trainval').length, 4800);
  for (const ds of [trainval, testSplit])
    for (let c = 0; c < ds.numClasses; c++) assert.equal(ds.examplesOf(c), 20);
});

test('meta-train and meta-test classes never meet (by character, across rotations)', () => {
  const { train, val, trainval, test: testSplit } = vinyals as Record<string, RotatedClasses>;
  assertDisjoint({ train, val, test: testSplit });
  assertDisjoint({ trainval, test: testSplit });
  // And the check does catch a leak: one test character's rotation slipped into meta-train.
  const leaked = new ClassSubset(testSplit, [5]);
  assert.throws(
    () => assertDisjoint({ trainval, leaked, test: testSplit }),
    /meta-splits overlap: class '.+\/character\d+' is in both 'leaked' and 'test'/,
  );
});

test('rotated classes rotate the drawing counter-clockwise', () => {
  const tv = vinyals.trainval!;
  const e0 = tv.entry(0);
  const e1 = tv.entry(1);
  assert.equal(e0.cls, e1.cls);
  assert.equal(e1.rotation, 90);
  const a = readExample(tv, 0, 0);
  const b = readExample(tv, 1, 0);
  // 90 degrees counter-clockwise: out(y, x) = in(x, 27 - y).
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) assert.equal(b[y * 28 + x], a[x * 28 + (27 - y)]);
});

test('the second load comes from the cache in well under a second', () => {
  const t0 = performance.now();
  const bg = loadOmniglot('background');
  const ev = loadOmniglot('evaluation');
  const ms = performance.now() - t0;
  console.log(`# cached load of both halves: ${ms.toFixed(0)} ms`);
  assert.equal(bg.numClasses + ev.numClasses, 1623);
  assert.deepEqual(bg.rawPixels(), background.rawPixels());
  assert.ok(ms < 1000, `cached load took ${ms} ms`);
});
