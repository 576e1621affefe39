export { sgd, adam, type Optimizer, type AdamOptions, type AdamState } from './optim.js';
export {
  metaTrain,
  metaTrainAsync,
  type MetaGradsFn,
  type MetaTrainOptions,
  type MetaTrainResult,
  type StepInfo,
} from './loop.js';
export { evaluate, disposeEpisode, type EvalResult } from './evaluate.js';
export { meanCI, formatCI, type MeanCI } from './stats.js';
