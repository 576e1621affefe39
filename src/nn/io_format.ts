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

export const WEIGHTS_FILE = 'weights.bin';
export const MODEL_FILE = 'model.json';

export async function paramsToArtifacts(
  params: Params,
  metadata?: Record<string, unknown>,
): Promise<ParamsArtifacts> {
  const { data, specs } = await tf.io.encodeWeights(params);
  return {
    modelJson: {
      format: 'metalearn-params',
      generatedBy: 'metalearn-ts',
      ...(metadata ? { userDefinedMetadata: metadata } : {}),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    },
    weightData: data,
  };
}

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
  return {
    modelJson: {
      format: 'metalearn-params',
      generatedBy: 'metalearn-ts',
      ...(metadata ? { userDefinedMetadata: metadata } : {}),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    },
    weightData: buf,
  };
}
