/**
 * metalearn-ts in a web page: the browser-safe part of the public API, the union of every folder's
 * index.ts. Nothing reachable from this module imports a `node:*` module (test/browser.test.ts walks the
 * import graph to keep it so), so a bundler such as Vite can take it as is. Left out, because they read or
 * write files: the folders' node.ts barrels (Omniglot, image-folder and CSV readers, downloads, episode set
 * files, saveParams/loadParams, checkpoints, worker-thread training, the multi-task benchmarks). Weights
 * travel as the same model.json + weights.bin: `fetchParams(url)` loads them over HTTP.
 *
 * The wasm backend needs its .wasm files served; call `setWasmPaths(prefixOrFileMap)` before `initEngine()`
 * (a Vite page can import each file with `?url`, see web/src/main.ts).
 */
export * from './engine/index.js';
export * from './nn/index.js';
export * from './data/index.js';
export * from './tasks/index.js';
export * from './meta/index.js';
export * from './multitask/index.js';
export * from './train/index.js';
export * from './experiment/index.js';
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
