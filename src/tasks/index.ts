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
  type EpisodeOptions,
  type EpisodeSpec,
  type EpisodeBatch,
  type EpisodeSetJson,
} from './episodes.js';
export {
  splitClassIds,
  splitClassesByGroup,
  metaSplits,
  type ClassSplit,
  type SplitSizes,
} from './splits.js';
export {
  SinusoidSource,
  SinusoidTasks,
  type SinusoidOptions,
  type SinusoidTask,
  type SinusoidBatch,
} from './sinusoid.js';
export { TabularSource, tabularTaskDistribution, type TabularDescriptorKind } from './tabular.js';
