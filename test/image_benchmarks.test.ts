// The few-shot benchmark readers on small generated fixtures in each format: mini-ImageNet split CSVs,
// tiered-ImageNet folders, CUB-200-2011 with the Chen et al. split, CIFAR-FS and FC100 from the binary
// CIFAR-100 archive; and getTaskSets for every name.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import {
  CIFAR_FS_CLASSES,
  FC100_SUPERCLASSES,
  cubChenSplit,
  loadCifarFs,
  loadCub,
  loadFc100,
  loadMiniImageNet,
  loadTieredImageNet,
} from '../src/data/fewshot_benchmarks.js';
import { writeTar } from '../src/data/tar.js';
import { readExample, type ClassDataset } from '../src/data/types.js';
import { assertDisjoint } from '../src/data/views.js';
import { getTaskSets, TASKSET_NAMES } from '../src/tasks/tasksets.js';
import { classColour, solidJpeg, writeJpegFolder } from './fixtures/image_fixtures.js';
import { miniOmniglot, writeMiniOmniglot } from './fixtures/omniglot_fixture.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-bench-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const names = (ds: ClassDataset) => Array.from({ length: ds.numClasses }, (_, c) => ds.className(c));
const near = (a: ArrayLike<number>, b: readonly number[], tol: number) =>
  Array.from(a).every((v, i) => Math.abs(v - b[i % b.length]) <= tol);

/** A mini-ImageNet layout: split CSVs over images/, `per` 6x6 JPEGs per class, published class counts. */
function writeMiniImageNet(root: string, per = 2): void {
  mkdirSync(join(root, 'images'), { recursive: true });
  let c = 0;
  for (const [split, n] of [
    ['train', 64],
    ['val', 16],
    ['test', 20],
  ] as const) {
    const lines = ['filename,label'];
    for (let k = 0; k < n; k++, c++) {
      const wnid = `n${String(1000 + c).padStart(8, '0')}`;
      for (let i = 0; i < per; i++) {
        const file = `${wnid}${String(i + 1).padStart(8, '0')}.jpg`;
        writeFileSync(join(root, 'images', file), solidJpeg(6, 6, classColour(c, i)));
        lines.push(`${file},${wnid}`);
      }
    }
    writeFileSync(join(root, `${split}.csv`), lines.join('\n') + '\n');
  }
}

test('mini-ImageNet: Ravi & Larochelle CSVs over images/, 64/16/20 classes, colour pixels, clear errors', (t) => {
  const root = tmp(t);
  writeMiniImageNet(root);
  const s = loadMiniImageNet({ root, size: 4 });
  assert.deepEqual([s.train.numClasses, s.val.numClasses, s.test.numClasses], [64, 16, 20]);
  assert.deepEqual(s.train.exampleShape, [4, 4, 3]);
  assertDisjoint({ train: s.train, val: s.val, test: s.test });
  // Class 0 of val is overall class 64; its image 1 has colour classColour(64, 1).
  assert.equal(s.val.className(0), 'n00001064');
  assert.ok(
    near(
      readExample(s.val, 0, 1),
      classColour(64, 1).map((v) => v / 255),
      6 / 255,
    ),
  );
  // Published counts are checked; a subset passes with checkCounts: false.
  writeFileSync(join(root, 'test.csv'), 'filename,label\nn0000108400000001.jpg,n00001084\n');
  assert.throws(
    () => loadMiniImageNet({ root, size: 4 }),
    /64 \/ 16 \/ 1 classes, but the published split has 64 \/ 16 \/ 20/,
  );
  assert.equal(loadMiniImageNet({ root, size: 4, checkCounts: false }).test.numClasses, 1);
  writeFileSync(join(root, 'test.csv'), 'filename,label\nnope.jpg,n00001084\n');
  assert.throws(
    () => loadMiniImageNet({ root }),
    /images\/nope\.jpg: missing \(listed in .*test\.csv line 2\)/,
  );
  rmSync(join(root, 'test.csv'));
  assert.throws(
    () => loadMiniImageNet({ root }),
    /mini-imagenet: .*test\.csv not found; put train\.csv, val\.csv, test\.csv .* into /,
  );
});

