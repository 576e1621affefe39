import { inflateSync } from 'node:zlib';
import { crc32 } from './crc32.js';

/** A decoded PNG: interleaved samples, row-major. Palette images are expanded to RGB or RGBA. */
export interface PngImage {
  readonly width: number;
  readonly height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  /** 255 for 8-bit (and lower bit depths, scaled up), 65535 for 16-bit samples. */
  readonly maxValue: 255 | 65535;
  readonly data: Uint8Array | Uint16Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
// Adam7 passes: x0, y0, dx, dy.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * The default pixel budget of decodePng: 8192x8192. A header claiming more is almost always a damaged
 * file, and decoding it would allocate gigabytes before the missing image data is noticed.
 */
export const MAX_PNG_PIXELS = 8192 * 8192;

export interface DecodePngOptions {
  /** Refuse images of more pixels than this (width x height); default MAX_PNG_PIXELS. */
  maxPixels?: number;
}

function fail(file: string, what: string): never {
  throw new Error(`${file}: ${what}`);
}

/**
 * Decode a PNG (all standard colour types and bit depths, Adam7 interlacing). `file` names the source in
 * errors; for an image inside a zip pass `archive.zip: entry 'path/in/zip.png'`.
 */
export function decodePng(buf: Uint8Array, file = '<buffer>', opts: DecodePngOptions = {}): PngImage {
  const maxPixels = opts.maxPixels ?? MAX_PNG_PIXELS;
  if (buf.length < 8 || SIGNATURE.some((v, i) => buf[i] !== v)) fail(file, 'not a PNG file (bad signature)');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  while (pos < buf.length) {
    if (pos + 12 > buf.length) fail(file, 'corrupt PNG (truncated chunk header)');
    const len = view.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]);
    const dataStart = pos + 8;
    const dataEnd = dataStart + len;
    if (dataEnd + 4 > buf.length) fail(file, `corrupt PNG (chunk ${type} truncated)`);
    if (crc32(buf, pos + 4, dataEnd) !== view.getUint32(dataEnd))
      fail(file, `corrupt PNG (chunk ${type} CRC mismatch)`);
    const data = buf.subarray(dataStart, dataEnd);
    if (colorType < 0 && type !== 'IHDR') fail(file, 'corrupt PNG (first chunk is not IHDR)');
    if (type === 'IHDR') {
      if (len !== 13) fail(file, 'corrupt PNG (IHDR length is not 13)');
      width = view.getUint32(dataStart);
      height = view.getUint32(dataStart + 4);
      depth = data[8];
      colorType = data[9];
      interlace = data[12];
      if (width === 0 || height === 0) fail(file, `invalid PNG size ${width}x${height}`);
      if (width * height > maxPixels) {
        const side = Math.sqrt(maxPixels);
        fail(
          file,
          `PNG header claims ${width}x${height} pixels, more than the limit of ${maxPixels}${Number.isInteger(side) ? ` (${side}x${side})` : ''}; a damaged file, or raise the limit (maxPixels)`,
        );
      }
      if (!(colorType in SAMPLES)) fail(file, `invalid PNG colour type ${colorType}`);
      if (!DEPTHS[colorType].includes(depth)) {
        fail(
          file,
          `invalid PNG bit depth ${depth} for colour type ${colorType} (allowed: ${DEPTHS[colorType]})`,
        );
      }
      if (data[10] !== 0 || data[11] !== 0) fail(file, 'unsupported PNG compression or filter method');
      if (interlace > 1) fail(file, `invalid PNG interlace method ${interlace}`);
    } else if (type === 'PLTE') {
      palette = data;
    } else if (type === 'tRNS') {
      trns = data;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    } else if ((buf[pos + 4] & 0x20) === 0) {
      // Upper-case first letter = critical chunk: the spec says a decoder must not guess.
      fail(file, `unsupported critical PNG chunk ${type}`);
    }
    pos = dataEnd + 4;
  }
  if (colorType < 0) fail(file, 'corrupt PNG (no IHDR chunk)');
  if (idat.length === 0) fail(file, 'corrupt PNG (no image data)');
  if (colorType === 3 && palette === null) fail(file, 'corrupt PNG (palette image without PLTE chunk)');

  const spp = SAMPLES[colorType];
  const bitsPerPixel = spp * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = interlace ? ADAM7 : [[0, 0, 1, 1]];
  // The filtered image data's size, from the header: inflating is bounded by it (a small file can
  // inflate to gigabytes), and a short stream is refused before the image is allocated.
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) expected += ph * (Math.ceil((pw * bitsPerPixel) / 8) + 1);
  }
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), {
      maxOutputLength: expected + 65536,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      fail(file, `corrupt PNG (image data is longer than the ${width}x${height} image of its header)`);
    fail(file, `corrupt PNG image data: ${(e as Error).message}`);
  }
  if (raw.length < expected) fail(file, 'corrupt PNG (image data is shorter than the image)');

  const samples: Uint8Array | Uint16Array =
    depth === 16 ? new Uint16Array(width * height * spp) : new Uint8Array(width * height * spp);
  // Low bit depths of gray are scaled to 0..255 (exact: 255, 85, 17); palette indices stay indices.
  const scale = colorType === 0 && depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  let p = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    if (p + ph * (rowBytes + 1) > raw.length)
      fail(file, 'corrupt PNG (image data is shorter than the image)');
    unfilter(raw, p, ph, rowBytes, bpp, file);
    for (let r = 0; r < ph; r++) {
      const rowStart = p + r * (rowBytes + 1) + 1;
      const base = ((y0 + r * dy) * width + x0) * spp;
      unpackRow(raw, rowStart, pw, spp, depth, scale, samples, base, dx * spp);
    }
    p += ph * (rowBytes + 1);
  }

  if (colorType === 3) return expandPalette(samples as Uint8Array, width, height, palette!, trns, file);
  const channels = spp as 1 | 2 | 3 | 4;
  return { width, height, channels, maxValue: depth === 16 ? 65535 : 255, data: samples };
}

