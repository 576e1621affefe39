// The meta-learning problem as data: tasks, descriptors, episodes, meta-splits, class augmentation.
export {
  type LabeledSet,
  type SupportQuery,
  type Episode,
  type DataSource,
  type Task,
  type TaskDistribution,
  disposeLabeledSet,
  disposeSupportQuery,
  sampleSupportQuery,
  finiteTaskDistribution,
} from './types.js';
export {
  type TaskDescriptor,
  noDescriptor,
  oneHotDescriptor,
  metadataDescriptor,
  textDescriptor,
  defaultTextEmbedder,
  descriptorMatrix,
} from './descriptors.js';
export { type LossFn, type TaskLoss, mseLoss, crossEntropyLoss } from './losses.js';
export {
  EpisodeSampler,
  EpisodeSet,
  sampleDistinct,
  type EpisodeOptions,
  type EpisodeSpec,
  type EpisodeBatch,
  type EpisodeSetJson,
} from './episodes.js';
export {
  ClassSubset,
  ConcatClasses,
  splitClassIds,
  splitClassesByGroup,
  assertDisjoint,
  metaSplits,
  type ClassSplit,
  type SplitSizes,
} from './splits.js';
export { RotatedClasses, type RotatedEntry } from './augment.js';
