// Issue 16, case 12 (the data readers' part): a PNG whose header claims a huge size is refused before
// anything is allocated, naming the file; a failed download names the URL and the cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '../src/data/png_decode.js';
import { loadImageFolder } from '../src/data/imagefolder.js';
import { crc32 } from '../src/data/crc32.js';
import { fetchOmniglot, OMNIGLOT_URLS } from '../src/data/download.js';
import { grayPng } from './fixtures/png_writer.js';

/** A valid small PNG with its IHDR width and height replaced (and the chunk's CRC fixed). */
function claimSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(png);
  const v = new DataView(out.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  v.setUint32(29, crc32(out, 12, 29));
  return out;
}

test('png: a header claiming 100000x100000 pixels is refused with the file and the limit', () => {
  const png = claimSize(grayPng(4, 4, new Array(16).fill(0.5)), 100000, 100000);
  assert.throws(
    () => decodePng(png, 'huge.png'),
    (e: Error) =>
      e.message ===
      'huge.png: PNG header claims 100000x100000 pixels, more than the limit of 67108864 (8192x8192); a damaged file, or raise the limit (maxPixels)',
  );
  // The limit is an option; the real size of the image is unchanged below it.
  const small = grayPng(8, 8, new Array(64).fill(0));
  assert.throws(
    () => decodePng(small, 's.png', { maxPixels: 63 }),
    /s\.png: PNG header claims 8x8 pixels, more than the limit of 63/,
  );
  assert.equal(decodePng(small, 's.png', { maxPixels: 64 }).width, 8);
});

test('png: a header claiming more pixels than the image data holds is refused before allocating', () => {
  const png = claimSize(grayPng(4, 4, new Array(16).fill(0.5)), 8000, 8000);
  assert.throws(
    () => decodePng(png, 'lying.png'),
    /lying\.png: corrupt PNG \(image data is shorter than the image\)/,
  );
});

test('png: image data that inflates to more than its header says is refused (a small file, a big inflate)', () => {
  // 400x400 pixels of data under a 4x4 header: 160,400 bytes where 20 are expected.
  const png = claimSize(grayPng(400, 400, new Array(160000).fill(0)), 4, 4);
  assert.throws(
    () => decodePng(png, 'bomb.png'),
    /bomb\.png: corrupt PNG \(image data is longer than the 4x4 image of its header\)/,
  );
});

test('image folder: a huge PNG is named by its path', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'metalearn-huge-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'a', 'big.png'), claimSize(grayPng(4, 4, new Array(16).fill(0)), 100000, 100000));
  assert.throws(
    () => loadImageFolder(root),
    (e: Error) => e.message.startsWith(`${join(root, 'a', 'big.png')}: PNG header claims`),
  );
});

test('fetch: a failed connection names the URL and the cause, and says what to do offline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-offline-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // What Node's fetch throws without a network: TypeError('fetch failed') with the system error as cause.
  const offline = (async () => {
    const cause = Object.assign(new Error('getaddrinfo ENOTFOUND github.com'), { code: 'ENOTFOUND' });
    throw new TypeError('fetch failed', { cause });
  }) as typeof fetch;
  await assert.rejects(fetchOmniglot(dir, { fetch: offline }), (e: Error) => {
    assert.equal(
      e.message,
      `${OMNIGLOT_URLS.background}: download failed: fetch failed (ENOTFOUND: getaddrinfo ENOTFOUND github.com); ` +
        `without a network, put images_background.zip and images_evaluation.zip into ${join(dir, 'omniglot')} by hand`,
    );
    return true;
  });
});
