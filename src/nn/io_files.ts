import { existsSync, mkdirSync, promises as fs, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Params } from './params.js';
import {
  MODEL_FILE,
  WEIGHTS_FILE,
  artifactsToParams,
  paramsToArtifacts,
  paramsToArtifactsSync,
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

/**
 * Read params written by saveParams or replaceParamsDir (model.json + the weight files it lists) from
 * `folder` (or `<folder>.old`, when a replaceDir was cut short).
 */
export async function loadParams(
  folder: string,
): Promise<{ params: Params; metadata?: Record<string, unknown> }> {
  const dir = settledDir(folder);
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

/**
 * An fs failure as an Error naming `target` and what was being done, with what to do for the usual
 * causes (a full disk, a read-only place). `cause` is the original error.
 */
export function fileError(target: string, doing: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `; the disk holding ${path.dirname(target)} is full: free space there and try again`
      : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? `; ${path.dirname(target)} cannot be written here: choose another folder`
        : '';
  return new Error(`${target}: cannot ${doing} (${err?.message ?? String(e)})${hint}`, { cause: e });
}

/**
 * Test hook: METALEARN_TEST_KILL='<name>:<stage>:<n>' SIGKILLs this
 * process the n-th time a file or folder called <name> reaches <stage> of its atomic replacement
 * ('written': the new content is complete in its temp; 'swapped-out': a folder's old version has been
 * moved aside and the new one is not yet in place). Lets tests kill at the worst moment of a write.
 */
const killCounts = new Map<string, number>();
export function testKillPoint(target: string, stage: 'written' | 'swapped-out'): void {
  const spec = process.env.METALEARN_TEST_KILL;
  if (!spec) return;
  const [name, at, n] = spec.split(':');
  if (name !== path.basename(target) || at !== stage) return;
  const key = `${name}:${at}`;
  const seen = (killCounts.get(key) ?? 0) + 1;
  killCounts.set(key, seen);
  if (seen === Number(n ?? 1)) process.kill(process.pid, 'SIGKILL');
}

/**
 * Replace the folder `dir` by one holding `files` (name -> content), atomically: written into
 * `<dir>.tmp-<pid>`, then swapped in by renames (the old one is `<dir>.old` for a moment), so a run
 * killed at any moment leaves a whole `dir` or a whole `<dir>.old` (readers: settledDir). On failure
 * (e.g. a full disk) the temp is removed and the old folder kept.
 */
export function replaceDir(dir: string, files: Record<string, string | Uint8Array>): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileSync(path.join(tmp, name), data);
    testKillPoint(dir, 'written');
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw fileError(dir, 'write the folder', e);
  }
  // Keep `old` only when `dir` is missing (a swap cut short): then it is the latest whole version.
  if (existsSync(dir)) {
    rmSync(old, { recursive: true, force: true });
    renameSync(dir, old);
  }
  testKillPoint(dir, 'swapped-out');
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** `dir`, or `<dir>.old` when a replaceDir of `dir` was cut short between its renames. */
export function settledDir(dir: string): string {
  if (existsSync(path.join(dir, MODEL_FILE))) return dir;
  const old = `${dir}.old`;
  return existsSync(path.join(old, MODEL_FILE)) ? old : dir;
}

/** saveParams' content as replaceDir writes it: the whole params folder replaced at once (sync). */
export function replaceParamsDir(dir: string, params: Params, metadata?: Record<string, unknown>): void {
  const a = paramsToArtifactsSync(params, metadata);
  replaceDir(dir, {
    [WEIGHTS_FILE]: new Uint8Array(a.weightData),
    [MODEL_FILE]: JSON.stringify(a.modelJson, null, 1),
  });
}
