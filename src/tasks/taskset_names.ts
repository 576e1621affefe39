// The names of getTaskSets (tasks/tasksets.ts, Node-only) in a browser-safe module, so that run configs
// (experiment/config.ts) can list them without importing the readers.

/** Every name getTaskSets (and the CLI's --dataset) accepts for a set of image classes. */
export const TASKSET_NAMES = [
  'synthetic',
  'omniglot',
  'omniglot-lake',
  'folder',
  'mini-imagenet',
  'tiered-imagenet',
  'cifar-fs',
  'fc100',
  'cub',
] as const;
/** A name of TASKSET_NAMES. */
export type TaskSetName = (typeof TASKSET_NAMES)[number];

/** True when `name` is one of TASKSET_NAMES. */
export const isTaskSetName = (name: string): name is TaskSetName =>
  (TASKSET_NAMES as readonly string[]).includes(name);
