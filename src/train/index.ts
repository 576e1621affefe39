// Training (browser-safe): the meta-training loop and meta-test evaluation, in-process.
export {
  metaTrain,
  metaTrainAsync,
  TrainingDivergedError,
  type MetaGradsFn,
  type MetaTrainOptions,
  type MetaTrainResult,
  type StepInfo,
  type Checkpoint,
} from './loop.js';
export {
  evaluate,
  evaluatePresentations,
  formatUncertainty,
  uncertaintyRecord,
  ECE_BINS,
  type EvalResult,
  type UncertaintyResult,
  type PresentationResult,
} from './evaluate.js';
