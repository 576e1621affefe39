import * as tf from '@tensorflow/tfjs';
import { overrideWasmKernels, type KernelOverride, type WasmBackendLike } from './wasm_backend.js';
import type { ReduceBlockFn } from './reduce_block.js';
import { isNode } from '../env.js';
import { sizeOf } from '../rng.js';
import { isTilingPool, pair } from '../window_attrs.js';
import { lstmCellGradOps, lstmCellOps } from '../lstm_cell.js';
import { oneHotF32 } from '../onehot.js';

/**
 * The optional native addon (native/kernels.cc, built at install by native/build.mjs, its matrix products
 * by OpenBLAS when installed, else by its own GEMM, native/gemm.cc).
 * Its kernels work on Float32Array views of the wasm heap, so installing them changes where the wasm
 * backend's arithmetic runs and nothing else: tensors stay wasm tensors. Absent addon, browser, or
 * METALEARN_NATIVE=0: everything stays on the wasm kernels.
 */
export interface NativeKernels {
  conv2d(x: Float32Array, w: Float32Array, out: Float32Array, dims: number[]): void;
  /** out [kh, kw, ci, co] = the filter gradient of conv2d for x and dy (same dims as conv2d). */
  conv2dFilterGrad(x: Float32Array, dy: Float32Array, out: Float32Array, dims: number[]): void;
  /** out [n, h, w, ci] = the input gradient of conv2d for dy and w (same dims as conv2d). */
  conv2dInputGrad(dy: Float32Array, w: Float32Array, out: Float32Array, dims: number[]): void;
  /** The JavaScript reduceBlock of reduce_block.ts, natively. */
  reduceBlock: ReduceBlockFn;
  batchMatMul(a: Float32Array, b: Float32Array, out: Float32Array, dims: number[]): void;
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    shape: number[],
    stridesA: number[],
    stridesB: number[],
  ): void;
  transpose(x: Float32Array, out: Float32Array, shape: number[], perm: number[]): void;
  /** mode 0: route v = dy [n, ho, wo, c] to out [n, h, w, c]; mode 1: select v [n, h, w, c] into out [n, ho, wo, c]. */
  poolRoute(x: Float32Array, v: Float32Array, out: Float32Array, dims: number[], mode: 0 | 1): void;
  /** out [n, ho, wo, c] = the maximum of each tiling kh x kw window of x (dims as poolRoute's). */
  maxPool(x: Float32Array, out: Float32Array, dims: number[]): void;
  reverse(x: Float32Array, out: Float32Array, shape: number[], flags: number[]): void;
  tanh(x: Float32Array, out: Float32Array): void;
  /** Training-mode batch norm of x [m, c] over its rows: y, and per channel mean and 1/sqrt(var + eps). */
  batchNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    invstd: Float32Array,
    dims: number[],
    eps: number,
  ): void;
  /**
   * A whole LSTM layer: from xw [B, T, 4H] (the input's projection), wh [H, 4H], b [4H], h0 and c0 [B, H],
   * every step's hs and cs [B, T, H] and the gates' activations acts [B, T, 4H]. dims = [B, T, H].
   */
  lstmSeq(...buffers: [...Float32Array[], number[]]): void;
  /**
   * lstmSeq's gradient: (acts, cs, hs, h0, c0, wh, dhs, dcs) in, (dxw, dwh, db, dh0, dc0) out,
   * then dims = [B, T, H].
   */
  lstmSeqGrad(...buffers: [...Float32Array[], number[]]): void;
  /**
   * One Adam update over n values: mOut, vOut the new moments, pOut = p - stepSize mOut / (sqrt(vOut / c2)
   * + eps).
   */
  adamStep(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    pOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    n: number,
    b1: number,
    b2: number,
    stepSize: number,
    c2: number,
    eps: number,
  ): void;
  /** batchNorm's gradient for the upstream dy: dx, dgamma, dbeta. */
  batchNormGrad(
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    invstd: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    dims: number[],
  ): void;
  /**
   * c = alpha op(a) op(b) + beta c (row-major; dims = [m, n, k, lda, ldb, ldc, transA, transB]) with the
   * implementation `impl`, one of gemmKernels(); for tests and benchmarks.
   */
  sgemm(
    impl: string,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    dims: number[],
    alpha: number,
    beta: number,
  ): void;
  /** y = x w + b for x [m, k], w [k, n], b [n], then max(y, 0) when relu (dims [m, k, n, relu 0/1]). */
  dense(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, dims: number[]): void;
  /**
   * dense's weight and bias gradients for the upstream dy: dw = x^T dz, db = column sums of dz, where
   * dz = dy, or (relu) dy masked by y > 0 and written to dz (which may be empty without relu).
   */
  denseGrad(
    x: Float32Array,
    y: Float32Array,
    dy: Float32Array,
    dz: Float32Array,
    dw: Float32Array,
    db: Float32Array,
    dims: number[],
  ): void;
  /**
   * loss[0] = mean over rows of logsumexp(x_r) - x_r[label_r] for logits [rows, classes] and integer
   * labels (a label outside [0, classes) contributes 0).
   */
  softmaxXent(
    logits: Float32Array,
    labels: Int32Array,
    loss: Float32Array,
    rows: number,
    classes: number,
  ): void;
  /** dx_r = (softmax(x_r) - onehot(label_r)) dy[0] / rows (0 for a label outside [0, classes)). */
  softmaxXentGrad(
    logits: Float32Array,
    labels: Int32Array,
    dy: Float32Array,
    dx: Float32Array,
    rows: number,
    classes: number,
  ): void;
  /** The GEMM the kernels use: 'openblas', or 'own-' and our variant for this CPU ('own-avx2', ...). */
  gemmPath(): string;
  /** The implementations sgemm takes here: our variants this CPU runs, best last, then 'openblas' if linked. */
  gemmKernels(): string[];
  /** Threads of the calling JavaScript thread's kernel pool (it included). */
  threads(): number;
  /** Resize the calling thread's pool (1 to 256); returns the size in effect. */
  setThreads(n: number): number;
}

