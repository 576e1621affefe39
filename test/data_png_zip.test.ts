import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/rng.js';
import { ZipArchive } from '../src/data/zip.js';
import { decodePng, pngToGray } from '../src/data/png_decode.js';
import { resizeGray, rotateSquare } from '../src/data/image.js';
import { omniglotZipPath } from '../src/data/omniglot.js';
import { encodePng, type PngSpec } from './fixtures/png_writer.js';
import { writeZip } from './fixtures/zip_writer.js';
import { crc32 } from '../src/data/crc32.js';

test('zip: stored and deflated entries round-trip, looked up by name', () => {
  const a = new TextEncoder().encode('hello '.repeat(100));
  const b = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
  const zip = ZipArchive.fromBuffer(
    writeZip([
      { name: 'dir/a.txt', data: a, method: 8 },
      { name: 'dir/b.bin', data: b, method: 0 },
    ]),
    'mem.zip',
  );
  assert.deepEqual(
    zip.entries.map((e) => e.name),
    ['dir/a.txt', 'dir/b.bin'],
  );
  assert.deepEqual(new Uint8Array(zip.read('dir/a.txt')), a);
  assert.deepEqual(new Uint8Array(zip.read(zip.entry('dir/b.bin')!)), b);
  assert.throws(() => zip.read('missing'), /mem\.zip: no entry named 'missing'/);
});

test('zip: corruption and non-zip input are reported with the file and entry', () => {
  const data = Uint8Array.from({ length: 200 }, (_, i) => i);
  const buf = writeZip([{ name: 'x/y.png', data }]);
  buf[30 + 'x/y.png'.length + 5] ^= 0xff; // flip a byte inside the stored data
  assert.throws(
    () => ZipArchive.fromBuffer(buf, 'bad.zip').read('x/y.png'),
    /bad\.zip: entry 'x\/y\.png': corrupt zip \(CRC-32/,
  );
  assert.throws(() => ZipArchive.fromBuffer(new Uint8Array(100), 'zeros.zip'), /zeros\.zip: not a zip file/);
  assert.throws(
    () => ZipArchive.open('/nonexistent/file.zip'),
    /\/nonexistent\/file\.zip: cannot read zip file/,
  );
  const good = writeZip([{ name: 'a', data }]);
  assert.throws(
    () => ZipArchive.fromBuffer(good.subarray(0, good.length - 30), 'cut.zip'),
    /cut\.zip: not a zip file/,
  );
});

function randomSamples(rng: Rng, n: number, max: number): number[] {
  return Array.from({ length: n }, () => rng.int(max + 1));
}

test('png: every colour type, bit depth, filter and Adam7 decodes to the encoded samples', () => {
  const rng = new Rng(1);
  const cases: [PngSpec['colorType'], PngSpec['bitDepth']][] = [
    [0, 1],
    [0, 2],
    [0, 4],
    [0, 8],
    [0, 16],
    [2, 8],
    [2, 16],
    [4, 8],
    [4, 16],
    [6, 8],
    [6, 16],
  ];
  const sizes = [
    [1, 1],
    [3, 2],
    [13, 7],
    [9, 17],
  ];
  let checked = 0;
  for (const [colorType, bitDepth] of cases) {
    for (const [w, h] of sizes) {
      for (const interlace of [false, true]) {
        const spp = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 4 | 6];
        const max = (1 << bitDepth) - 1;
        const samples = randomSamples(rng, w * h * spp, max);
        const img = decodePng(
          encodePng({ width: w, height: h, colorType, bitDepth, samples, interlace }),
          't.png',
        );
        assert.equal(img.width, w);
        assert.equal(img.height, h);
        assert.equal(img.channels, spp);
        // Gray below 8 bits is scaled to 0..255.
        const scale = colorType === 0 && bitDepth < 8 ? 255 / max : 1;
        const want = samples.map((v) => v * scale);
        assert.deepEqual(
          Array.from(img.data),
          want,
          `colour ${colorType} depth ${bitDepth} ${w}x${h} interlace ${interlace}`,
        );
        checked++;
      }
    }
  }
  assert.equal(checked, 88);
});

test('png: palette images expand to RGB, or RGBA with tRNS', () => {
  const rng = new Rng(2);
  for (const depth of [1, 2, 4, 8] as const) {
    const n = 1 << depth;
    const palette = Uint8Array.from(randomSamples(rng, n * 3, 255));
    const idx = randomSamples(rng, 11 * 5, n - 1);
    const rgb = decodePng(
      encodePng({ width: 11, height: 5, colorType: 3, bitDepth: depth, samples: idx, palette }),
    );
    assert.equal(rgb.channels, 3);
    assert.deepEqual(
      Array.from(rgb.data),
      idx.flatMap((k) => [palette[3 * k], palette[3 * k + 1], palette[3 * k + 2]]),
    );
    const trns = Uint8Array.from([0, 128]);
    const rgba = decodePng(
      encodePng({
        width: 11,
        height: 5,
        colorType: 3,
        bitDepth: depth,
        samples: idx,
        palette,
        trns,
        interlace: true,
      }),
    );
    assert.equal(rgba.channels, 4);
    assert.deepEqual(
      Array.from(rgba.data).filter((_, i) => i % 4 === 3),
      idx.map((k) => (k < 2 ? trns[k] : 255)),
    );
  }
});

