import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Checkpoint } from './loop.js';
import { type Params, subParams, withPrefix } from '../nn/params.js';
import { MODEL_FILE, WEIGHTS_FILE, artifactsToParams, paramsToArtifactsSync } from '../nn/io.js';
import { replaceDir } from '../nn/io_files.js';

export type { Checkpoint } from './loop.js';

/**
 * Write the checkpoint as one tfjs-format params folder, atomically (replaceDir): into a temporary
 * folder, then swapped in with renames, so a run killed at any moment leaves either the old or the new
 * checkpoint, and a failed write (a full disk) leaves the old one and no temp folder.
 */
export function saveCheckpoint(dir: string, c: Checkpoint): void {
  const tensors: Params = {
    ...withPrefix('theta', c.theta),
    ...withPrefix('opt', c.optTensors),
    ...(c.best ? withPrefix('best', c.best) : {}),
  };
  const meta = {
    kind: 'metalearn-checkpoint',
    step: c.step,
    elapsedSeconds: c.elapsedSeconds,
    optMeta: c.optMeta,
    rngState: c.rngState.map((v) => (Number.isNaN(v) ? null : v)),
    bestStep: c.bestStep,
    bestScore: c.bestScore,
    hasBest: !!c.best,
  };
  const a = paramsToArtifactsSync(tensors, meta);
  replaceDir(dir, {
    [WEIGHTS_FILE]: new Uint8Array(a.weightData),
    [MODEL_FILE]: JSON.stringify(a.modelJson),
  });
}

/** Read a checkpoint written by saveCheckpoint (falling back to the previous one if a swap was cut short). */
export function loadCheckpoint(dir: string): Checkpoint | null {
  const from = existsSync(path.join(dir, MODEL_FILE))
    ? dir
    : existsSync(path.join(`${dir}.old`, MODEL_FILE))
      ? `${dir}.old`
      : null;
  if (from === null) return null;
  const modelPath = path.join(from, MODEL_FILE);
  let modelJson;
  try {
    modelJson = JSON.parse(readFileSync(modelPath, 'utf8'));
  } catch (e) {
    throw new Error(`${modelPath}: cannot read checkpoint (${(e as Error).message})`);
  }
  const meta = modelJson.userDefinedMetadata;
  if (meta?.kind !== 'metalearn-checkpoint')
    throw new Error(`${modelPath}: field 'userDefinedMetadata.kind' should be 'metalearn-checkpoint'`);
  const bin = readFileSync(path.join(from, WEIGHTS_FILE));
  const all = artifactsToParams(
    {
      modelJson,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
    },
    modelPath,
  );
  return {
    step: meta.step,
    elapsedSeconds: meta.elapsedSeconds ?? 0,
    theta: subParams(all, 'theta'),
    optTensors: subParams(all, 'opt'),
    optMeta: meta.optMeta,
    rngState: (meta.rngState as (number | null)[]).map((v) => (v === null ? NaN : v)),
    best: meta.hasBest ? subParams(all, 'best') : undefined,
    bestStep: meta.bestStep,
    bestScore: meta.bestScore,
  };
}