/** Environment variable: `0` turns the native kernels off. */
export const NATIVE_ENV = 'METALEARN_NATIVE';

let loaded: NativeKernels | null | undefined;
/** Why the addon did not load (Node only; null when it loaded or was turned off). */
let loadError: string | null = null;

/** The addon, or null when it is not built, cannot load, or is turned off. */
export function nativeKernels(): NativeKernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (!isNode || process.env[NATIVE_ENV] === '0') return null;
  // getBuiltinModule keeps node: imports out of this file, which browsers also load.
  const mod = (
    process as unknown as {
      getBuiltinModule?: (m: string) => { createRequire(url: string): (id: string) => unknown } | undefined;
    }
  ).getBuiltinModule?.('node:module');
  if (!mod) return null;
  try {
    const req = mod.createRequire(import.meta.url);
    loaded = req('../../../native/build/metalearn_native.node') as NativeKernels;
  } catch (e) {
    loaded = null;
    const err = e as { code?: string; message?: string };
    loadError = err.code === 'MODULE_NOT_FOUND' ? 'not built' : `did not load (${err.message ?? String(e)})`;
  }
  return loaded;
}

/**
 * In Node without the native kernels: why, and how to build them (the install normally does; npm 12
 * and later skip a dependency's install script unless the project allows it). Null when they run, in
 * browsers, and with METALEARN_NATIVE=0.
 */
export function nativeKernelsHint(): string | null {
  nativeKernels();
  if (!loadError) return null;
  const build = new URL('../../../native/build.mjs', import.meta.url).pathname;
  return (
    `native kernels ${loadError}, so the wasm kernels run (slower): build them with 'node ${build}' ` +
    `(g++ and Node's headers), or allow the install script ('npm install-scripts approve metalearn-ts', ` +
    `npm 12) and reinstall`
  );
}

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function conv2dKernel(addon: NativeKernels, stock: tf.KernelConfig): tf.KernelConfig {
  // The stock config (name, backend, setup) with another kernel function; it stays the fallback.
  return {
    ...stock,
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const a = args.attrs as unknown as Conv2DAttrs;
      if (a.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32') {
        return stock.kernelFunc(args);
      }
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        a.strides,
        a.dilations,
        a.pad,
        a.dimRoundingMode,
        false,
        'channelsLast',
      );
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(info.outShape, 'float32');
      if (tf.util.sizeFromShape(info.outShape) === 0) return out;
      // Views after makeOutput: an allocation may grow the wasm memory and detach older views.
      addon.conv2d(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(filter) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        [
          info.batchSize,
          info.inHeight,
          info.inWidth,
          info.inChannels,
          info.filterHeight,
          info.filterWidth,
          info.outChannels,
          info.outHeight,
          info.outWidth,
          info.strideHeight,
          info.strideWidth,
          info.dilationHeight,
          info.dilationWidth,
          info.padInfo.top,
          info.padInfo.left,
        ],
      );
      return out;
    },
  };
}

/** Row-major strides of `shape`, right-aligned into `rank` axes, 0 on broadcast (size-1 or missing) axes. */
function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const out = new Array<number>(rank).fill(0);
  let st = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = rank - shape.length + i;
    out[d] = shape[i] === 1 ? 0 : st;
    st *= shape[i];
  }
  return out;
}

/** Drop size-1 axes and merge neighbours that both operands walk contiguously (or both broadcast). */
export function collapseBinary(
  shape: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
): { shape: number[]; sa: number[]; sb: number[] } {
  const s: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const k = s.length - 1;
    if (k >= 0 && a[k] === sa[i] * d && b[k] === sb[i] * d) {
      s[k] *= d;
      a[k] = sa[i];
      b[k] = sb[i];
    } else {
      s.push(d);
      a.push(sa[i]);
      b.push(sb[i]);
    }
  });
  if (s.length === 0) return { shape: [1], sa: [1], sb: [1] };
  return { shape: s, sa: a, sb: b };
}

/** Drop size-1 axes and merge runs of axes that stay neighbours and in order under perm. */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const keep = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const rank = new Map(keep.map((ax, j) => [ax, j]));
  const p = perm.filter((ax) => shape[ax] !== 1).map((ax) => rank.get(ax)!);
  const s = keep.map((ax) => shape[ax]);
  // Groups of input axes that appear consecutively in the output.
  const groups: number[][] = [];
  for (const ax of p) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] + 1 === ax) g.push(ax);
    else groups.push([ax]);
  }
  const order = [...groups].sort((x, y) => x[0] - y[0]);
  const newShape = order.map((g) => sizeOf(g.map((ax) => s[ax])));
  const newPerm = groups.map((g) => order.indexOf(g));
  if (newShape.length === 0) return { shape: [1], perm: [0] };
  return { shape: newShape, perm: newPerm };
}

const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

