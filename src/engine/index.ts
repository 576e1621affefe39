export { tf } from './tf.js';
export type { Tensor } from './tf.js';
export {
  initEngine,
  currentBackend,
  BACKENDS,
  BACKEND_ENV,
  type BackendName,
  type EngineOptions,
} from './backend.js';
export { Rng, sizeOf, sampleDistinct } from './rng.js';
export { meanCI, formatCI, type MeanCI } from './stats.js';
export {
  stopGradient,
  logSumExp,
  logSoftmax,
  softmaxCrossEntropy,
  sparseSoftmaxCrossEntropy,
  meanSquaredError,
  moments,
  accuracy,
} from './ops.js';
export { oneHotF32 } from './onehot.js';