function unfilter(
  d: Uint8Array,
  pos: number,
  rows: number,
  rowBytes: number,
  bpp: number,
  file: string,
): void {
  let prev = -1;
  for (let y = 0; y < rows; y++) {
    const ft = d[pos];
    const s = pos + 1;
    switch (ft) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < rowBytes; i++) d[s + i] = d[s + i] + d[s + i - bpp];
        break;
      case 2:
        if (prev >= 0) for (let i = 0; i < rowBytes; i++) d[s + i] = d[s + i] + d[prev + i];
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) {
          const left = i >= bpp ? d[s + i - bpp] : 0;
          const up = prev >= 0 ? d[prev + i] : 0;
          d[s + i] = d[s + i] + ((left + up) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? d[s + i - bpp] : 0;
          const b = prev >= 0 ? d[prev + i] : 0;
          const c = i >= bpp && prev >= 0 ? d[prev + i - bpp] : 0;
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          d[s + i] = d[s + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        fail(file, `corrupt PNG (unknown filter type ${ft} on scanline ${y})`);
    }
    prev = s;
    pos = s + rowBytes;
  }
}

function unpackRow(
  d: Uint8Array,
  start: number,
  w: number,
  spp: number,
  depth: number,
  scale: number,
  out: Uint8Array | Uint16Array,
  base: number,
  step: number,
): void {
  if (depth === 8) {
    for (let k = 0, j = start; k < w; k++, j += spp) {
      const o = base + k * step;
      for (let s = 0; s < spp; s++) out[o + s] = d[j + s];
    }
  } else if (depth === 16) {
    for (let k = 0, j = start; k < w; k++, j += 2 * spp) {
      const o = base + k * step;
      for (let s = 0; s < spp; s++) out[o + s] = (d[j + 2 * s] << 8) | d[j + 2 * s + 1];
    }
  } else {
    const mask = (1 << depth) - 1;
    for (let k = 0; k < w; k++) {
      const bit = k * depth;
      const v = (d[start + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
      out[base + k * step] = v * scale;
    }
  }
}

function expandPalette(
  idx: Uint8Array,
  width: number,
  height: number,
  plte: Uint8Array,
  trns: Uint8Array | null,
  file: string,
): PngImage {
  const n = Math.floor(plte.length / 3);
  const channels = trns ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    if (k >= n) fail(file, `corrupt PNG (palette index ${k} but the palette has ${n} entries)`);
    const o = i * channels;
    out[o] = plte[3 * k];
    out[o + 1] = plte[3 * k + 1];
    out[o + 2] = plte[3 * k + 2];
    if (trns) out[o + 3] = k < trns.length ? trns[k] : 255;
  }
  return { width, height, channels, maxValue: 255, data: out };
}

/**
 * Gray levels in [0, 1] (0 = black, 1 = white): ITU-R 601 luma for colour, and transparent pixels
 * composited over white, since scanned or drawn glyphs with alpha are meant to be seen on paper.
 */
export function pngToGray(img: PngImage, out?: Float32Array): Float32Array {
  const { width, height, channels, data } = img;
  const inv = 1 / img.maxValue;
  const n = width * height;
  if (out === undefined) out = new Float32Array(n);
  else if (out.length !== n)
    throw new Error(`pngToGray: output holds ${out.length} values, not ${width}x${height}`);
  if (channels === 1) {
    // The common case (Omniglot), kept free of per-pixel branches.
    for (let i = 0; i < n; i++) out[i] = data[i] * inv;
    return out;
  }
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    let g: number;
    let a = 1;
    if (channels <= 2) {
      g = data[o] * inv;
      if (channels === 2) a = data[o + 1] * inv;
    } else {
      g = (0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2]) * inv;
      if (channels === 4) a = data[o + 3] * inv;
    }
    out[i] = a * g + (1 - a);
  }
  return out;
}
