// Multi-task learning, Node-only: the benchmark task sets, read from data files.
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
