// Meta-learners (browser-safe): one MetaLearner interface; black-box, optimisation-based and metric learners.

// The interface, and the episode-level helpers every learner shares.
export type {
  MetaLearner,
  LearnerFamily,
  PredictiveDistribution,
  GaussianPredictive,
  CategoricalPredictive,
} from './types.js';
export {
  taskLoss,
  episodeOutputs,
  episodeLoss,
  metaGrads,
  episodePredictive,
  disposePredictive,
  seedOfTensors,
} from './common.js';

// Saved params against a learner's names and shapes, one check for every loader.
export {
  checkParamsMatch,
  learnerShapes,
  shapesOf,
  type ParamShapes,
  type FitOptions,
} from './check_params.js';

// Black-box learners: MANN, SNAIL, CNP.
export * from './blackbox/index.js';

// Metric learners: prototypical and matching networks.
export {
  protoNet,
  classMeans,
  negSquaredDistances,
  type ProtoNetOptions,
  type Prototypes,
} from './metric/protonet.js';
export { matchingNet, type MatchingNetOptions, type SupportMemory } from './metric/matching.js';

// Optimisation-based learners: MAML, ANIL, Meta-SGD, Reptile.
export {
  maml,
  anil,
  metaSgd,
  type MamlOptions,
  type InnerLrMode,
  type AdaptedParams,
} from './optimization/maml.js';
export { reptile, type ReptileOptions } from './optimization/reptile.js';
export {
  abml,
  weightKl,
  type AbmlOptions,
  type AbmlLearner,
  type WeightPosterior,
} from './optimization/abml.js';
export {
  LEARNERS,
  LEARNER_NAMES,
  REGRESSION_LEARNERS,
  isLearnerName,
  learnerEntry,
  type LearnerName,
  type LearnerEntry,
  type ClassifierOptions,
  type RegressorOptions,
} from './registry.js';
