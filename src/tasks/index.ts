// Tasks (browser-safe): the meta-learning problem as data. Tasks and task distributions, descriptors,
// losses, N-way K-shot episodes, meta-splits, and the sinusoid and tabular task families.

// Tasks, support/query sets, and task distributions.
export {
  type LabelledSet,
  type SupportQuery,
  type Episode,
  type DataSource,
  type Task,
  type TaskDistribution,
  disposeLabelledSet,
  disposeSupportQuery,
  sampleSupportQuery,
  finiteTaskDistribution,
} from './types.js';

// Task descriptors z_i and task losses L_i.
export {
  type TaskDescriptor,
  noDescriptor,
  oneHotDescriptor,
  metadataDescriptor,
  textDescriptor,
  defaultTextEmbedder,
  descriptorMatrix,
} from './descriptors.js';
export {
  type LossFn,
  type TaskLoss,
  type LossName,
  mseLoss,
  crossEntropyLoss,
  LOSSES,
  LOSS_OF_KIND,
} from './losses.js';

// N-way K-shot episodes from a ClassDataset, and fixed episode sets for evaluation.
export {
  EpisodeSampler,
  EpisodeSet,
  type EpisodeOptions,
  type EpisodeSpec,
  type EpisodeBatch,
  type EpisodeSetJson,
} from './episodes.js';

// Composable task transforms (N ways, K shots, label order, class and data augmentation) and task sources.
export {
  TaskSource,
  taskSource,
  nWays,
  kShots,
  nQueries,
  remapLabels,
  withinGroups,
  classAugment,
  augment,
  type TaskTransform,
} from './transforms.js';

// Meta-train / meta-validation / meta-test splits of classes.
export {
  splitClassIds,
  splitClassesByGroup,
  metaSplits,
  type ClassSplit,
  type SplitSizes,
} from './splits.js';

// Task families: sinusoid regression (Finn et al. 2017) and tables of per-task rows.
export {
  SinusoidSource,
  SinusoidTasks,
  type SinusoidOptions,
  type SinusoidTask,
  type SinusoidBatch,
} from './sinusoid.js';
export { TabularSource, tabularTaskDistribution, type TabularDescriptorKind } from './tabular.js';
