import { it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGrayPng } from '../src/data/png_encode.js';
import { decodePng, pngToGray } from '../src/data/png_decode.js';

it('encodeGrayPng round-trips through the PNG decoder to 8-bit precision', () => {
  const w = 7;
  const h = 5;
  const v = Array.from({ length: w * h }, (_, i) => ((i * 37) % 256) / 255);
  const img = decodePng(encodeGrayPng(w, h, v), 'roundtrip.png');
  assert.equal(img.width, w);
  assert.equal(img.height, h);
  const g = pngToGray(img);
  v.forEach((x, i) => assert.ok(Math.abs(g[i] - x) <= 0.5 / 255 + 1e-7, `${i}: ${g[i]} vs ${x}`));
  assert.throws(() => encodeGrayPng(3, 3, [0, 1]), /expected 9 values for 3x3, got 2/);
});
