import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageFolder } from '../src/data/imagefolder.js';
import { readExample } from '../src/data/types.js';
import { encodePng, grayPng } from './fixtures/png_writer.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-folder-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('image folder: one class per folder of PNGs, any PNG type, resized to 28x28 gray', (t) => {
  const root = tmp(t);
  mkdirSync(join(root, 'cat'));
  mkdirSync(join(root, 'dog', 'small'), { recursive: true });
  writeFileSync(join(root, 'cat', 'b.png'), grayPng(56, 56, new Array(56 * 56).fill(0.5)));
  writeFileSync(join(root, 'cat', 'a.png'), grayPng(10, 20, new Array(200).fill(1)));
  // RGBA, fully transparent: composited over white.
  writeFileSync(
    join(root, 'dog', 'small', 'x.png'),
    encodePng({ width: 4, height: 4, colorType: 6, bitDepth: 8, samples: new Array(64).fill(0) }),
  );
  writeFileSync(join(root, 'dog', 'notes.txt'), 'ignored');
  const ds = loadImageFolder(root);
  assert.equal(ds.numClasses, 2);
  assert.deepEqual([ds.className(0), ds.className(1)], ['cat', 'dog/small']);
  assert.deepEqual([ds.examplesOf(0), ds.examplesOf(1)], [2, 1]);
  assert.deepEqual(ds.exampleShape, [28, 28, 1]);
  assert.ok(
    readExample(ds, 0, 0).every((v) => Math.abs(v - 1) < 1e-6),
    'a.png comes first (sorted)',
  );
  assert.ok(readExample(ds, 0, 1).every((v) => Math.abs(v - 128 / 255) < 1e-6));
  assert.ok(readExample(ds, 1, 0).every((v) => Math.abs(v - 1) < 1e-6));
  const inv = loadImageFolder(root, { invert: true, size: [8, 6] });
  assert.deepEqual(inv.exampleShape, [8, 6, 1]);
  assert.ok(readExample(inv, 0, 0).every((v) => Math.abs(v) < 1e-6));
  assert.ok(ds.fileOf(0, 1).endsWith(join('cat', 'b.png')));
});

test('image folder: empty, missing, non-PNG and corrupt inputs give clear errors', (t) => {
  const root = tmp(t);
  assert.throws(() => loadImageFolder(root), /no PNG or JPEG images found; expected <class>\/<image>\.png/);
  assert.throws(() => loadImageFolder(join(root, 'nope')), /nope: image folder does not exist/);
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'a', 'photo.jpg'), 'jpeg');
  assert.throws(() => loadImageFolder(root), /photo\.jpg: not a JPEG file/);
  rmSync(join(root, 'a', 'photo.jpg'));
  writeFileSync(join(root, 'a', 'photo.bmp'), 'bmp');
  assert.throws(() => loadImageFolder(root), /photo\.bmp: only PNG and JPEG images are supported/);
  rmSync(join(root, 'a', 'photo.bmp'));
  writeFileSync(join(root, 'a', 'broken.png'), 'not really a png');
  assert.throws(
    () => loadImageFolder(root),
    (e: Error) => e.message.includes(join(root, 'a', 'broken.png')) && /not a PNG file/.test(e.message),
  );
  rmSync(join(root, 'a', 'broken.png'));
  writeFileSync(join(root, 'loose.png'), grayPng(2, 2, [0, 0, 0, 0]));
  assert.throws(() => loadImageFolder(root), /image files lie directly in the root/);
});
