// Our pickle reader (src/data/pickle.ts) on fixtures written by Python's pickle at protocols 2, 4 and 5
// and in Python 2's form (test/fixtures/make_pickles.py), and the mini-ImageNet, tiered-ImageNet and
// CIFAR-100 python pickle layouts read through it: decoded pixels and labels checked against the script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import { asNdArray, dictGet, ndNumbers, readPickle, type PickleValue } from '../src/data/pickle.js';
import { readPickleFile, FileSource } from '../src/data/pickle_file.js';
import {
  CIFAR_FS_CLASSES,
  loadCifarFs,
  loadFc100,
  loadMiniImageNet,
  loadTieredImageNet,
} from '../src/data/fewshot_benchmarks.js';
import { readExample, type ClassDataset } from '../src/data/types.js';
import { getTaskSets } from '../src/tasks/tasksets.js';
import { openSync, closeSync } from 'node:fs';

const dir = join(import.meta.dirname, 'fixtures', 'pickles');
const file = (f: string) => join(dir, f);

/** make_pickles.py's pixel formula. */
const pixel = (s: number, c: number, k: number, y: number, x: number, ch: number) =>
  (37 * c + 11 * k + 5 * y + 3 * x + 50 * ch + 17 * s) % 256;

for (const name of ['values_p2', 'values_p4', 'values_p5', 'values_py2']) {
  test(`readPickle: every value of ${name}.pkl`, () => {
    const v = readPickleFile(file(`${name}.pkl`));
    const get = (k: string) => dictGet(v, k, name);
    assert.deepEqual(get('ints'), [
      0,
      1,
      255,
      256,
      65535,
      65536,
      -1,
      -129,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 40,
      -(2 ** 40),
      2n ** 70n,
    ]);
    assert.deepEqual(get('floats'), [1.5, -0, 1e300]);
    assert.ok(Object.is((get('floats') as number[])[1], -0));
    assert.deepEqual(get('consts'), [null, true, false]);
    assert.deepEqual(get('text'), ['', 'abc', 'é✓', 'x'.repeat(300)]);
    const bytes = get('bytes') as Uint8Array[];
    assert.deepEqual(
      bytes.map((b) => Array.from(b)),
      [[], [0, 255], Array(300).fill(121), [120, 121]],
    );
    assert.deepEqual(get('tuples'), [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]);
    const shared = get('shared') as PickleValue[];
    assert.deepEqual(shared, [
      [1, 2],
      [1, 2],
    ]);
    assert.equal(shared[0], shared[1], 'a memoised object is the same object');
    const f4 = asNdArray(get('f4'), 'f4');
    assert.equal(f4.dtype, '<f4');
    assert.deepEqual(f4.shape, [2, 3]);
    assert.deepEqual(Array.from(ndNumbers(f4, 'f4')), [0, 0.25, 0.5, 0.75, 1, 1.25]);
    assert.deepEqual(Array.from(ndNumbers(get('i64'), 'i64')), [-3, 2 ** 40]);
    const fortran = asNdArray(get('fortran'), 'fortran');
    assert.equal(fortran.fortran, true);
    assert.deepEqual(Array.from(fortran.data as Uint8Array), [0, 3, 1, 4, 2, 5]);
    assert.equal(get('scalar'), 7);
    assert.equal((v as Map<unknown, unknown>).get(3), 'int key');
  });
}

test('readPickle: a window smaller than the values reads the same', () => {
  const fd = openSync(file('values_p4.pkl'), 'r');
  try {
    const v = readPickle(new FileSource(fd, 16), { file: 'values_p4.pkl' });
    assert.deepEqual(v, readPickle(new Uint8Array(readFileSync(file('values_p4.pkl')))));
  } finally {
    closeSync(fd);
  }
});

test('readPickle: a long str turned into bytes by _codecs.encode is read without a string between', () => {
  // mini-imagenet-cache-val.pkl is protocol 2 from Python 3: its pixels are _codecs.encode(text, 'latin1').
  const short = readPickleFile(file('mini-imagenet-cache-val.pkl'));
  const long = readPickleFile(file('mini-imagenet-cache-val.pkl'), { longText: 64 });
  const px = (v: PickleValue) => asNdArray(dictGet(v, 'image_data', 'val'), 'val').data as Uint8Array;
  assert.equal(px(short).length, 6 * 12 * 12 * 3);
  assert.deepEqual(px(long), px(short));
  assert.equal(px(short)[12 * 3 + 1], pixel(1, 0, 0, 1, 0, 1));
});

