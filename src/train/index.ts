export {
  metaTrain,
  metaTrainAsync,
  type MetaGradsFn,
  type MetaTrainOptions,
  type MetaTrainResult,
  type StepInfo,
} from './loop.js';
export { evaluate, disposeEpisode, type EvalResult } from './evaluate.js';
