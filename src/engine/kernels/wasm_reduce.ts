import * as tf from '@tensorflow/tfjs';
import { overrideWasmKernels, type WasmBackendLike } from './wasm_backend.js';
import { nativeKernels } from './native.js';
import { sizeOf } from '../rng.js';
import { type ReduceBlockFn, reduceBlock } from './reduce_block.js';

/**
 * Sum and Mean for the wasm backend, over wasm memory with float64 accumulators: in the native addon
 * when it is built, else in JavaScript.
 * tfjs-backend-wasm 4.22 transposes the input so the reduced axes are innermost and then sums in float32:
 * the transpose made reductions over [batch, h, w] (every batch-norm and bias gradient) the largest cost
 * of a Conv4 step, and float32 accumulation put errors of order 1e-3 into batch-norm gradients.
 * Reductions over one contiguous block of axes (all that the library's ops produce) take this path;
 * anything else, and non-float32 inputs, goes to the stock kernel.
 */

function normAxes(axis: number | number[] | null | undefined, rank: number): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** [outer, reduced, inner] sizes when the reduced axes form one contiguous block; null otherwise. */
function blockSplit(shape: number[], axes: number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return null;
  const first = axes[0];
  const end = axes[axes.length - 1] + 1;
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, end)), sizeOf(shape.slice(end))];
}

function makeKernel(name: 'Sum' | 'Mean', stock: tf.KernelConfig, reduce: ReduceBlockFn): tf.KernelConfig {
  // The stock config (name, backend, setup) with another kernel function; it stays the fallback.
  return {
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const attrs = args.attrs as { axis?: number | number[] | null; keepDims?: boolean };
      const axes = normAxes(attrs.axis, x.shape.length);
      const split = x.dtype === 'float32' ? blockSplit(x.shape, axes) : null;
      if (split === null) return stock.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const outShape = attrs.keepDims
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      const out = backend.makeOutput(outShape, 'float32');
      const [outer, red, inner] = split;
      reduce(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(out) as Float32Array,
        outer,
        red,
        inner,
        name === 'Mean' ? 1 / red : 1,
      );
      return out;
    },
  };
}

let installed = false;

/** Replace the wasm backend's Sum and Mean kernels (idempotent). */
export function installWasmReductions(): void {
  if (installed) return;
  const addon = nativeKernels();
  const reduce = addon ? addon.reduceBlock.bind(addon) : reduceBlock;
  overrideWasmKernels({
    Sum: (stock) => makeKernel('Sum', stock, reduce),
    Mean: (stock) => makeKernel('Mean', stock, reduce),
  });
  installed = true;
}