// One fixture folder for the large layouts (tiered-ImageNet's 608 classes, CUB's 200), read by two tests.
let shared = '';
const CUB_NAMES = Array.from({ length: 200 }, (_, i) => `${String(i + 1).padStart(3, '0')}.Bird_${i + 1}`);
before(() => {
  shared = mkdtempSync(join(tmpdir(), 'metalearn-bench-'));
  const tiered = join(shared, 'tiered-imagenet');
  for (const [s, n] of [
    ['train', 351],
    ['val', 97],
    ['test', 160],
  ] as const)
    writeJpegFolder(
      join(tiered, s),
      Array.from({ length: n }, (_, i) => `${s}${String(i).padStart(3, '0')}`),
      2,
      4,
    );
  writeJpegFolder(join(shared, 'CUB_200_2011', 'images'), CUB_NAMES, 2, 4);
});
after(() => rmSync(shared, { recursive: true, force: true }));

test('tiered-ImageNet folders (351/97/160) and CUB-200-2011 with the Chen et al. split (100/50/50)', (t) => {
  const root = shared;
  const cacheDir = join(tmp(t), 'cache');
  const ti = loadTieredImageNet({ dataDir: root, size: 4, cacheDir });
  assert.deepEqual([ti.train.numClasses, ti.val.numClasses, ti.test.numClasses], [351, 97, 160]);
  assert.ok(
    near(
      readExample(ti.val, 3, 0),
      classColour(3, 0).map((v) => v / 255),
      6 / 255,
    ),
  );
  const cub = loadCub({ dataDir: root, size: 4 });
  assert.deepEqual([cub.train.numClasses, cub.val.numClasses, cub.test.numClasses], [100, 50, 50]);
  assertDisjoint({ train: cub.train, val: cub.val, test: cub.test });
  // Chen et al.: sorted index i; even -> base, i % 4 == 1 -> val, i % 4 == 3 -> novel.
  assert.deepEqual(names(cub.train).slice(0, 3), ['001.Bird_1', '003.Bird_3', '005.Bird_5']);
  assert.deepEqual(names(cub.val).slice(0, 2), ['002.Bird_2', '006.Bird_6']);
  assert.deepEqual(names(cub.test).slice(0, 2), ['004.Bird_4', '008.Bird_8']);
  assert.deepEqual([cubChenSplit(0), cubChenSplit(1), cubChenSplit(3)], ['train', 'val', 'test']);
  assert.ok(
    near(
      readExample(cub.test, 0, 0),
      classColour(3, 0).map((v) => v / 255),
      6 / 255,
    ),
  );
  const extra = join(root, 'CUB_200_2011', 'images', '201.Extra');
  mkdirSync(extra);
  t.after(() => rmSync(extra, { recursive: true, force: true }));
  assert.throws(() => loadCub({ dataDir: root }), /holds 201 class folders; CUB-200-2011 has 200/);
});

/** 100 fine names, `cifar-fs` classes first in some order, and a CIFAR-100 binary archive with `per` images per class. */
function writeCifar(root: string, per = 2): { fine: string[] } {
  const fine = [...CIFAR_FS_CLASSES.test, ...CIFAR_FS_CLASSES.val, ...CIFAR_FS_CLASSES.train].sort();
  assert.equal(fine.length, 100);
  const rec = (fineId: number, i: number) => {
    const r = new Uint8Array(3074);
    r[0] = fineId % 20; // coarse label: a fixed, made-up superclass per class
    r[1] = fineId;
    // R plane = fine id, G plane = i, B plane: a horizontal ramp (checks the CHW -> HWC order).
    r.fill(fineId, 2, 2 + 1024);
    r.fill(i, 2 + 1024, 2 + 2048);
    for (let p = 0; p < 1024; p++) r[2 + 2048 + p] = (p % 32) * 8;
    return r;
  };
  const records = (from: number, n: number) => {
    const out = new Uint8Array(100 * n * 3074);
    let o = 0;
    for (let i = from; i < from + n; i++) for (let c = 0; c < 100; c++, o += 3074) out.set(rec(c, i), o);
    return out;
  };
  const enc = (s: string) => new TextEncoder().encode(s);
  const tar = writeTar({
    'cifar-100-binary/fine_label_names.txt': enc(fine.join('\n') + '\n'),
    'cifar-100-binary/coarse_label_names.txt': enc(Array.from({ length: 20 }, (_, i) => `s${i}`).join('\n')),
    'cifar-100-binary/train.bin': records(0, per - 1),
    'cifar-100-binary/test.bin': records(per - 1, 1),
  });
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'cifar-100-binary.tar.gz'), gzipSync(tar));
  return { fine };
}