function binaryKernel(
  addon: NativeKernels,
  name: keyof typeof BINARY_OPS,
  stock: tf.KernelConfig,
): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(outShape, 'float32');
      if (sizeOf(outShape) === 0) return out;
      const rank = outShape.length;
      const c = collapseBinary(
        rank === 0 ? [1] : outShape,
        rank === 0 ? [1] : broadcastStrides(a.shape, rank),
        rank === 0 ? [1] : broadcastStrides(b.shape, rank),
      );
      addon.binary(
        BINARY_OPS[name],
        backend.typedArrayFromHeap(a) as Float32Array,
        backend.typedArrayFromHeap(b) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        c.shape,
        c.sa,
        c.sb,
      );
      return out;
    },
  };
}

/**
 * A float32 kernel that copies x into a new layout: `plan` gives the output shape and the collapsed
 * (shape, list) the addon's copy routine (transpose or reverse) takes.
 */
function copyKernel(
  stock: tf.KernelConfig,
  plan: (x: tf.TensorInfo, attrs: tf.NamedAttrMap) => { outShape: number[]; shape: number[]; list: number[] },
  run: (x: Float32Array, out: Float32Array, shape: number[], list: number[]) => void,
): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype !== 'float32') return stock.kernelFunc(args);
      const p = plan(x, args.attrs ?? {});
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(p.outShape, 'float32');
      if (sizeOf(x.shape) === 0) return out;
      run(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        p.shape,
        p.list,
      );
      return out;
    },
  };
}

function transposeKernel(addon: NativeKernels, stock: tf.KernelConfig): tf.KernelConfig {
  return copyKernel(
    stock,
    (x, attrs) => {
      const perm = attrs.perm as number[];
      const c = collapseTranspose(x.shape, perm);
      return { outShape: perm.map((ax) => x.shape[ax]), shape: c.shape, list: c.perm };
    },
    (x, out, shape, perm) => addon.transpose(x, out, shape, perm),
  );
}

/** Drop size-1 axes and merge neighbours that are both reversed or both kept. */
export function collapseReverse(
  shape: readonly number[],
  flags: readonly number[],
): { shape: number[]; flags: number[] } {
  const s: number[] = [];
  const f: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    if (f.length > 0 && f[f.length - 1] === flags[i]) s[s.length - 1] *= d;
    else {
      s.push(d);
      f.push(flags[i]);
    }
  });
  return s.length === 0 ? { shape: [1], flags: [0] } : { shape: s, flags: f };
}

function reverseKernel(addon: NativeKernels, stock: tf.KernelConfig): tf.KernelConfig {
  return copyKernel(
    stock,
    (x, attrs) => {
      const axes = tf.util.parseAxisParam(attrs.dims as number | number[], x.shape);
      const scalar = x.shape.length === 0;
      const c = collapseReverse(
        scalar ? [1] : x.shape,
        scalar ? [0] : x.shape.map((_, i) => (axes.includes(i) ? 1 : 0)),
      );
      return { outShape: x.shape, shape: c.shape, list: c.flags };
    },
    (x, out, shape, flags) => addon.reverse(x, out, shape, flags),
  );
}

function batchMatMulKernel(addon: NativeKernels, stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as {
        transposeA: boolean;
        transposeB: boolean;
      };
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
        return stock.kernelFunc(args);
      }
      const ra = a.shape.length;
      const rb = b.shape.length;
      const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
      const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      if (k !== kb) return stock.kernelFunc(args); // the stock kernel words the shape error
      const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const batch = sizeOf(outer);
      const ba = sizeOf(a.shape.slice(0, -2));
      const bb = sizeOf(b.shape.slice(0, -2));
      // Only a whole batch or a batch of one on each side; mixed broadcasts go to the stock kernel.
      if ((ba !== batch && ba !== 1) || (bb !== batch && bb !== 1)) return stock.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput([...outer, m, n], 'float32');
      if (batch * m * n === 0) return out;
      addon.batchMatMul(
        backend.typedArrayFromHeap(a) as Float32Array,
        backend.typedArrayFromHeap(b) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        [batch, ba, bb, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0],
      );
      return out;
    },
  };
}

function tanhKernel(addon: NativeKernels, stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype !== 'float32') return stock.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(x.shape, 'float32');
      if (sizeOf(x.shape) === 0) return out;
      addon.tanh(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
      );
      return out;
    },
  };
}

/** Kernel names of the max-pool gradient's routing and of its adjoint (wasm with the addon only). */
const POOL_ROUTE = 'MetalearnMaxPoolRoute';
const POOL_SELECT = 'MetalearnMaxPoolSelect';

interface PoolAttrs {
  kh: number;
  kw: number;
  ho: number;
  wo: number;
}

function poolRouteKernel(addon: NativeKernels, name: string, mode: 0 | 1): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x, v } = args.inputs as { x: tf.TensorInfo; v: tf.TensorInfo };
      const { kh, kw, ho, wo } = args.attrs as unknown as PoolAttrs;
      const [n, h, w, c] = x.shape;
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(mode === 0 ? [n, h, w, c] : [n, ho, wo, c], 'float32');
      if (n * h * w * c === 0) return out;
      addon.poolRoute(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(v) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        [n, h, w, c, kh, kw, ho, wo],
        mode,
      );
      return out;
    },
  };
}

interface MaxPoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: unknown;
  dimRoundingMode?: string;
}

