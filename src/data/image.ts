/** Pixel operations on single-channel float images stored row-major (h * w values). */

export type ResizeMethod = 'area' | 'bilinear';

/** Sparse 1-D resampling weights: for each output index, source indices and their weights. */
interface Taps {
  start: Int32Array;
  count: Int32Array;
  idx: Int32Array;
  w: Float64Array;
}

const tapCache = new Map<string, Taps>();
let scratch = new Float64Array(0);

function taps(src: number, dst: number, method: ResizeMethod): Taps {
  const key = `${src}:${dst}:${method}`;
  const hit = tapCache.get(key);
  if (hit) return hit;
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    start[d] = idx.length;
    if (method === 'area') {
      // Average over the footprint [d*scale, (d+1)*scale): every source pixel counts by its overlap, which
      // keeps thin strokes when shrinking 105 -> 28 instead of dropping them as point sampling would.
      const lo = d * scale;
      const hi = lo + scale;
      for (let s = Math.floor(lo); s < Math.min(src, Math.ceil(hi)); s++) {
        const ov = Math.min(hi, s + 1) - Math.max(lo, s);
        if (ov > 1e-9) {
          idx.push(s);
          w.push(ov / scale);
        }
      }
    } else {
      // Half-pixel centres (align_corners = false), as in PIL, OpenCV and tf.image.resizeBilinear.
      const x = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), src - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, src - 1);
      const f = x - x0;
      if (x1 === x0 || f === 0) {
        idx.push(x0);
        w.push(1);
      } else {
        idx.push(x0, x1);
        w.push(1 - f, f);
      }
    }
    count[d] = idx.length - start[d];
  }
  const t = { start, count, idx: Int32Array.from(idx), w: Float64Array.from(w) };
  tapCache.set(key, t);
  return t;
}

/** Resize a single-channel image into `out` (allocated if not given); separable, rows then columns. */
export function resizeGray(
  src: Float32Array,
  sh: number,
  sw: number,
  dh: number,
  dw: number,
  method: ResizeMethod = 'area',
  out: Float32Array = new Float32Array(dh * dw),
): Float32Array {
  if (src.length !== sh * sw) throw new Error(`resizeGray: ${src.length} values for a ${sh}x${sw} image`);
  if (out.length !== dh * dw)
    throw new Error(`resizeGray: output holds ${out.length} values, not ${dh}x${dw}`);
  if (sh === dh && sw === dw) {
    out.set(src);
    return out;
  }
  const tx = taps(sw, dw, method);
  const ty = taps(sh, dh, method);
  // Locals instead of property loads in the inner loops: this runs 32k times per Omniglot decode.
  const xs = tx.start,
    xc = tx.count,
    xi = tx.idx,
    xw = tx.w;
  const ys = ty.start,
    yc = ty.count,
    yi = ty.idx,
    yw = ty.w;
  // A reused intermediate: allocating it per image cost more than the arithmetic in a full Omniglot decode.
  if (scratch.length < sh * dw) scratch = new Float64Array(sh * dw);
  const tmp = scratch;
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    const trow = y * dw;
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      for (let k = xs[x], e = k + xc[x]; k < e; k++) acc += xw[k] * src[row + xi[k]];
      tmp[trow + x] = acc;
    }
  }
  for (let y = 0; y < dh; y++) {
    const orow = y * dw;
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      for (let k = ys[y], e = k + yc[y]; k < e; k++) acc += yw[k] * tmp[yi[k] * dw + x];
      out[orow + x] = acc;
    }
  }
  return out;
}

/** A counter-clockwise rotation by a multiple of 90 degrees. */
export type Rotation = 0 | 90 | 180 | 270;

/**
 * Rotate a square h*h image with `channels` interleaved channels counter-clockwise by `deg` into
 * `out` at `offset`. Counter-clockwise matches PIL's Image.rotate, which produced the published
 * Vinyals split's rot090/rot180/rot270 classes.
 */
export function rotateSquare(
  src: Float32Array,
  size: number,
  channels: number,
  deg: Rotation,
  out: Float32Array,
  offset = 0,
): void {
  const n = size;
  if (channels !== 1) {
    for (let c = 0; c < channels; c++) {
      const plane = new Float32Array(n * n);
      const rotated = new Float32Array(n * n);
      for (let i = 0; i < n * n; i++) plane[i] = src[i * channels + c];
      rotateSquare(plane, n, 1, deg, rotated, 0);
      for (let i = 0; i < n * n; i++) out[offset + i * channels + c] = rotated[i];
    }
    return;
  }
  // Output pixel (y, x) takes the source pixel that a counter-clockwise turn carries onto it. One loop per
  // angle keeps branches out of the pixel loop: this runs for three quarters of all Vinyals-split reads.
  if (deg === 0) {
    out.set(src.subarray(0, n * n), offset);
  } else if (deg === 90) {
    for (let y = 0; y < n; y++)
      for (let x = 0, o = offset + y * n; x < n; x++) out[o + x] = src[x * n + (n - 1 - y)];
  } else if (deg === 180) {
    const last = n * n - 1;
    for (let i = 0; i <= last; i++) out[offset + i] = src[last - i];
  } else {
    for (let y = 0; y < n; y++)
      for (let x = 0, o = offset + y * n; x < n; x++) out[o + x] = src[(n - 1 - x) * n + y];
  }
}

/**
 * Resize an image of `channels` interleaved channels (h * w * channels values) channel by channel with
 * resizeGray, into `out` (allocated if not given), interleaved again.
 */
export function resizeChannels(
  src: Float32Array,
  sh: number,
  sw: number,
  channels: number,
  dh: number,
  dw: number,
  method: ResizeMethod = 'area',
  out: Float32Array = new Float32Array(dh * dw * channels),
): Float32Array {
  if (src.length !== sh * sw * channels)
    throw new Error(`resizeChannels: ${src.length} values for a ${sh}x${sw}x${channels} image`);
  if (out.length !== dh * dw * channels)
    throw new Error(`resizeChannels: output holds ${out.length} values, not ${dh}x${dw}x${channels}`);
  if (channels === 1) return resizeGray(src, sh, sw, dh, dw, method, out);
  const plane = new Float32Array(sh * sw);
  const small = new Float32Array(dh * dw);
  for (let c = 0; c < channels; c++) {
    for (let i = 0, n = sh * sw; i < n; i++) plane[i] = src[i * channels + c];
    resizeGray(plane, sh, sw, dh, dw, method, small);
    for (let i = 0, n = dh * dw; i < n; i++) out[i * channels + c] = small[i];
  }
  return out;
}
