import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's backend that this library's kernels use (the package exports no type). */
export interface WasmBackendLike {
  /** A view of a tensor's data in the wasm heap; take it after the last allocation (the heap may grow). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}