// The tiling max-pool (stride = window, 'valid' or 0 padding: Conv4's and ResNet-12's 2x2) natively, in one
// pass; any other pool goes to the stock kernel.
function maxPoolKernel(addon: NativeKernels, stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const a = args.attrs as unknown as MaxPoolAttrs;
      const [kh, kw] = pair(a.filterSize, 'maxPool filterSize');
      const [sh, sw] = pair(a.strides, 'maxPool strides');
      if (x.dtype !== 'float32' || x.shape.length !== 4 || !isTilingPool(kh, kw, sh, sw, a.pad))
        return stock.kernelFunc(args);
      const [n, h, w, c] = x.shape;
      const ho = Math.floor(h / kh);
      const wo = Math.floor(w / kw);
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput([n, ho, wo, c], 'float32');
      if (n * ho * wo * c === 0) return out;
      addon.maxPool(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        [n, h, w, c, kh, kw, ho, wo],
      );
      return out;
    },
  };
}

function runPool(name: string, x: tf.Tensor4D, v: tf.Tensor4D, a: PoolAttrs): tf.Tensor4D {
  return tf.engine().runKernel(name, { x, v }, a as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * The gradient of a tiling max-pool of x (float32 NHWC, kh x kw windows) for the upstream dy
 * [n, ho, wo, c]: dy at each window's first maximum, zero elsewhere, at x's full shape. Null unless the
 * native kernels run this backend. It is linear in dy, with the adjoint "select" as its gradient (and
 * the other way round), and piecewise constant in x, so its gradient there is zero.
 */
export function nativePoolRoute(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number): tf.Tensor4D | null {
  if (!installed || x.dtype !== 'float32' || dy.dtype !== 'float32' || tf.getBackend() !== 'wasm')
    return null;
  return runPool(POOL_ROUTE, x, dy, { kh, kw, ho: dy.shape[1], wo: dy.shape[2] });
}

/** Kernel names of the convolution's two gradients (wasm with the addon only). */
const CONV_FILTER_GRAD = 'MetalearnConv2DFilterGrad';
const CONV_INPUT_GRAD = 'MetalearnConv2DInputGrad';

/** A convolution's geometry with explicit padding, as the conv gradients take it. */
export interface NativeConvGeometry {
  strides: [number, number];
  dilations: [number, number];
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
}

interface ConvGradAttrs {
  /** The conv2d dims of native/kernels.cc: [n, h, w, ci, kh, kw, co, ho, wo, sh, sw, dh, dw, top, left]. */
  dims: number[];
}

function convDims(
  xShape: readonly number[],
  wShape: readonly number[],
  yShape: readonly number[],
  g: NativeConvGeometry,
): number[] {
  const [n, h, w, ci] = xShape;
  const [kh, kw, , co] = wShape;
  return [n, h, w, ci, kh, kw, co, yShape[1], yShape[2], ...g.strides, ...g.dilations, g.pad[0], g.pad[2]];
}

function convGradKernel(addon: NativeKernels, name: string, filter: boolean): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { dims } = args.attrs as unknown as ConvGradAttrs;
      const [n, h, w, ci, kh, kw, co] = dims;
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(filter ? [kh, kw, ci, co] : [n, h, w, ci], 'float32');
      if (kh * kw * ci * co === 0 || n * h * w * ci === 0) return out;
      (filter ? addon.conv2dFilterGrad : addon.conv2dInputGrad)(
        backend.typedArrayFromHeap(a) as Float32Array,
        backend.typedArrayFromHeap(b) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        dims,
      );
      return out;
    },
  };
}

/** Whether the native kernels run the current backend, for float32 tensors ts. */
export const nativeHere = (...ts: tf.Tensor[]): boolean =>
  installed && tf.getBackend() === 'wasm' && ts.every((t) => t.dtype === 'float32');

/**
 * The filter gradient [kh, kw, ci, co] of y = conv2d(x, w) for the upstream dy, in one native kernel
 * (im2col(x)^T dy); null unless the native kernels run this backend. Not differentiable by itself: the
 * caller states its gradient (engine/gradients/conv2d_backprop.ts).
 */
