import { tf } from '../engine/tf.js';
import type { Params } from './params.js';

/**
 * Params in the TensorFlow.js weights format: `model.json` holding a `weightsManifest`, and one binary
 * file of little-endian float32 values in manifest order. tfjs's own `tf.io.decodeWeights` reads it.
 */
export interface ParamsArtifacts {
  modelJson: {
    format: 'metalearn-params';
    generatedBy: string;
    /** Free-form description of what the params belong to (module config, training facts). */
    userDefinedMetadata?: Record<string, unknown>;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  weightData: ArrayBuffer;
}

/** File name of the weights in a saved params folder. */
export const WEIGHTS_FILE = 'weights.bin';
/** File name of the manifest in a saved params folder. */
export const MODEL_FILE = 'model.json';

/** Params as a model.json manifest and one weights buffer (reads the tensors asynchronously). */
function artifactsOf(
  specs: tf.io.WeightsManifestEntry[],
  weightData: ArrayBuffer,
  metadata: Record<string, unknown> | undefined,
): ParamsArtifacts {
  return {
    modelJson: {
      format: 'metalearn-params',
      generatedBy: 'metalearn-ts',
      ...(metadata ? { userDefinedMetadata: metadata } : {}),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    },
    weightData,
  };
}

export async function paramsToArtifacts(
  params: Params,
  metadata?: Record<string, unknown>,
): Promise<ParamsArtifacts> {
  const { data, specs } = await tf.io.encodeWeights(params);
  return artifactsOf(specs, data, metadata);
}

/** Params from a manifest and its weights; `source` names the file in errors. */
export function artifactsToParams(a: ParamsArtifacts, source = 'model.json'): Params {
  const manifest = a.modelJson?.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new Error(`${source}: field 'weightsManifest' must be a non-empty array`);
  }
  const specs = manifest.flatMap((g) => g.weights);
  let expected = 0;
  for (const s of specs) {
    if (s.dtype !== 'float32' && s.dtype !== 'int32') {
      throw new Error(`${source}: weight '${s.name}' has dtype '${s.dtype}'; expected float32 or int32`);
    }
    expected += 4 * s.shape.reduce((x, y) => x * y, 1);
  }
  if (a.weightData.byteLength !== expected) {
    throw new Error(
      `${source}: the weights file holds ${a.weightData.byteLength} bytes but the manifest describes ${expected}`,
    );
  }
  return tf.io.decodeWeights(a.weightData, specs) as Params;
}

/** The same artifacts, synchronously (reads tensors with dataSync: meant for cpu and wasm backends). */
export function paramsToArtifactsSync(params: Params, metadata?: Record<string, unknown>): ParamsArtifacts {
  const names = Object.keys(params);
  const specs: tf.io.WeightsManifestEntry[] = [];
  let bytes = 0;
  for (const n of names) {
    const t = params[n];
    if (t.dtype !== 'float32' && t.dtype !== 'int32')
      throw new Error(`parameter '${n}' has dtype ${t.dtype}; expected float32 or int32`);
    specs.push({ name: n, shape: t.shape.slice(), dtype: t.dtype });
    bytes += 4 * t.size;
  }
  const buf = new ArrayBuffer(bytes);
  let off = 0;
  for (const n of names) {
    const v = params[n].dataSync();
    new Uint8Array(buf, off, v.byteLength).set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    off += v.byteLength;
  }
  return artifactsOf(specs, buf, metadata);
}

/**
 * Fetch params saved by `saveParams` (or a run's best/ folder) from a URL: `url` names model.json; the
 * weight files it lists are fetched relative to it. The browser counterpart of loadParams (nn/io_files.ts).
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