test('readPickle: unknown classes and opcodes, truncation and wrong dtypes are clear errors', () => {
  assert.throws(
    () => readPickleFile(file('bad_class.pkl')),
    /bad_class\.pkl: byte 38, opcode STACK_GLOBAL: class datetime\.date is not supported/,
  );
  const good = new Uint8Array(readFileSync(file('values_p4.pkl')));
  assert.throws(
    () => readPickle(good.subarray(0, 200), { file: 'cut.pkl' }),
    /cut\.pkl: byte \d+, opcode \w+: .*(truncated|ends)/,
  );
  // Protocol 0's INT opcode, a text form this reader does not take.
  assert.throws(
    () => readPickle(new TextEncoder().encode('I42\n.'), { file: 'p0.pkl' }),
    /p0\.pkl: byte 0, opcode INT: this opcode is not supported/,
  );
  assert.throws(
    () => readPickle(new Uint8Array([0x80, 2, 0xff]), { file: 'junk' }),
    /junk: byte 2, opcode 0xff: not a pickle opcode/,
  );
  const be = readPickleFile(file('big_endian.pkl'));
  assert.equal(asNdArray(be, 'be').dtype, '>i4');
  assert.throws(() => ndNumbers(be, 'be'), /be: dtype >i4 is not a little-endian number type/);
  assert.throws(() => readPickleFile(file('none.pkl')), /none\.pkl: cannot open \(ENOENT\)/);
});

/** Check every example of every class of `ds` against the formula (images of `side` pixels). */
function checkPixels(ds: ClassDataset, s: number, side: number, names: string[]) {
  assert.deepEqual(
    Array.from({ length: ds.numClasses }, (_, c) => ds.className(c)),
    names,
  );
  assert.deepEqual(ds.exampleShape, [side, side, 3]);
  for (let c = 0; c < ds.numClasses; c++) {
    assert.equal(ds.examplesOf(c), 3);
    for (let k = 0; k < 3; k++) {
      const px = readExample(ds, c, k);
      for (const [y, x, ch] of [
        [0, 0, 0],
        [side - 1, 2, 1],
        [3, side - 1, 2],
      ])
        assert.equal(
          px[(y * side + x) * 3 + ch],
          Math.fround(pixel(s, c, k, y, x, ch) / 255),
          `class ${c} image ${k}`,
        );
    }
  }
}

test('loadMiniImageNet reads the pickle layout (protocols 4, 2 and 5)', () => {
  const s = loadMiniImageNet({ root: dir, size: 12, checkCounts: false });
  checkPixels(s.train, 0, 12, ['n00000000', 'n00000001', 'n00000002']);
  checkPixels(s.val, 1, 12, ['n00000100', 'n00000101']);
  checkPixels(s.test, 2, 12, ['n00000200', 'n00000201']);
  // Resized and gray: a converted copy, 6x6x1.
  const g = loadMiniImageNet({ root: dir, size: 6, color: 'gray', checkCounts: false });
  assert.deepEqual(g.train.exampleShape, [6, 6, 1]);
  assert.throws(
    () => loadMiniImageNet({ root: dir, size: 12 }),
    /mini-imagenet: the splits have 3 \/ 2 \/ 2 classes, but the published split has 64 \/ 16 \/ 20/,
  );
});

test('loadTieredImageNet reads the pickle release (PNG list, Python 2 labels) and decodes on read', () => {
  const s = loadTieredImageNet({ root: dir, size: 10, checkCounts: false });
  checkPixels(s.train, 0, 10, ['train class 0', 'train class 1', 'train class 2']);
  checkPixels(s.val, 1, 10, ['val class 0', 'val class 1']);
  checkPixels(s.test, 2, 10, ['test class 0', 'test class 1']);
});

test('getTaskSets accepts the pickle layouts', async () => {
  const before = tf.memory().numTensors;
  for (const name of ['mini-imagenet', 'tiered-imagenet']) {
    const ts = await getTaskSets(name, {
      root: dir,
      ways: 2,
      shots: 1,
      queries: 2,
      checkCounts: false,
      image: { size: 8 },
    });
    const ep = ts.train.sample(new Rng(3));
    assert.deepEqual(ep.support.x.shape, [2, 8, 8, 3], name);
    assert.deepEqual(ep.query.x.shape, [4, 8, 8, 3], name);
    tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('CIFAR-FS and FC100 from the python version of CIFAR-100 (Python 2 pickles in cifar-100-python.tar.gz)', (t) => {
  // The archive alone in a folder: the reader must not find a binary version first.
  const root = mkdtempSync(join(tmpdir(), 'metalearn-cifarpy-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  copyFileSync(file('cifar-100-python.tar.gz'), join(root, 'cifar-100-python.tar.gz'));
  const fs = loadCifarFs({ root });
  assert.deepEqual([fs.train.numClasses, fs.val.numClasses, fs.test.numClasses], [64, 16, 20]);
  assert.deepEqual(
    Array.from({ length: fs.test.numClasses }, (_, c) => fs.test.className(c)),
    [...CIFAR_FS_CLASSES.test],
  );
  assert.equal(fs.test.examplesOf(0), 2, 'train and test images pooled');
  // Pixel (y=0, x=5) of image 1 of 'baby' (fine id 2): R = 2, G = 1 (the test batch), B = 5 * 8.
  const x = readExample(fs.test, 0, 1);
  assert.deepEqual(
    Array.from(x.subarray(15, 18)),
    [2, 1, 40].map((v) => Math.fround(v / 255)),
  );
  const fc = loadFc100({ root });
  assert.deepEqual([fc.train.numClasses, fc.val.numClasses, fc.test.numClasses], [60, 20, 20]);
});
