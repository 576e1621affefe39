/**
 * The experiment layer's Node-only API (run folders, data files, worker threads): what the CLI runs,
 * for library users too.
 *
 *   const cfg = resolveConfig({ learner: 'maml', dataset: 'sinusoid' }, 'my script', {});
 *   const summary = await runExperiment({ ...cfg, out: 'runs/sin' });   // train, validate, meta-test
 *   await runExperiment({ ...cfg, out: 'runs/sin', steps: 600 }, console.log, { resume: true });
 *   await evaluateRun('runs/sin', { shot: 10 });
 */
export {
  runExperiment,
  evaluateRun,
  evaluatePresentationsRun,
  type RunSummary,
  type RunOptions,
  type EvalSummary,
  type PresentationEvalSummary,
} from './run.js';
export {
  problemOf,
  evalProblemOf,
  type Problem,
  type ProblemKind,
  type EvalProblem,
  type EvalOverrides,
  type SavedEpisodes,
  type PerEpisodeScores,
  type EpisodeSetDigest,
} from './problem.js';
export { loadMetaDatasets, type MetaDatasets } from './datasets.js';
export { readConfigFile, readRunConfig } from './config_file.js';
export { runFolder, truncateMetrics, type RunFolder } from './run_folder.js';
export { initFromFolder } from './warm_start.js';
export { exportRun, predictFolder, type Prediction } from './predict.js';
export { evaluateModel, readModelConfig, type ModelEvalSummary } from './model_eval.js';
export { compareResults, readScoredResult, type Comparison, type ScoredResult } from './compare.js';
export { shippedModels, shippedModelDir, shippedModelsRoot } from './shipped_models.js';
export { timeMamlWorkers } from './bench/maml_workers.js';
export {
  TRANSFER_PRESETS,
  runTransfer,
  planTransfer,
  writeTransferFiles,
  machineLine,
  type TransferPlan,
  type TransferOptions,
  type TransferPreset,
  type TransferOutcome,
} from './transfer.js';
export {
  dataFingerprint,
  checkDataFingerprint,
  DATA_FILE,
  type DataFingerprint,
  type SplitFingerprint,
  type Split as DataSplit,
} from './data_fingerprint.js';
export {
  runSweepJob,
  writeSweepTable,
  sweepCollected,
  ATTEMPTS_FILE,
  WORKER_LOG,
  JOB_THREADS_ENV,
  type RunJobData,
  type SweepFiles,
} from './sweep_jobs.js';
export {
  enqueueSweep,
  waitForSweep,
  evaluateOnQueue,
  startSweepWorker,
  collectJobId,
  runJobId,
  DEFAULT_QUEUE,
  enqueueTransfer,
  waitForTransfer,
  transferJobId,
  jobThreads,
  type QueueConnection,
  type CollectResult,
  type SweepWorkerOptions,
  type EvalShardsOutcome,
} from './sweep_queue.js';
export type {
  CollectJobData,
  EvalShardJobData,
  EvalCollectJobData,
  TransferCollectJobData,
} from './sweep_processor.js';
export {
  planTransferJobs,
  pieceJobs,
  pieceFile,
  settingSlug,
  runTransferPieceJob,
  collectTransferJobs,
  type TransferJobPlan,
  type TransferPieceJob,
  type TransferPieceFile,
  type TransferPieceResult,
  type TransferCollectResult,
} from './transfer_jobs.js';
export {
  evaluateShard,
  combineShards,
  writeShardsSummary,
  type EvalShard,
  type EvalShardResult,
  type EvalShardsSummary,
} from './eval_shards.js';
