import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's backend that this library's kernels use (the package exports no type). */
export interface WasmBackendLike {
  /** A view of a tensor's data in the wasm heap; take it after the last allocation (the heap may grow). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}

/** Builds a replacement kernel from the stock one, which it keeps as the fallback for what it does not cover. */
export type KernelOverride = (stock: tf.KernelConfig) => tf.KernelConfig;

/** Replace each named wasm kernel by the one built from its stock kernel; names wasm lacks are skipped. */
export function overrideWasmKernels(builders: Record<string, KernelOverride>): void {
  for (const [name, build] of Object.entries(builders)) {
    const stock = tf.getKernel(name, 'wasm');
    if (!stock) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(build(stock));
  }
}
