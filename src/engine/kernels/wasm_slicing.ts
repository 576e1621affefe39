import * as tf from '@tensorflow/tfjs';
import { overrideWasmKernels, type KernelOverride, type WasmBackendLike } from './wasm_backend.js';

/**
 * Slice, Unpack and SplitV for the wasm backend that read their input through a view of the wasm heap.
 * The stock Slice starts with `backend.readSync(x)`, which copies the whole input out of the heap, and
 * Unpack and SplitV call it once per output: unstacking 10 time steps copied the sequence 10 times
 * (about a sixth of a MANN step). These copy only the block each output holds. Strings keep the stock
 * kernels.
 */

/** Copy the block of `src` (row-major, `shape`) at `begin` of `size` into `dst`, contiguous runs at once. */
export function copyBlock(
  src: tf.TypedArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: tf.TypedArray,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const strides = new Array<number>(rank);
  let st = 1;
  for (let a = rank - 1; a >= 0; a--) {
    strides[a] = st;
    st *= shape[a];
  }
  // The innermost run: the last axis and every axis before it whose following axes are taken whole.
  let j = rank - 1;
  let run = size[j];
  while (j > 0 && size[j] === shape[j]) {
    j--;
    run *= size[j];
  }
  let base = 0;
  for (let a = 0; a < rank; a++) base += begin[a] * strides[a];
  const idx = new Array<number>(j).fill(0);
  let o = 0;
  const total = size.reduce((p, d) => p * d, 1);
  while (o < total) {
    let off = base;
    for (let a = 0; a < j; a++) off += idx[a] * strides[a];
    dst.set(src.subarray(off, off + run), o);
    o += run;
    for (let a = j - 1; a >= 0; a--) {
      if (++idx[a] < size[a]) break;
      idx[a] = 0;
    }
  }
}

function sliceInfo(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): tf.TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  if (size.reduce((p, d) => p * d, 1) === 0) return out;
  // Views after makeOutput: an allocation may grow the wasm memory and detach older views.
  copyBlock(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];

function withStock(
  stock: tf.KernelConfig,
  run: (args: KernelArgs, x: tf.TensorInfo, backend: WasmBackendLike) => tf.TensorInfo | tf.TensorInfo[],
): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const x = (args.inputs.x ?? args.inputs.value) as tf.TensorInfo;
      if (x.dtype === 'string') return stock.kernelFunc(args);
      return run(args, x, args.backend as unknown as WasmBackendLike);
    },
  };
}

const builders: Record<string, KernelOverride> = {
  Slice: (stock) =>
    withStock(stock, (args, x, backend) => {
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
      return sliceInfo(backend, x, b, s);
    }),
  Unpack: (stock) =>
    withStock(stock, (args, x, backend) => {
      let axis = (args.attrs as unknown as { axis: number }).axis;
      if (axis < 0) axis += x.shape.length;
      const outShape = x.shape.filter((_, i) => i !== axis);
      const begin = x.shape.map(() => 0);
      const size = [...x.shape];
      size[axis] = 1;
      const outs: tf.TensorInfo[] = [];
      for (let i = 0; i < x.shape[axis]; i++) {
        begin[axis] = i;
        const o = sliceInfo(backend, x, begin, size);
        outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape });
      }
      return outs;
    }),
  SplitV: (stock) =>
    withStock(stock, (args, x, backend) => {
      const { numOrSizeSplits, axis } = args.attrs as unknown as {
        numOrSizeSplits: number | number[];
        axis: number;
      };
      const ax = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
      const begin = x.shape.map(() => 0);
      return sizes.map((s) => {
        const size = [...x.shape];
        size[ax] = s;
        const o = sliceInfo(backend, x, begin, size);
        begin[ax] += s;
        return o;
      });
    }),
};

let installed = false;

export function installWasmSlicing(): void {
  if (installed) return;
  overrideWasmKernels(builders);
  installed = true;
}