export function nativeConvFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  wShape: readonly number[],
  g: NativeConvGeometry,
): tf.Tensor4D | null {
  if (!nativeHere(x, dy)) return null;
  const attrs: ConvGradAttrs = { dims: convDims(x.shape, wShape, dy.shape, g) };
  return tf
    .engine()
    .runKernel(CONV_FILTER_GRAD, { a: x, b: dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * The input gradient [n, h, w, ci] of y = conv2d(x, w) for the upstream dy, in one native kernel
 * (col2im(dy w^T)); null unless the native kernels run this backend. Not differentiable by itself.
 */
export function nativeConvInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: readonly number[],
  g: NativeConvGeometry,
): tf.Tensor4D | null {
  if (!nativeHere(dy, w)) return null;
  const attrs: ConvGradAttrs = { dims: convDims(xShape, w.shape, dy.shape, g) };
  return tf
    .engine()
    .runKernel(CONV_INPUT_GRAD, { a: dy, b: w }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** Kernel names of the fused batch norm and its gradient (wasm with the addon only). */
const BATCH_NORM = 'MetalearnBatchNorm';
const BATCH_NORM_GRAD = 'MetalearnBatchNormGrad';

/**
 * A wasm kernel over float32 heap views: every output is made (from `outShapes`) before any view is
 * taken, since an allocation may grow the wasm memory and detach older views; then `run` gets the
 * views of the named inputs followed by those of the outputs.
 */
function heapKernel(
  kernelName: string,
  inputNames: readonly string[],
  outShapes: (inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap) => number[][],
  run: (views: Float32Array[], inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap) => void,
): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const inputs = args.inputs as Record<string, tf.TensorInfo>;
      const b = args.backend as unknown as WasmBackendLike;
      const attrs = args.attrs ?? {};
      const outs = outShapes(inputs, attrs).map((shape) => b.makeOutput(shape, 'float32'));
      const views = [...inputNames.map((n) => inputs[n]), ...outs].map(
        (t) => b.typedArrayFromHeap(t) as Float32Array,
      );
      run(views, inputs, attrs);
      return outs;
    },
  };
}

/** [rows, channels] of a channels-last tensor. */
const rowsByChannels = (x: tf.TensorInfo): number[] => {
  const c = x.shape[x.shape.length - 1];
  return [tf.util.sizeFromShape(x.shape) / c, c];
};

function batchNormKernels(addon: NativeKernels): tf.KernelConfig[] {
  const perChannel = ({ x }: Record<string, tf.TensorInfo>) => {
    const c = x.shape[x.shape.length - 1];
    return [[...x.shape], [c], [c]];
  };
  return [
    heapKernel(
      BATCH_NORM,
      ['x', 'gamma', 'beta'],
      perChannel,
      ([x, gamma, beta, y, mean, invstd], inp, attrs) =>
        addon.batchNorm(
          x,
          gamma,
          beta,
          y,
          mean,
          invstd,
          rowsByChannels(inp.x),
          (attrs as { eps: number }).eps,
        ),
    ),
    heapKernel(
      BATCH_NORM_GRAD,
      ['x', 'gamma', 'mean', 'invstd', 'dy'],
      perChannel,
      ([x, gamma, mean, invstd, dy, dx, dgamma, dbeta], inp) =>
        addon.batchNormGrad(x, gamma, mean, invstd, dy, dx, dgamma, dbeta, rowsByChannels(inp.x)),
    ),
  ];
}

/**
 * Training-mode batch norm of x (float32, channels last) with gamma and beta [c] in one native kernel:
 * [y, mean, invstd]. Null unless the native kernels run this backend. Not differentiable by itself
 * (engine/batch_norm.ts states its gradient).
 */
export function nativeBatchNorm(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] | null {
  if (!nativeHere(x, gamma, beta) || x.size === 0) return null;
  return tf.engine().runKernel(BATCH_NORM, { x, gamma, beta }, { eps }) as unknown as [
    tf.Tensor,
    tf.Tensor1D,
    tf.Tensor1D,
  ];
}

/** nativeBatchNorm's gradient for the upstream dy, in one native kernel: [dx, dgamma, dbeta]. */
export function nativeBatchNormGrad(
  x: tf.Tensor,
  gamma: tf.Tensor,
  mean: tf.Tensor,
  invstd: tf.Tensor,
  dy: tf.Tensor,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BATCH_NORM_GRAD, { x, gamma, mean, invstd, dy }, {}) as unknown as [
    tf.Tensor,
    tf.Tensor1D,
    tf.Tensor1D,
  ];
}

/** Kernel names of the fused LSTM layer and its gradient (wasm with the addon only). */
const LSTM_SEQ = 'MetalearnLstmSeq';
const LSTM_SEQ_GRAD = 'MetalearnLstmSeqGrad';
/** An uninitialised float32 tensor of attrs.shape: LSTM_SEQ's buffer for the gates' activations. */
const LSTM_SCRATCH = 'MetalearnLstmScratch';

function lstmKernels(addon: NativeKernels): tf.KernelConfig[] {
  const dims = (xw: tf.TensorInfo) => [xw.shape[0], xw.shape[1], xw.shape[2] / 4];
  return [
    // The gates' activations go to a buffer passed in (`acts`, from LSTM_SCRATCH) rather than to an output
    // of their own: tfjs gives every output without an upstream gradient a zero-filled one, made in JS
    // and copied into the heap (about 0.85 ms a MANN step for this [B, T, 4H] one, which nothing reads).
    heapKernel(
      LSTM_SEQ,
      ['xw', 'wh', 'b', 'h0', 'c0', 'acts'],
      ({ xw }) => {
        const [B, T, H] = dims(xw);
        return [
          [B, T, H],
          [B, T, H],
        ];
      },
      ([xw, wh, b, h0, c0, acts, hs, cs], inp) =>
        addon.lstmSeq(xw, wh, b, h0, c0, hs, cs, acts, dims(inp.xw)),
    ),
    heapKernel(
      LSTM_SCRATCH,
      [],
      (_, attrs) => [attrs.shape as number[]],
      () => {},
    ),
    heapKernel(
      LSTM_SEQ_GRAD,
      ['acts', 'cs', 'hs', 'h0', 'c0', 'wh', 'dhs', 'dcs'],
      ({ acts, wh, h0 }) => [[...acts.shape], [...wh.shape], [wh.shape[1]], [...h0.shape], [...h0.shape]],
      (views, inp) => addon.lstmSeqGrad(...views, dims(inp.acts)),
    ),
  ];
}

/**
 * lstmSeq's gradient from differentiable ops (for a recorded backward pass: higher order), step by step
 * as the native kernel: [dxw, dwh, db, dh0, dc0]. The forward pass is recomputed from the saved inputs:
 * tfjs records the copies it saves of a kernel's outputs before the kernel itself, so a backward pass
 * built on them would not be differentiated through to the inputs (tfjs-core engine.ts,
 * saveTensorsForBackwardMode and addTapeNode).
 */
