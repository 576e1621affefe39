/**
 * metalearn-ts in a web page: the browser-safe part of the public API. Nothing reachable from this module
 * imports a `node:*` module (test/browser.test.ts walks the import graph to keep it so), so a bundler such as
 * Vite can take it as is. Left out, because they read or write files: the Omniglot, image-folder, CSV and
 * download readers, EpisodeSampler/EpisodeSet (tasks/episodes.ts reads episode files), checkpoints,
 * worker-thread training, reports, and nn/io.ts's saveParams/loadParams. Weights travel as the same
 * model.json + weights.bin: `fetchParams(url)` loads them over HTTP.
 *
 * The wasm backend needs its .wasm files served; call `setWasmPaths(prefixOrFileMap)` before `initEngine()`
 * (a Vite page can import each file with `?url`, see web/src/main.ts).
 */
import type { Params } from './nn/params.js';
import { artifactsToParams, type ParamsArtifacts } from './nn/io_format.js';

// Engine: tfjs, backend choice, seeded RNG, differentiable ops.
export * from './engine/index.js';
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

// Neural-network modules (everything in nn/index.ts but the file-system half of io.ts).
export type { Params, State } from './nn/params.js';
export {
  subParams,
  withPrefix,
  mapParams,
  zipParams,
  disposeParams,
  cloneParams,
  countParams,
  valueAndGrads,
} from './nn/params.js';
export { type Module, type Ctx, TRAIN, EVAL, childCtx } from './nn/module.js';
export {
  dense,
  conv2d,
  batchNorm,
  layerNorm,
  maxPool2d,
  flatten,
  activate,
  type Activation,
  type DenseOptions,
  type Conv2dOptions,
  type BatchNormOptions,
  type Padding,
} from './nn/layers.js';
export { mlp, type MlpOptions } from './nn/mlp.js';
export { sequential } from './nn/sequential.js';
export { conv4, type Conv4Options } from './nn/conv4.js';
export { lstm } from './nn/lstm.js';
export { multiHeadAttention, type AttentionOptions, type AttentionInput } from './nn/attention.js';

// Data that needs no files: synthetic tasks and alphabets, image helpers, the ClassDataset interface.
export {
  type ClassDataset,
  exampleSize,
  readExample,
  sourceKeyOf,
  checkClass,
  checkExample,
} from './data/types.js';
export { resizeGray, rotateSquare, type ResizeMethod, type Rotation } from './data/image.js';
export {
  HashingTextEmbedder,
  hashString,
  tokenize,
  type TextEmbedder,
  type HashingOptions,
} from './data/text.js';
export { SyntheticAlphabet, type SyntheticAlphabetOptions } from './data/synthetic.js';
export { ClassSubset, ConcatClasses, assertDisjoint } from './data/views.js';
export { RotatedClasses, type RotatedEntry } from './data/rotate.js';

// Tasks (without tasks/episodes.ts, which reads and writes episode files).
export {
  type LabeledSet,
  type SupportQuery,
  type Episode,
  type DataSource,
  type Task,
  type TaskDistribution,
  disposeLabeledSet,
  disposeSupportQuery,
  sampleSupportQuery,
  finiteTaskDistribution,
} from './tasks/types.js';
export {
  type TaskDescriptor,
  noDescriptor,
  oneHotDescriptor,
  metadataDescriptor,
  textDescriptor,
  defaultTextEmbedder,
  descriptorMatrix,
} from './tasks/descriptors.js';
export { type LossFn, type TaskLoss, mseLoss, crossEntropyLoss } from './tasks/losses.js';
export {
  splitClassIds,
  splitClassesByGroup,
  metaSplits,
  type ClassSplit,
  type SplitSizes,
} from './tasks/splits.js';
export {
  SinusoidSource,
  SinusoidTasks,
  type SinusoidOptions,
  type SinusoidTask,
  type SinusoidBatch,
} from './tasks/sinusoid.js';
export { sgd, adam, type Optimizer, type AdamOptions, type AdamState } from './nn/optim.js';

// Meta-learners: black-box, optimisation-based, metric.
export * from './meta/index.js';

// Training and evaluation (in-process; the worker-thread trainer and checkpoints are Node-only).
export * from './train/index.js';

// Params in the tfjs weights format (model.json + weights.bin), without the file system.
export {
  WEIGHTS_FILE,
  MODEL_FILE,
  paramsToArtifacts,
  paramsToArtifactsSync,
  artifactsToParams,
  type ParamsArtifacts,
} from './nn/io_format.js';
/**
 * Fetch params saved by `saveParams` (or a run's best/ folder) from a URL: `url` names model.json; the
 * weight files it lists are fetched relative to it. The browser counterpart of nn/io.ts's loadParams.
 */
export async function fetchParams(
  url: string | URL,
  init?: RequestInit,
): Promise<{ params: Params; metadata?: Record<string, unknown> }> {
  const base = new URL(url, globalThis.location?.href);
  const res = await fetch(base, init);
  if (!res.ok) throw new Error(`${base}: HTTP ${res.status} ${res.statusText}`);
  let modelJson: ParamsArtifacts['modelJson'];
  try {
    modelJson = await res.json();
  } catch (e) {
    throw new Error(`${base}: not a JSON model file (${(e as Error).message})`);
  }
  const groups = modelJson.weightsManifest;
  if (!Array.isArray(groups) || groups.length === 0 || !groups.every((g) => Array.isArray(g.paths))) {
    throw new Error(`${base}: field 'weightsManifest' must list the weights file(s)`);
  }
  const buffers = await Promise.all(
    groups.flatMap((g) =>
      g.paths.map(async (p) => {
        const wurl = new URL(p, base);
        const r = await fetch(wurl, init);
        if (!r.ok) throw new Error(`${wurl} (named in ${base}): HTTP ${r.status} ${r.statusText}`);
        return new Uint8Array(await r.arrayBuffer());
      }),
    ),
  );
  const joined = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let off = 0;
  for (const b of buffers) {
    joined.set(b, off);
    off += b.byteLength;
  }
  return {
    params: artifactsToParams({ modelJson, weightData: joined.buffer }, base.href),
    metadata: modelJson.userDefinedMetadata,
  };
}
