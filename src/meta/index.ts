// Meta-learners (browser-safe): one MetaLearner interface; black-box, optimisation-based and metric learners.

// The interface, and the episode-level helpers every learner shares.
export type {
  MetaLearner,
  LearnerFamily,
  TrainProgress,
  PredictiveDistribution,
  GaussianPredictive,
  CategoricalPredictive,
} from './types.js';
export {
  taskLoss,
  episodeOutputs,
  episodeLoss,
  metaGrads,
  meanLossGrads,
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

// Metric learners: prototypical, matching and relation networks.
export {
  protoNet,
  classMeans,
  negSquaredDistances,
  type ProtoNetOptions,
  type Prototypes,
} from './metric/protonet.js';
export { matchingNet, type MatchingNetOptions, type SupportMemory } from './metric/matching.js';
export { relationNet, type RelationNetOptions, type ClassFeatures } from './metric/relation.js';

// Optimisation-based learners: MAML, ANIL, Meta-SGD, MAML++, iMAML, R2D2, Reptile; implicit gradients.
export {
  maml,
  anil,
  metaSgd,
  type MamlOptions,
  type InnerLrMode,
  type AdaptedParams,
} from './optimization/maml.js';
export { reptile, type ReptileOptions } from './optimization/reptile.js';
// Hyperparameters as meta-parameters: unrolled or implicit hypergradients of an inner SGD run.
export {
  hyperMaml,
  hypergradient,
  innerObjective,
  type HypergradientMethod,
  type HypergradientOptions,
  unrolledSgd,
  disposeUnrolled,
  readHyperparams,
  lrKey,
  HYPER_PREFIX,
  WEIGHT_DECAY_KEY,
  MOMENTUM_KEY,
  type HyperMamlOptions,
  type HyperLrMode,
  type HyperPhi,
  type InnerHyperparams,
  type UnrolledRun,
  type Hypergradient,
} from './optimization/hyper.js';
export { r2d2, ridgeWeights, type R2d2Options, type RidgeWeights } from './optimization/r2d2.js';
export {
  mamlPlusPlus,
  mslWeights,
  type MamlPlusPlusOptions,
  type MamlPlusPlusSwitches,
  type MamlPlusPlusPhi,
} from './optimization/maml_pp.js';
export { imaml, type ImamlOptions } from './optimization/imaml.js';
export {
  hvp,
  crossVjp,
  gradOf,
  dotParams,
  addScaled,
  conjugateGradient,
  implicitGradient,
  type CgOptions,
  type CgResult,
  type ImplicitGradientOptions,
} from './optimization/implicit.js';
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
  BACKBONES,
  BACKBONE_NAMES,
  type BackboneName,
  type BackboneEntry,
  REGRESSION_LEARNERS,
  isLearnerName,
  learnerEntry,
  type LearnerName,
  type LearnerEntry,
  type ClassifierOptions,
  type RegressorOptions,
} from './registry.js';