function lstmSeqGradOps(saved: tf.Tensor[], dhs: tf.Tensor, dcs: tf.Tensor): tf.Tensor[] {
  const [xw, wh, b, h0, c0] = saved;
  const [B, T, G] = xw.shape;
  const H = G / 4;
  const at = (x: tf.Tensor, t: number, w: number) => tf.reshape(tf.slice(x, [0, t, 0], [B, 1, w]), [B, w]);
  const gates: tf.Tensor[] = [];
  const hs: tf.Tensor[] = [h0];
  const cs: tf.Tensor[] = [c0];
  for (let t = 0; t < T; t++) {
    const g = tf.add(tf.add(at(xw, t, G), b), tf.matMul(hs[t], wh));
    const [h, c] = lstmCellOps(g, cs[t]);
    hs.push(h);
    cs.push(c);
    gates.push(g);
  }
  let dhRec: tf.Tensor = tf.zeros([B, H]);
  let dcRec: tf.Tensor = tf.zeros([B, H]);
  const dpre: tf.Tensor[] = new Array(T);
  for (let t = T - 1; t >= 0; t--) {
    const [dg, dc] = lstmCellGradOps(
      gates[t],
      cs[t],
      tf.add(at(dhs, t, H), dhRec),
      tf.add(at(dcs, t, H), dcRec),
    );
    dpre[t] = dg;
    dhRec = tf.matMul(dpre[t], wh, false, true);
    dcRec = dc;
  }
  const dxw = tf.stack(dpre, 1);
  const rows = tf.reshape(dxw, [B * T, G]);
  const hPrev = tf.reshape(tf.stack(hs.slice(0, T), 1), [B * T, H]);
  return [dxw, tf.matMul(hPrev, rows, true, false), tf.sum(rows, 0), dhRec, dcRec];
}

function registerLstmGradient(): void {
  tf.registerGradient({
    kernelName: LSTM_SEQ,
    inputsToSave: ['xw', 'wh', 'b', 'h0', 'c0', 'acts'],
    outputsToSave: [true, true],
    gradFunc: ((dys: tf.Tensor[], saved: tf.Tensor[]) => {
      const [, wh, , h0, c0, acts, hs, cs] = saved;
      const [dhs, dcs] = dys;
      const [dxw, dwh, db, dh0, dc0] = tf.engine().isTapeOn()
        ? lstmSeqGradOps(saved, dhs, dcs)
        : (tf
            .engine()
            .runKernel(LSTM_SEQ_GRAD, { acts, cs, hs, h0, c0, wh, dhs, dcs }, {}) as unknown as tf.Tensor[]);
      return { xw: () => dxw, wh: () => dwh, b: () => db, h0: () => dh0, c0: () => dc0 };
    }) as unknown as tf.GradConfig['gradFunc'],
  });
}

/**
 * A whole LSTM layer over a sequence in one native kernel (gates in PyTorch's order: input, forget, cell,
 * output): from xw [B, T, 4H] (the input's projection, without bias), wh [H, 4H], b [4H] and the initial
 * state h0, c0 [B, H], every step's hidden output and cell [B, T, H]. Differentiable to any order (its
 * backward is one native kernel, or differentiable ops when the backward is itself recorded). Null unless
 * the native kernels run this backend.
 */
export function nativeLstmSeq(
  xw: tf.Tensor3D,
  wh: tf.Tensor2D,
  b: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): [tf.Tensor3D, tf.Tensor3D] | null {
  if (!nativeHere(xw, wh, b, h0, c0)) return null;
  const [B, T, G] = xw.shape;
  const H = G / 4;
  if (xw.rank !== 3 || !Number.isInteger(H) || T === 0) return null;
  if (wh.rank !== 2 || wh.shape[0] !== H || wh.shape[1] !== G || b.rank !== 1 || b.shape[0] !== G)
    return null;
  if ([h0, c0].some((s) => s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== H)) return null;
  // Written by LSTM_SEQ (its one input that is not read): the gates' activations are the backward pass's
  // alone, and the tape keeps its own reference (a clone). Not on any path from the parameters, so the
  // gradient never asks for its upstream.
  const [acts] = tf.engine().runKernel(LSTM_SCRATCH, {}, { shape: [B, T, G] }) as unknown as tf.Tensor3D[];
  const [hs, cs] = tf
    .engine()
    .runKernel(LSTM_SEQ, { xw, wh, b, h0, c0, acts }, {}) as unknown as tf.Tensor3D[];
  acts.dispose();
  return [hs, cs];
}

function registerPoolGradients(): void {
  // Route and select are each other's adjoints; both are piecewise constant in x.
  for (const [name, adjoint] of [
    [POOL_ROUTE, POOL_SELECT],
    [POOL_SELECT, POOL_ROUTE],
  ]) {
    tf.registerGradient({
      kernelName: name,
      inputsToSave: ['x'],
      gradFunc: ((dy: tf.Tensor4D, [x]: tf.Tensor4D[], attrs: tf.NamedAttrMap) => ({
        x: () => tf.zerosLike(x),
        v: () => runPool(adjoint, x, dy, attrs as unknown as PoolAttrs),
      })) as unknown as tf.GradConfig['gradFunc'],
    });
  }
}

/** Kernel name of the fused Adam update (wasm with the addon only). */
const ADAM_STEP = 'MetalearnAdamStep';

/** Adam's coefficients at one step: stepSize = lr / (1 - b1^t), c2 = 1 - b2^t. */
export interface AdamStepAttrs {
  b1: number;
  b2: number;
  stepSize: number;
  c2: number;
  eps: number;
}

