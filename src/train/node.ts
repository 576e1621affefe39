// Training, Node-only: checkpoints on disk and meta-gradients computed in worker threads.
export { saveCheckpoint, loadCheckpoint } from './checkpoint.js';
export { WorkerPool, type WorkerInit } from './workers.js';
