/**
 * metalearn-ts: multi-task and meta-learning on TensorFlow.js. The public API for Node: everything the
 * browser entry has, plus the Node-only modules (files, downloads, checkpoints, worker threads, run
 * folders).
 */
export * from './browser.js';
export * from './nn/node.js';
export * from './data/node.js';
export * from './tasks/node.js';
export * from './multitask/node.js';
export * from './train/node.js';
export * from './experiment/node.js';
