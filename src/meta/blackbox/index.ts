// Black-box meta-learners: phi_i = f_theta(D_i^tr) is computed by a network that reads the support set.
export { mann, mannItems, type MannOptions, type MannMemory, type MannLearner } from './mann.js';
export {
  snail,
  DEFAULT_SNAIL_BLOCKS,
  SNAIL_BLOCK_PRESETS,
  type SnailOptions,
  type SnailBlock,
  type SnailMemory,
  type SnailLearner,
} from './snail.js';
export {
  cnpRegressor,
  cnpClassifier,
  gaussianNll,
  type CnpRegressorOptions,
  type CnpClassifierOptions,
  type CnpRegressor,
  type CnpRepresentation,
} from './cnp.js';
export {
  npRegressor,
  npClassifier,
  diagGaussianKl,
  type NpCommonOptions,
  type NpRegressorOptions,
  type NpClassifierOptions,
  type NpPosterior,
  type NpLearner,
} from './np.js';
export {
  mannMemory,
  presentationAccuracy,
  type MannMemoryOptions,
  type MannMemoryLearner,
  type LruaState,
} from './mann_memory.js';
export type { EncoderSpec, EncoderOptions } from './shared.js';
