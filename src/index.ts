/** metalearn-ts: multi-task and meta-learning on TensorFlow.js. The public API, from one place. */
export * from './engine/index.js';
export * from './nn/index.js';
export * from './data/index.js';
export * from './tasks/index.js';
export * from './meta/index.js';
export * from './train/index.js';
export * from './multitask/index.js';
export { WorkerPool, type WorkerInit } from './train/workers.js';
export * from './experiment/index.js';
export * from './experiment/node.js';
