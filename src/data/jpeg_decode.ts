import jpeg from 'jpeg-js';

/**
 * The default pixel budget of decodeJpeg, as MAX_PNG_PIXELS for PNG: 8192x8192. A header claiming more is
 * almost always a damaged file (or a photograph far larger than any few-shot input needs).
 */
export const MAX_JPEG_PIXELS = 8192 * 8192;

/** A decoded JPEG: 8-bit RGB, interleaved, row-major (gray JPEGs come out with three equal channels). */
export interface JpegImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly data: Uint8Array;
}

/** Options of decodeJpeg. */
export interface DecodeJpegOptions {
  /** Refuse images of more pixels than this (width x height); default MAX_JPEG_PIXELS. */
  maxPixels?: number;
}

/** True when `buf` starts with the JPEG start-of-image marker and a marker after it. */
export function isJpeg(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

/**
 * The frame size from the first start-of-frame segment, read before decoding so that a damaged or huge
 * header is refused before any pixel memory is allocated. undefined when no frame header is found.
 */
function frameSize(buf: Uint8Array): { width: number; height: number } | undefined {
  let pos = 2;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) return undefined;
    const marker = buf[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    // Markers without a length: TEM, RSTn, SOI, EOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      pos += 2;
      continue;
    }
    const len = (buf[pos + 2] << 8) | buf[pos + 3];
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (pos + 9 > buf.length) return undefined;
      return { height: (buf[pos + 5] << 8) | buf[pos + 6], width: (buf[pos + 7] << 8) | buf[pos + 8] };
    }
    if (marker === 0xda) return undefined; // scan data before any frame header
    pos += 2 + len;
  }
  return undefined;
}

/**
 * Decode a baseline or progressive JPEG with jpeg-js (pure JavaScript: the same code in Node and in
 * browsers, no native build). Decoding is strict: a truncated or corrupt file is an error naming `file`,
 * not an image with grey blocks.
 */
export function decodeJpeg(buf: Uint8Array, file = '<buffer>', opts: DecodeJpegOptions = {}): JpegImage {
  const maxPixels = opts.maxPixels ?? MAX_JPEG_PIXELS;
  if (!isJpeg(buf)) throw new Error(`${file}: not a JPEG file (bad signature)`);
  const size = frameSize(buf);
  if (size === undefined) throw new Error(`${file}: corrupt JPEG (no frame header)`);
  if (size.width === 0 || size.height === 0)
    throw new Error(`${file}: corrupt JPEG (frame of ${size.width}x${size.height} pixels)`);
  if (size.width * size.height > maxPixels) {
    throw new Error(
      `${file}: JPEG of ${size.width}x${size.height} pixels is over the limit of ${maxPixels} pixels (option maxPixels)`,
    );
  }
  let img;
  try {
    img = jpeg.decode(buf, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      // The pixel check above is the real limit; these only keep jpeg-js's own caps out of its way.
      maxResolutionInMP: Math.max(1, Math.ceil(maxPixels / 1e6)),
      maxMemoryUsageInMB: Math.max(512, Math.ceil((maxPixels * 8) / 2 ** 20)),
    });
  } catch (e) {
    throw new Error(`${file}: corrupt JPEG (${(e as Error).message || String(e)})`);
  }
  if (
    img.width !== size.width ||
    img.height !== size.height ||
    img.data.length !== img.width * img.height * 3
  )
    throw new Error(`${file}: corrupt JPEG (decoded size does not match its header)`);
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}
