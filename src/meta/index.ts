export type { MetaLearner, EpisodeData, LabelledSet, LearnerFamily, TaskLoss as LossKind } from './types.js';
export { taskLoss, episodeOutputs, episodeLoss, metaGrads, accuracyOf } from './common.js';
export * from './blackbox/index.js';
export {
  protoNet,
  classMeans,
  negSquaredDistances,
  type ProtoNetOptions,
  type Prototypes,
} from './metric/protonet.js';
export { matchingNet, type MatchingNetOptions, type SupportMemory } from './metric/matching.js';
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
