import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Params } from './params.js';
import {
  MODEL_FILE,
  WEIGHTS_FILE,
  artifactsToParams,
  paramsToArtifacts,
  type ParamsArtifacts,
} from './io.js';

// The file-free half (the format and fetchParams) lives in io.ts, which browsers can import.

/** Write `dir/model.json` and `dir/weights.bin`, each to a temporary file first, then renamed. */
export async function saveParams(
  dir: string,
  params: Params,
  metadata?: Record<string, unknown>,
): Promise<void> {
  const a = await paramsToArtifacts(params, metadata);
  await fs.mkdir(dir, { recursive: true });
  const tmpW = path.join(dir, `.${WEIGHTS_FILE}.${process.pid}.tmp`);
  const tmpM = path.join(dir, `.${MODEL_FILE}.${process.pid}.tmp`);
  await fs.writeFile(tmpW, new Uint8Array(a.weightData));
  await fs.writeFile(tmpM, JSON.stringify(a.modelJson, null, 1));
  await fs.rename(tmpW, path.join(dir, WEIGHTS_FILE));
  await fs.rename(tmpM, path.join(dir, MODEL_FILE));
}

/** Read params written by saveParams (model.json + the weight files it lists) from `dir`. */
export async function loadParams(
  dir: string,
): Promise<{ params: Params; metadata?: Record<string, unknown> }> {
  const modelPath = path.join(dir, MODEL_FILE);
  let modelJson: ParamsArtifacts['modelJson'];
  try {
    modelJson = JSON.parse(await fs.readFile(modelPath, 'utf8'));
  } catch (e) {
    throw new Error(`${modelPath}: cannot read the model file (${(e as Error).message})`);
  }
  const group = modelJson.weightsManifest?.[0];
  if (!group || !Array.isArray(group.paths) || group.paths.length === 0) {
    throw new Error(`${modelPath}: field 'weightsManifest[0].paths' must list the weights file(s)`);
  }
  const buffers: Uint8Array[] = [];
  for (const g of modelJson.weightsManifest) {
    for (const p of g.paths) {
      const wp = path.join(dir, p);
      try {
        buffers.push(await fs.readFile(wp));
      } catch (e) {
        throw new Error(
          `${wp}: cannot read the weights file named in ${modelPath} (${(e as Error).message})`,
        );
      }
    }
  }
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const joined = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    joined.set(b, off);
    off += b.byteLength;
  }
  return {
    params: artifactsToParams({ modelJson, weightData: joined.buffer }, modelPath),
    metadata: modelJson.userDefinedMetadata,
  };
}
