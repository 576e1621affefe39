// Neural networks (browser-safe): params records, modules and layers, optimisers, the weights format.

// Params: flat records of named tensors, and helpers over them.
export type { Params, State } from './params.js';
export {
  subParams,
  withPrefix,
  mapParams,
  zipParams,
  disposeParams,
  cloneParams,
  countParams,
  valueAndGrads,
} from './params.js';

// Modules and layers.
export { type Module, type Ctx, TRAIN, EVAL, childCtx } from './module.js';
export {
  dense,
  conv2d,
  batchNorm,
  layerNorm,
  maxPool2d,
  flatten,
  activate,
  type Activation,
  type DenseOptions,
  type Conv2dOptions,
  type BatchNormOptions,
  type Padding,
} from './layers.js';
export { mlp, type MlpOptions } from './mlp.js';
export { sequential } from './sequential.js';
export { conv4, type Conv4Options } from './conv4.js';
export {
  resnet12,
  resnet12ActivationBytes,
  WASM_ACTIVATION_LIMIT,
  type ResNet12Options,
} from './resnet12.js';
export {
  cellNet,
  cellEdges,
  deriveGenotype,
  parseGenotype,
  DARTS_OPS,
  ALPHA_KEY,
  type CellNetOptions,
  type DartsOp,
  type Genotype,
} from './darts.js';
export { lstm } from './lstm.js';
export { multiHeadAttention, type AttentionOptions, type AttentionInput } from './attention.js';

// Functional optimisers over Params records.
export { sgd, adam, type Optimizer, type AdamOptions, type AdamState } from './optim.js';

// Params in the tfjs weights format (model.json + weights.bin), and loading them over HTTP.
export {
  WEIGHTS_FILE,
  MODEL_FILE,
  paramsToArtifacts,
  paramsToArtifactsSync,
  artifactsToParams,
  fetchParams,
  type ParamsArtifacts,
} from './io.js';