function adamKernel(addon: NativeKernels): tf.KernelConfig {
  return heapKernel(
    ADAM_STEP,
    ['p', 'g', 'm', 'v'],
    ({ p }) => [[...p.shape], [...p.shape], [...p.shape]],
    ([p, g, m, v, pOut, mOut, vOut], inp, attrs) => {
      const a = attrs as unknown as AdamStepAttrs;
      addon.adamStep(p, g, m, v, pOut, mOut, vOut, sizeOf(inp.p.shape), a.b1, a.b2, a.stepSize, a.c2, a.eps);
    },
  );
}

/**
 * One Adam update of parameter p with gradient g and moments m, v in one native kernel: [p', m', v'].
 * Null unless the native kernels run this backend (the caller then uses tensor ops); not differentiable.
 */
export function nativeAdamStep(
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  attrs: AdamStepAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!nativeHere(p, g, m, v) || p.size === 0) return null;
  if (![g, m, v].every((t) => tf.util.arraysEqual(t.shape, p.shape))) return null;
  return tf.engine().runKernel(ADAM_STEP, { p, g, m, v }, attrs as unknown as tf.NamedAttrMap) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** Kernel names of the fused dense layer and its gradient (wasm with the addon only). */
const DENSE = 'MetalearnDense';
const DENSE_GRAD = 'MetalearnDenseGrad';

function denseKernels(addon: NativeKernels): tf.KernelConfig[] {
  const dims = (x: tf.TensorInfo, w: tf.TensorInfo, attrs: tf.NamedAttrMap) => [
    x.shape[0],
    x.shape[1],
    w.shape[1],
    (attrs as { relu: boolean }).relu ? 1 : 0,
  ];
  return [
    heapKernel(
      DENSE,
      ['x', 'w', 'b'],
      ({ x, w }) => [[x.shape[0], w.shape[1]]],
      ([x, w, b, y], inp, attrs) => addon.dense(x, w, b, y, dims(inp.x, inp.w, attrs)),
    ),
    heapKernel(
      DENSE_GRAD,
      ['x', 'y', 'dy'],
      ({ x, y }, attrs) => [
        (attrs as { relu: boolean }).relu ? [...y.shape] : [0],
        [x.shape[1], y.shape[1]],
        [y.shape[1]],
      ],
      ([x, y, dy, dz, dw, db], inp, attrs) =>
        addon.denseGrad(x, y, dy, dz, dw, db, [
          inp.x.shape[0],
          inp.x.shape[1],
          inp.y.shape[1],
          (attrs as { relu: boolean }).relu ? 1 : 0,
        ]),
    ),
  ];
}

/**
 * The masked upstream gradient dz and the weight and bias gradients from differentiable ops (for a
 * recorded backward pass: higher order), the pre-activation recomputed from the saved inputs (see
 * lstmSeqGradOps for why not from the saved output).
 */
function denseGradOps(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, dy: tf.Tensor, relu: boolean): tf.Tensor[] {
  const dz = relu ? tf.mul(dy, tf.step(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b))) : dy;
  return [dz, tf.matMul(x as tf.Tensor2D, dz as tf.Tensor2D, true, false), tf.sum(dz, 0)];
}

function registerDenseGradient(): void {
  tf.registerGradient({
    kernelName: DENSE,
    inputsToSave: ['x', 'w', 'b'],
    outputsToSave: [true],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x, w, b, y] = saved;
      const relu = (attrs as { relu: boolean }).relu;
      let dz: tf.Tensor, dw: tf.Tensor, db: tf.Tensor;
      if (tf.engine().isTapeOn()) [dz, dw, db] = denseGradOps(x, w, b, dy, relu);
      else {
        const outs = tf.engine().runKernel(DENSE_GRAD, { x, y, dy }, { relu }) as unknown as tf.Tensor[];
        [dw, db] = outs.slice(1);
        dz = relu ? outs[0] : dy;
      }
      // The tape calls x's closure only when x depends on what is differentiated (not for the data
      // entering the first layer), so its product is made only then.
      return {
        x: () => tf.matMul(dz as tf.Tensor2D, w as tf.Tensor2D, false, true),
        w: () => dw,
        b: () => db,
      };
    }) as unknown as tf.GradConfig['gradFunc'],
  });
}

/**
 * A dense layer x w + b (then ReLU when `relu`) for x [m, k], w [k, n], b [n] in one native kernel: the
 * product accumulates onto rows initialised with b, and the ReLU is one pass over the output.
 * Differentiable to any order (its backward is one native kernel for the weight and bias and a product
 * for the input, made only when the input's gradient is asked for; or differentiable ops when the
 * backward is itself recorded). Null unless the native kernels run this backend.
 */
export function nativeDense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, relu: boolean): tf.Tensor2D | null {
  if (!nativeHere(x, w, b) || x.rank !== 2 || w.rank !== 2 || b.rank !== 1) return null;
  if (x.shape[1] !== w.shape[0] || b.shape[0] !== w.shape[1] || x.size === 0 || w.size === 0) return null;
  return (tf.engine().runKernel(DENSE, { x, w, b }, { relu }) as unknown as tf.Tensor2D[])[0];
}

/** Kernel names of the fused softmax cross-entropy and its gradient (wasm with the addon only). */
const SOFTMAX_XENT = 'MetalearnSoftmaxXent';
const SOFTMAX_XENT_GRAD = 'MetalearnSoftmaxXentGrad';