test('png: gray conversion uses luma and composites alpha over white', () => {
  // Pixels: opaque red, transparent black, half-transparent black.
  const img = decodePng(
    encodePng({
      width: 3,
      height: 1,
      colorType: 6,
      bitDepth: 8,
      samples: [255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128],
    }),
  );
  const g = pngToGray(img);
  assert.ok(Math.abs(g[0] - 0.299) < 1e-6);
  assert.equal(g[1], 1);
  assert.ok(Math.abs(g[2] - (1 - 128 / 255)) < 1e-6);
});

test('png: bad input fails naming the file and what is wrong', () => {
  const good = encodePng({
    width: 4,
    height: 4,
    colorType: 0,
    bitDepth: 8,
    samples: new Array(16).fill(7),
    filter: 0,
  });
  assert.throws(
    () => decodePng(Buffer.from('GIF89a....'), 'cat.png'),
    /cat\.png: not a PNG file \(bad signature\)/,
  );
  const crc = Buffer.from(good);
  crc[20] ^= 1; // inside IHDR
  assert.throws(() => decodePng(crc, 'c.png'), /c\.png: corrupt PNG \(chunk IHDR CRC mismatch\)/);
  assert.throws(() => decodePng(good.subarray(0, 40), 'short.png'), /short\.png: corrupt PNG/);
  const badFilter = encodePng({
    width: 4,
    height: 4,
    colorType: 0,
    bitDepth: 8,
    samples: new Array(16).fill(7),
    filter: 7,
  });
  assert.throws(
    () => decodePng(badFilter, 'f.png'),
    /f\.png: corrupt PNG \(unknown filter type 7 on scanline 0\)/,
  );
  const badZlib = Buffer.from(good);
  const idat = badZlib.indexOf(Buffer.from('IDAT')) + 4;
  badZlib[idat] ^= 0xff; // zlib header byte; the chunk CRC is fixed up below so the zlib error is what shows
  badZlib.writeUInt32BE(
    crc32(badZlib, idat - 4, idat + badZlib.readUInt32BE(idat - 8)),
    idat + badZlib.readUInt32BE(idat - 8),
  );
  assert.throws(() => decodePng(badZlib, 'z.png'), /z\.png: corrupt PNG image data/);
  assert.throws(
    () =>
      decodePng(
        encodePng({
          width: 2,
          height: 2,
          colorType: 0,
          bitDepth: 8,
          samples: [1, 2, 3, 4],
          filter: 0,
        }).subarray(0, 8),
        'e.png',
      ),
    /e\.png: corrupt PNG \(no IHDR chunk\)/,
  );
});

test('png: a real Omniglot drawing is 105x105 1-bit with a white background', () => {
  const path = omniglotZipPath('background');
  const zip = ZipArchive.open(path);
  const e = zip.entries.find((x) => x.name.endsWith('.png'))!;
  const img = decodePng(zip.read(e), `${path}: entry '${e.name}'`);
  assert.equal(img.width, 105);
  assert.equal(img.height, 105);
  assert.equal(img.channels, 1);
  const ink = Array.from(img.data).filter((v) => v === 0).length;
  assert.ok(Array.from(img.data).every((v) => v === 0 || v === 255));
  assert.ok(ink > 50 && ink < 0.3 * 105 * 105, `ink pixels: ${ink}`);
});

test('resize: area averages blocks exactly and preserves the mean; bilinear keeps constants', () => {
  const src = Float32Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5]);
  assert.deepEqual(Array.from(resizeGray(src, 4, 4, 2, 2, 'area')), [1, 0, 0, 0.5]);
  const rng = new Rng(3);
  const big = rng.uniformArray(105 * 105);
  const small = resizeGray(big, 105, 105, 28, 28, 'area');
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(big) - mean(small)) < 1e-4);
  const c = resizeGray(new Float32Array(35 * 20).fill(0.25), 35, 20, 9, 13, 'bilinear');
  assert.ok(c.every((v) => Math.abs(v - 0.25) < 1e-6));
});

test('rotateSquare turns counter-clockwise (as PIL Image.rotate)', () => {
  // 1 2 3 / 4 5 6 / 7 8 9  ->  90 CCW: 3 6 9 / 2 5 8 / 1 4 7
  const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const out = new Float32Array(9);
  rotateSquare(src, 3, 1, 90, out);
  assert.deepEqual(Array.from(out), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  rotateSquare(src, 3, 1, 180, out);
  assert.deepEqual(Array.from(out), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  rotateSquare(src, 3, 1, 270, out);
  assert.deepEqual(Array.from(out), [7, 4, 1, 8, 5, 2, 9, 6, 3]);
});
