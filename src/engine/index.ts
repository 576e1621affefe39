// Engine (browser-safe): TensorFlow.js, backend choice, seeded randomness, differentiable ops, statistics.

// TensorFlow.js as the library uses it (with second-order gradients registered), and backend selection.
export { tf } from './tf.js';
export type { Tensor } from './tf.js';
export {
  initEngine,
  currentBackend,
  BACKENDS,
  BACKEND_ENV,
  THREADS_ENV,
  kernelThreads,
  setKernelThreads,
  type BackendName,
  type EngineOptions,
} from './backend.js';

// Seeded random numbers.
export { Rng, sizeOf, sampleDistinct } from './rng.js';

// Differentiable ops with second-order gradients, and one-hot encoding.
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
export { solveSpd } from './linalg.js';

// Confidence intervals for reported means.
export { meanCI, formatCI, pairedDifference, type MeanCI, type PairedDifference } from './stats.js';
export {
  erf,
  normalCdf,
  gaussianMixtureNll,
  intervalCoverage,
  categoricalNll,
  calibrationBins,
  addCalibrationBins,
  eceOfBins,
  expectedCalibrationError,
  type GaussianMixtureValues,
  type CalibrationBins,
} from './uncertainty.js';
