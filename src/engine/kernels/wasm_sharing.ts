import * as tf from '@tensorflow/tfjs';
import { overrideWasmKernels, type WasmBackendLike } from './wasm_backend.js';

/**
 * Identity, and Cast to the dtype a tensor already has, for the wasm backend: both share the input's
 * buffer (a reference count, as the cpu backend and the wasm Reshape do) instead of copying it. tfjs
 * clones every tensor a gradient saves through Identity, and its Mul gradient casts float32 to float32,
 * so the stock copies cost about a tenth of a Conv4 training step. Sharing is safe because no kernel
 * writes into its inputs; Variable.assign swaps buffers, it does not overwrite them.
 */

function share(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  (args.backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let installed = false;

export function installWasmSharing(): void {
  if (installed) return;
  overrideWasmKernels({
    Identity: (identity) => ({
      ...identity,
      kernelFunc: (args) =>
        (args.inputs.x as tf.TensorInfo).dtype === 'string' ? identity.kernelFunc(args) : share(args),
    }),
    Cast: (cast) => ({
      ...cast,
      kernelFunc: (args) =>
        (args.inputs.x as tf.TensorInfo).dtype === (args.attrs as { dtype: string }).dtype
          ? share(args)
          : cast.kernelFunc(args),
    }),
  });
  installed = true;
}
