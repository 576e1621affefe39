// Tasks, Node-only: episode sets read from and written to JSON files.
export { loadEpisodeSet, saveEpisodeSet } from './episode_files.js';

// One call from a dataset name to training, validation and test task sources (reads files).
export {
  getTaskSets,
  loadTaskSplits,
  taskSetsOf,
  taskSetFiles,
  isTaskSetName,
  TASKSET_NAMES,
  type TaskSetName,
  type TaskSetsOptions,
  type TaskSets,
  type TaskSplits,
} from './tasksets.js';
