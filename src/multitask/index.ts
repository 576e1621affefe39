// Multi-task learning (browser-safe): task conditioning, loss weighting, task sampling, the training loop,
// and the negative-transfer report. The benchmark loaders read files: multitask/node.ts.

// Task sets and batches.
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
  StepObservation,
} from './types.js';
export {
  validateTaskSet,
  buildBatch,
  disposeBatch,
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
export { crossStitchNet, type CrossStitchOptions } from './conditioning/cross_stitch.js';
export { sluiceNet, type SluiceOptions } from './conditioning/sluice.js';
export { mtanNet } from './conditioning/mtan.js';
export { dselectNet, dselectWeights, smoothStep, type DSelectOptions } from './conditioning/dselect.js';
export { mmoeNet, cgcNet, pleNet, extractionNet, type ExpertOptions } from './conditioning/experts.js';
export { softSharingNet, type SoftSharingOptions } from './conditioning/soft.js';
export {
  relationshipNet,
  relationCovariances,
  taskCovariance,
  invertMatrix,
  type RelationOptions,
  type Matrix,
} from './conditioning/relation.js';
export { heatmapSvg, type HeatmapOptions } from '../report/heatmap.js';
export {
  routingNet,
  wplUpdate,
  type RoutingOptions,
  type RoutingNet,
  type RouterState,
} from './conditioning/routing.js';
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
  type SampleLosses,
  type WeightingStepInfo,
} from './weighting/types.js';
export { equalWeighting, fixedWeighting, type FixedOptions } from './weighting/equal.js';
export { uncertaintyWeighting } from './weighting/uncertainty.js';
export { dwaWeighting, type DwaOptions, type DwaState } from './weighting/dwa.js';
export { gradNormWeighting, type GradNormOptions, type GradNormState } from './weighting/gradnorm.js';
export { pcgradWeighting, type PcgradState } from './weighting/pcgrad.js';
export {
  autoLambdaWeighting,
  autoLambdaStep,
  AUTO_LAMBDA_KEY,
  type AutoLambdaOptions,
  type AutoLambdaStep,
} from './weighting/auto_lambda.js';
export type { Mat, Vec } from './weighting/linalg.js';
export {
  aggregationStep,
  sampledAggregationStep,
  type AggregationInput,
  type SampledAggregationInput,
  type Aggregated,
} from './weighting/aggregate.js';
export {
  mgdaWeighting,
  mgdaAggregate,
  minNormSener,
  minNormFrankWolfe,
  type MgdaOptions,
  type MgdaNormalisation,
  type MgdaSolver,
} from './weighting/mgda.js';
export { gradVacWeighting, type GradVacOptions, type GradVacState } from './weighting/gradvac.js';
export { gradDropWeighting, type GradDropOptions, type GradDropState } from './weighting/graddrop.js';
export { imtlWeighting, IMTL_KEY } from './weighting/imtl.js';
export { caGradWeighting, type CaGradOptions } from './weighting/cagrad.js';
export { nashMtlWeighting, nashWeights, type NashMtlOptions } from './weighting/nash_mtl.js';
export { rlwWeighting, type RlwState } from './weighting/rlw.js';
export { alignedMtlWeighting, type AlignedMtlOptions } from './weighting/aligned_mtl.js';
export { dbMtlWeighting, type DbMtlOptions, type DbMtlState } from './weighting/db_mtl.js';
export { famoWeighting, type FamoOptions, type FamoState } from './weighting/famo.js';
export { upgradWeighting, upgradWeights, type UpgradOptions } from './weighting/upgrad.js';
export { glsWeighting } from './weighting/gls.js';
export { mocoWeighting, type MocoOptions, type MocoState } from './weighting/moco.js';
export { excessMtlWeighting, type ExcessMtlOptions, type ExcessMtlState } from './weighting/excess_mtl.js';
export { stchWeighting, stchCoefficients, type StchOptions, type StchState } from './weighting/stch.js';
export { fairGradWeighting, fairGradWeights, type FairGradOptions } from './weighting/fairgrad.js';
export { modoWeighting, modoAggregate, type ModoOptions, type ModoState } from './weighting/modo.js';
export {
  sdmgradWeighting,
  sdmgradAggregate,
  sdmgradProject,
  type SdmgradOptions,
  type SdmgradState,
  type SdmgradResult,
} from './weighting/sdmgrad.js';

// Task sampling
export {
  SAMPLERS,
  samplerNames,
  makeSampler,
  uniformSampler,
  proportionalSampler,
  temperatureSampler,
  annealedSampler,
  sampleTasks,
  type TaskSampler,
  type SamplerName,
  type SamplerOptions,
  type AnnealedOptions,
} from './sampling.js';

// Training, evaluation, report
export { trainMultiTask, type TrainOptions, type TrainResult, type StepRecord } from './trainer.js';
export { GroupedOptimizer } from './optimizer.js';
export { scoreExamples, type TaskScores } from './evaluate.js';
export { verdictOf, formatMetric, type Verdict } from './stats.js';
export {
  runTransferReport,
  transferShape,
  trainIndependentPiece,
  trainSettingPiece,
  combineTransferReport,
  type TransferShape,
  type ReportBudget,
  type TransferPiece,
  type ReportSetting,
  type ReportOptions,
  type TaskComparison,
  type SettingResult,
  type TransferReport,
} from './transfer.js';
export { formatTransferMarkdown, type ReportContext } from './markdown.js';
export { gainChartSvg } from './svg.js';
