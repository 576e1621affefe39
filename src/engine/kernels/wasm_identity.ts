import * as tf from '@tensorflow/tfjs';

/**
 * Identity for the wasm backend that shares the input's buffer (a reference count, as the cpu backend
 * and the wasm Reshape do) instead of copying it. tfjs clones every tensor a gradient saves for the
 * backward pass through Identity, so the stock copy cost about 10% of a Conv4 training step.
 * Sharing is safe because no kernel writes into its inputs; Variable.assign swaps buffers, it does
 * not overwrite them.
 */
interface WasmBackendLike {
  incRef(dataId: object): void;
}

let installed = false;

export function installWasmIdentity(): void {
  if (installed) return;
  const stock = tf.getKernel('Identity', 'wasm');
  if (!stock) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return stock.kernelFunc(args);
      (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  installed = true;
}
