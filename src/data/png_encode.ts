import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32.js';

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length) >>> 0, 8 + data.length);
  return out;
}

/** An 8-bit grayscale PNG of values in [0, 1] (row-major, height x width): for exporting drawings. */
export function encodeGrayPng(width: number, height: number, values: ArrayLike<number>): Buffer {
  if (values.length !== width * height) {
    throw new Error(
      `encodeGrayPng: expected ${width * height} values for ${width}x${height}, got ${values.length}`,
    );
  }
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw[y * (width + 1) + 1 + x] = Math.round(255 * Math.min(1, Math.max(0, values[y * width + x])));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
