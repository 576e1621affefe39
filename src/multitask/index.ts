// Multi-task learning (Caruana 1997): task conditioning, loss weighting, task sampling, the training
// loop, and the negative-transfer report.
export type {
  TaskKind,
  TaskRows,
  MultiTaskTask,
  MultiTaskSet,
  Segment,
  MultiTaskInput,
  ArchSpec,
  Owner,
  MultiTaskNet,
} from './types.js';
export {
  validateTaskSet,
  buildBatch,
  disposeBatch,
  splitIndices,
  takeRows,
  subsetTasks,
  type RowPick,
  type MultiTaskBatch,
} from './data.js';

// Conditioning architectures
export {
  ARCHITECTURES,
  architectureNames,
  makeArchitecture,
  type ArchitectureName,
  type ArchitectureOptions,
} from './conditioning/registry.js';
export { concatNet, type ConcatOptions } from './conditioning/concat.js';
export { additiveNet, type AdditiveOptions } from './conditioning/additive.js';
export { multiheadNet } from './conditioning/multihead.js';
export { gatingNet, type GatingOptions } from './conditioning/gating.js';
export { filmNet, type FilmOptions } from './conditioning/film.js';
export { independentNet } from './conditioning/independent.js';
export { crossStitchNet, stitchInit, type CrossStitchOptions } from './conditioning/cross_stitch.js';
export { sluiceNet, type SluiceOptions } from './conditioning/sluice.js';
export { mtanNet } from './conditioning/mtan.js';
export { softSharingNet, type SoftSharingOptions } from './conditioning/soft.js';
export type { HeadKind } from './conditioning/common.js';

// Loss weighting
export {
  WEIGHTINGS,
  weightingNames,
  makeWeighting,
  type WeightingName,
  type WeightingOptions,
} from './weighting/registry.js';
export {
  WEIGHTING_PREFIX,
  type Weighting,
  type WeightingInit,
  type WeightingResult,
  type LossOracle,
  type WeightingStepInfo,
} from './weighting/types.js';
export { partialGrads, weightedGrads, addGrads, gradNorm } from './weighting/grads.js';
export { equalWeighting, fixedWeighting, type FixedOptions } from './weighting/equal.js';
export { uncertaintyWeighting, uncertaintyLoss, UNCERTAINTY_KEY } from './weighting/uncertainty.js';
export { dwaWeighting, dwaWeights, type DwaOptions, type DwaState } from './weighting/dwa.js';
export {
  gradNormWeighting,
  gradNormWeightGrads,
  GRADNORM_KEY,
  type GradNormOptions,
  type GradNormState,
} from './weighting/gradnorm.js';
export { pcgradWeighting, pcgradProject, pcgradCoefficients, type PcgradState } from './weighting/pcgrad.js';

// Task sampling
export {
  SAMPLERS,
  samplerNames,
  makeSampler,
  uniformSampler,
  proportionalSampler,
  temperatureSampler,
  annealedSampler,
  temperatureProbabilities,
  annealedAlpha,
  sampleTasks,
  type TaskSampler,
  type SamplerName,
  type SamplerOptions,
  type AnnealedOptions,
} from './sampling.js';

// Training, evaluation, report
export { trainMultiTask, type TrainOptions, type TrainResult, type StepRecord } from './trainer.js';
export { GroupedOptimizer } from './optimizer.js';
export { multiTaskLoss } from './losses.js';
export { scoreExamples, type TaskScores } from './evaluate.js';
export { verdictOf, meanOfMeans, seedRowCI, formatMetric, type Verdict } from './stats.js';
export {
  runTransferReport,
  type ReportSetting,
  type ReportOptions,
  type TaskComparison,
  type SettingResult,
  type TransferReport,
} from './transfer.js';
export { formatTransferMarkdown, type ReportContext } from './markdown.js';
export { gainChartSvg, niceTicks } from './svg.js';
export {
  BENCHMARKS,
  loadBenchmark,
  youtubeSpamTasks,
  parkinsonsTasks,
  omniglotAlphabetTasks,
  type BenchmarkName,
  type BenchmarkOptions,
  type ParkinsonsTaskOptions,
  type OmniglotTaskOptions,
  type DescriptorKind,
} from './benchmarks.js';