test('CIFAR-FS (64/16/20 by name) and FC100 (60/20/20 by superclass) from the binary CIFAR-100 archive', (t) => {
  const root = join(tmp(t), 'cifar100');
  const { fine } = writeCifar(root);
  const fs = loadCifarFs({ root });
  assert.deepEqual([fs.train.numClasses, fs.val.numClasses, fs.test.numClasses], [64, 16, 20]);
  assert.deepEqual(names(fs.test), [...CIFAR_FS_CLASSES.test]);
  assert.deepEqual(fs.train.exampleShape, [32, 32, 3]);
  assert.equal(fs.train.examplesOf(0), 2, 'train and test records pooled');
  // Pixel (y=0, x=5) of image 1 of test class 'baby': R = its fine id, G = 1 (image index), B = 5 * 8.
  const x = readExample(fs.test, 0, 1);
  const id = fine.indexOf('baby');
  assert.ok(near(x.subarray(15, 18), [id / 255, 1 / 255, 40 / 255], 1e-6), `${x.subarray(15, 18)}`);
  const fc = loadFc100({ root, size: 16 });
  assert.deepEqual([fc.train.numClasses, fc.val.numClasses, fc.test.numClasses], [60, 20, 20]);
  assert.deepEqual(fc.test.exampleShape, [16, 16, 3]);
  assertDisjoint({ train: fc.train, val: fc.val, test: fc.test });
  // Every FC100 test class has a test superclass (coarse = fine id % 20 in the fixture).
  for (const n of names(fc.test))
    assert.ok((FC100_SUPERCLASSES.test as readonly number[]).includes(fine.indexOf(n) % 20), n);
  rmSync(join(root, 'cifar-100-binary.tar.gz'));
  assert.throws(
    () => loadCifarFs({ root }),
    /cifar-fs: .*cifar-100-binary\.tar\.gz \(or .*\) not found; put cifar-100-binary\.tar\.gz/,
  );
});

test('getTaskSets: every name gives train / validation / test task sources', async (t) => {
  const dir = tmp(t);
  const before = tf.memory().numTensors;
  writeMiniImageNet(join(dir, 'mini-imagenet'), 2);
  writeJpegFolder(
    join(dir, 'folder'),
    Array.from({ length: 10 }, (_, i) => `k${i}`),
    3,
    6,
  );
  writeCifar(join(dir, 'cifar100'));
  // A miniature Omniglot with its own Vinyals split files.
  const alphabets = ['A', 'B', 'C'];
  writeMiniOmniglot(dir, 'background', miniOmniglot('background', alphabets, 2, 2).entries);
  writeMiniOmniglot(dir, 'evaluation', miniOmniglot('evaluation', ['D'], 2, 2).entries);
  const splitDir = join(dir, 'omniglot', 'splits', 'vinyals');
  mkdirSync(splitDir, { recursive: true });
  const lines = (chars: string[]) =>
    chars.flatMap((c) => [0, 90, 180, 270].map((r) => `${c}/rot${String(r).padStart(3, '0')}`)).join('\n');
  writeFileSync(join(splitDir, 'train.txt'), lines(['A/character01', 'A/character02']));
  writeFileSync(join(splitDir, 'val.txt'), lines(['B/character01', 'B/character02']));
  writeFileSync(join(splitDir, 'test.txt'), lines(['C/character01', 'D/character01']));
  writeFileSync(
    join(splitDir, 'trainval.txt'),
    lines(['A/character01', 'A/character02', 'B/character01', 'B/character02']),
  );
  for (const name of TASKSET_NAMES) {
    const opts = {
      ways: 2,
      shots: 1,
      queries: 1,
      dataDir: name === 'tiered-imagenet' || name === 'cub' ? shared : dir,
      root: name === 'folder' ? join(dir, 'folder') : undefined,
      image: { size: name === 'omniglot' ? 28 : 8, cacheDir: join(dir, 'cache') },
    };
    const ts = await getTaskSets(name, opts);
    for (const src of [ts.train, ts.validation, ts.test]) {
      const ep = src.sample(new Rng(1));
      assert.equal(ep.support.x.shape[0], 2, `${name}: 2-way 1-shot`);
      assert.equal(ep.query.x.shape[0], 2);
      tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);
    }
    assertDisjoint({ train: ts.splits.train, val: ts.splits.val, test: ts.splits.test });
  }
  await assert.rejects(
    getTaskSets('imagenet-1k'),
    /unknown dataset 'imagenet-1k'; known: synthetic, omniglot/,
  );
  assert.equal(tf.memory().numTensors, before);
});