function softmaxXentKernels(addon: NativeKernels): tf.KernelConfig[] {
  // heapKernel types its views as Float32Array; the labels' view is the Int32Array of an int32 tensor.
  const int32 = (v: Float32Array) => v as unknown as Int32Array;
  return [
    heapKernel(
      SOFTMAX_XENT,
      ['logits', 'labels'],
      () => [[]],
      ([x, lab, loss], inp) => {
        const [rows, classes] = rowsByChannels(inp.logits);
        addon.softmaxXent(x, int32(lab), loss, rows, classes);
      },
    ),
    heapKernel(
      SOFTMAX_XENT_GRAD,
      ['logits', 'labels', 'dy'],
      ({ logits }) => [[...logits.shape]],
      ([x, lab, dy, dx], inp) => {
        const [rows, classes] = rowsByChannels(inp.logits);
        addon.softmaxXentGrad(x, int32(lab), dy, dx, rows, classes);
      },
    ),
  ];
}

/**
 * The fused cross-entropy's gradient from differentiable ops (for a recorded backward pass: higher
 * order): (softmax(x) - onehot) dy / rows on rows with a valid label, 0 on the others.
 */
function softmaxXentGradOps(logits: tf.Tensor, labels: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const classes = logits.shape[logits.rank - 1];
  const onehot = oneHotF32(labels, classes);
  const valid = tf.sum(onehot, -1, true);
  const g = tf.div(dy, logits.size / classes);
  return tf.mul(tf.sub(tf.mul(tf.softmax(logits), valid), onehot), g);
}

function registerSoftmaxXentGradient(): void {
  tf.registerGradient({
    kernelName: SOFTMAX_XENT,
    inputsToSave: ['logits', 'labels'],
    gradFunc: ((dy: tf.Tensor, [logits, labels]: tf.Tensor[]) => ({
      logits: () =>
        tf.engine().isTapeOn()
          ? softmaxXentGradOps(logits, labels, dy)
          : (
              tf.engine().runKernel(SOFTMAX_XENT_GRAD, { logits, labels, dy }, {}) as unknown as tf.Tensor[]
            )[0],
      labels: () => tf.zerosLike(labels),
    })) as unknown as tf.GradConfig['gradFunc'],
  });
}

/**
 * The mean over rows of -log softmax(logits)[label] for float32 logits [..., classes] and int32 labels
 * [...] in one native kernel, as engine/ops.ts's softmaxCrossEntropy computes it with one-hot labels (a
 * label outside [0, classes) contributes 0). Differentiable to any order in the logits (its backward is
 * one native kernel, or differentiable ops when the backward is itself recorded). Null unless the native
 * kernels run this backend.
 */
export function nativeSoftmaxXent(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar | null {
  if (!nativeHere(logits) || labels.dtype !== 'int32' || logits.rank < 1 || logits.size === 0) return null;
  if (!tf.util.arraysEqual(labels.shape, logits.shape.slice(0, -1))) return null;
  // heapKernel returns a list, so the engine does too.
  return (tf.engine().runKernel(SOFTMAX_XENT, { logits, labels }, {}) as unknown as tf.Scalar[])[0];
}

let installed = false;

/**
 * Register the native Conv2D, BatchMatMul, Transpose, Reverse, Tanh, tiling MaxPool and float32 Add/Sub/Multiply/RealDiv over the wasm
 * backend's (idempotent); false when there is no addon. Cases they do not cover go to the stock kernels.
 */
export function installNativeKernels(): boolean {
  const addon = nativeKernels();
  if (!addon) return false;
  if (installed) return true;
  const make: Record<string, KernelOverride> = {
    Conv2D: (st) => conv2dKernel(addon, st),
    BatchMatMul: (st) => batchMatMulKernel(addon, st),
    Transpose: (st) => transposeKernel(addon, st),
    Reverse: (st) => reverseKernel(addon, st),
    Tanh: (st) => tanhKernel(addon, st),
    MaxPool: (st) => maxPoolKernel(addon, st),
  };
  for (const op of Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]) {
    make[op] = (st) => binaryKernel(addon, op, st);
  }
  for (const k of [
    ...batchNormKernels(addon),
    ...lstmKernels(addon),
    adamKernel(addon),
    ...softmaxXentKernels(addon),
    ...denseKernels(addon),
  ])
    tf.registerKernel(k);
  registerLstmGradient();
  registerDenseGradient();
  registerSoftmaxXentGradient();
  tf.registerKernel(convGradKernel(addon, CONV_FILTER_GRAD, true));
  tf.registerKernel(convGradKernel(addon, CONV_INPUT_GRAD, false));
  tf.registerKernel(poolRouteKernel(addon, POOL_ROUTE, 0));
  tf.registerKernel(poolRouteKernel(addon, POOL_SELECT, 1));
  registerPoolGradients();
  overrideWasmKernels(make);
  installed = true;
  return true;
}

/** The GEMM behind the native kernels ('openblas', 'own-avx2', ...), or null without the addon. */
export function nativeGemmPath(): string | null {
  return nativeKernels()?.gemmPath() ?? null;
}

/**
 * Threads each native kernel of this JavaScript thread runs on (the thread itself included): 1 without
 * the addon. The addon starts with `METALEARN_THREADS`, else the machine's hardware threads.
 */
export function nativeThreads(): number {
  return nativeKernels()?.threads() ?? 1;
}

/** Set the threads of this JavaScript thread's native kernels; returns the number in effect (1 without the addon). */
export function setNativeThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new Error(`threads: expected an integer from 1 to 256, got ${String(n)}`);
  }
  return nativeKernels()?.setThreads(n) ?? 1;
}

/** Whether the native kernels are registered in this process (for logs and benchmarks). */
export function nativeKernelsActive(): boolean {
  return installed;
}
