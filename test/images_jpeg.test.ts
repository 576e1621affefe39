// JPEG and colour image folders: decoded pixels, gray conversion, resizing, normalisation, cache, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageFolder } from '../src/data/imagefolder.js';
import { decodeJpeg, MAX_JPEG_PIXELS } from '../src/data/jpeg_decode.js';
import { readExample } from '../src/data/types.js';
import { resizeChannels } from '../src/data/image.js';
import { encodePng } from './fixtures/png_writer.js';
import { solidJpeg, twoColourJpeg } from './fixtures/image_fixtures.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-jpeg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) <= tol);

test('jpeg: decoded pixels match the encoded colours; size limit and corrupt files name the file', () => {
  // Left half red, right half blue, 16x8: JPEG is lossy, so within a few levels away from the edge.
  const buf = twoColourJpeg(16, 8, [255, 0, 0], [0, 0, 255]);
  const img = decodeJpeg(buf, 'two.jpg');
  assert.deepEqual([img.width, img.height, img.channels], [16, 8, 3]);
  const px = (x: number, y: number) => Array.from(img.data.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3));
  assert.ok(near(px(1, 4), [255, 0, 0], 6), `red: ${px(1, 4)}`);
  assert.ok(near(px(14, 4), [0, 0, 255], 6), `blue: ${px(14, 4)}`);
  assert.throws(
    () => decodeJpeg(buf, 'big.jpg', { maxPixels: 100 }),
    /big\.jpg: JPEG of 16x8 pixels is over the limit of 100/,
  );
  assert.equal(MAX_JPEG_PIXELS, 8192 * 8192);
  assert.throws(() => decodeJpeg(buf.subarray(0, 40), 'cut.jpg'), /cut\.jpg: corrupt JPEG/);
  assert.throws(() => decodeJpeg(Buffer.from('hello'), 'text.jpg'), /text\.jpg: not a JPEG file/);
});

test('image folder: JPEG and PNG together, colour kept as [h, w, 3] or converted to gray, resized, normalised', (t) => {
  const root = tmp(t);
  mkdirSync(join(root, 'green'));
  mkdirSync(join(root, 'mixed'));
  writeFileSync(join(root, 'green', 'a.jpg'), solidJpeg(20, 20, [0, 255, 0]));
  writeFileSync(join(root, 'green', 'b.JPEG'), solidJpeg(12, 30, [0, 200, 0]));
  // An RGB PNG: exact colours, checked exactly.
  const samples: number[] = [];
  for (let i = 0; i < 16; i++) samples.push(255, 128, 0);
  writeFileSync(
    join(root, 'mixed', 'orange.png'),
    encodePng({ width: 4, height: 4, colorType: 2, bitDepth: 8, samples }),
  );
  const rgb = loadImageFolder(root, { color: 'rgb', size: 10 });
  assert.deepEqual(rgb.exampleShape, [10, 10, 3]);
  assert.deepEqual(
    [rgb.className(0), rgb.examplesOf(0), rgb.className(1), rgb.examplesOf(1)],
    ['green', 2, 'mixed', 1],
  );
  const g0 = readExample(rgb, 0, 0);
  for (let p = 0; p < 100; p++)
    assert.ok(near(g0.subarray(3 * p, 3 * p + 3), [0, 1, 0], 6 / 255), `pixel ${p}`);
  const orange = readExample(rgb, 1, 0);
  for (let p = 0; p < 100; p++) assert.ok(near(orange.subarray(3 * p, 3 * p + 3), [1, 128 / 255, 0], 1e-6));
  const gray = loadImageFolder(root, { color: 'gray', size: [6, 4] });
  assert.deepEqual(gray.exampleShape, [6, 4, 1]);
  assert.ok(near(readExample(gray, 1, 0), new Array(24).fill((0.299 * 255 + 0.587 * 128) / 255), 1 / 255));
  const norm = loadImageFolder(root, {
    color: 'rgb',
    size: 2,
    normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1] },
  });
  const o = readExample(norm, 1, 0);
  assert.ok(
    near(o.subarray(0, 3), [1, (128 / 255 - 0.5) / 0.25, -0.5], 1e-5),
    `normalised: ${o.subarray(0, 3)}`,
  );
  assert.throws(
    () => loadImageFolder(root, { color: 'rgb', normalize: { mean: [0.5], std: [0.5] } }),
    /option normalize needs 3 finite means and 3 positive stds/,
  );
});

test('image folder: resizing a colour image is channel by channel (area and bilinear)', () => {
  // 2x2 -> 1x1 by area averages each channel.
  const src = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
  assert.ok(near(resizeChannels(src, 2, 2, 3, 1, 1, 'area'), [0.5, 0.5, 0.5], 1e-6));
  // 1x2 -> 1x4 bilinear, half-pixel centres: [a, .75a+.25b, .25a+.75b, b] per channel.
  const row = Float32Array.from([0, 1, 0, 1, 0, 1]);
  const up = resizeChannels(row, 1, 2, 3, 1, 4, 'bilinear');
  assert.ok(near(up, [0, 1, 0, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 1, 0, 1], 1e-6), `${up}`);
});

test('image folder: decoded once into the binary cache, rebuilt when a file changes; unreadable file named', (t) => {
  const root = tmp(t);
  const cacheDir = join(root, '.cache');
  mkdirSync(join(root, 'a'));
  mkdirSync(join(root, 'b'));
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(root, 'a', `${i}.jpg`), solidJpeg(8, 8, [200, 10 * i, 0]));
    writeFileSync(join(root, 'b', `${i}.jpg`), solidJpeg(8, 8, [0, 10 * i, 200]));
  }
  const opts = { color: 'rgb' as const, size: 4, cache: true, cacheDir };
  const first = loadImageFolder(root, opts);
  assert.equal(first.fromCache, false);
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.u8')).length, 1);
  const second = loadImageFolder(root, opts);
  assert.equal(second.fromCache, true);
  assert.deepEqual(readExample(second, 1, 2), readExample(first, 1, 2));
  // 'auto' (the default) does not cache six images.
  assert.equal(loadImageFolder(root, { ...opts, cache: 'auto' }).fromCache, false);
  writeFileSync(join(root, 'b', '2.jpg'), solidJpeg(8, 8, [255, 255, 255]));
  utimesSync(join(root, 'b', '2.jpg'), new Date(), new Date(Date.now() + 5000));
  const third = loadImageFolder(root, opts);
  assert.equal(third.fromCache, false, 'a changed file rebuilds the cache');
  assert.ok(near(readExample(third, 1, 2), new Array(48).fill(1), 2 / 255));
  writeFileSync(join(root, 'b', '1.jpg'), solidJpeg(8, 8, [1, 2, 3]).subarray(0, 30));
  assert.throws(
    () => loadImageFolder(root, { color: 'rgb' }),
    (e: Error) => e.message.startsWith(join(root, 'b', '1.jpg')) && /corrupt JPEG/.test(e.message),
  );
});
