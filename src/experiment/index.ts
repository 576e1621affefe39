/**
 * The experiment layer's browser-safe part: run configs (defaults, schema, validation), learners built
 * from a config through the meta registry, the named seeds of a run, and our benchmark workloads. The
 * Node-only part (run folders, training runs, eval, export, predict, transfer reports) is in ./node.ts.
 */
export {
  DEFAULTS,
  SCHEMA,
  CONFIG_KEYS,
  DATASETS,
  resolveConfig,
  checkValue,
  upgradeSavedConfig,
  parseLrSchedule,
  learningRate,
  type RunConfig,
  type DatasetName,
  type FieldSpec,
  type FieldKind,
} from './config.js';
export { makeLearner, makeRegressionLearner, classifierOptions } from './learners.js';
export * from './seeds.js';
export {
  expandSweep,
  sweepTable,
  sweepMarkdown,
  SWEEP_FIELDS,
  type SweepSpec,
  type RandomField,
  type SweepSetting,
  type SweepRun,
  type ExpandedSweep,
  type SweepRunResult,
  type SweepTable,
} from './sweep.js';
export {
  BENCH_WORKLOADS,
  DEFAULT_BENCH_WORKLOADS,
  benchOurs,
  benchTable,
  benchKey,
  kernelPath,
  type BenchResult,
  type BenchOptions,
} from './bench/workloads.js';
