/**
 * The loaders' side of the params check (meta/check_params.ts): params of a run or exported model,
 * or a checkpoint, against the learner its config builds, with a hint on what to do (Node: files).
 */
import { readFileSync } from 'node:fs';
import { loadParams } from '../nn/io_files.js';
import { disposeParams, type Params } from '../nn/params.js';
import { checkParamsMatch, learnerShapes, type ParamShapes } from '../meta/check_params.js';
import { isLearnerName, learnerEntry } from '../meta/registry.js';
import type { MetaLearner } from '../meta/types.js';
import type { Checkpoint } from '../train/checkpoint.js';
import { takesBlockStack, type RunConfig } from './config.js';

/** The config fields that decide a learner's param shapes, as messages name them. */
export function fitContext(cfg: RunConfig): string {
  if (cfg.dataset === 'sinusoid') return `learner '${cfg.learner}' (sinusoid regression)`;
  const blocks = takesBlockStack(cfg.learner) && cfg.snailBlocks !== undefined;
  return `learner '${cfg.learner}' with way ${cfg.way}, hidden ${cfg.hidden}${blocks ? `, snailBlocks ${cfg.snailBlocks}` : ''}`;
}

/** The learner has an output layer of `way` units (so it cannot classify another number of classes). */
export const hasFixedWay = (learner: string): boolean =>
  !(isLearnerName(learner) && learnerEntry(learner).anyWay);

/** `dir`'s params (model.json + weights), refused unless they fit `learner`, built from `cfg`. */
export async function loadParamsFor(
  learner: MetaLearner,
  dir: string,
  cfg: RunConfig,
  hint?: string,
): Promise<Params> {
  const { params } = await loadParams(dir);
  try {
    checkParamsMatch(learnerShapes(learner), params, dir, { context: fitContext(cfg), hint });
  } catch (e) {
    disposeParams(params);
    throw e;
  }
  return params;
}

/** Why eval's params may not fit: another way for a learner with an output layer, or an edited run. */
export function evalHint(run: RunConfig, way: number): string {
  if (way !== run.way && hasFixedWay(run.learner)) {
    return `the run was trained with way ${run.way}, and learner '${run.learner}' has an output layer of that size, so --way must be ${run.way}`;
  }
  return `the run's config.json says ${fitContext(run)}; was it or the params folder edited after training?`;
}

/** A checkpoint's theta (and best params) against the learner of the resumed config; frees it when refused. */
export function checkCheckpointFits(
  learner: MetaLearner,
  ckpt: Checkpoint,
  dir: string,
  cfg: RunConfig,
): void {
  const shapes = learnerShapes(learner);
  const opts = {
    context: fitContext(cfg),
    hint:
      "resume builds the learner from the run folder's config.json: was config.json edited after the checkpoint was written? " +
      'Put back the values the run was trained with, or train a new run',
  };
  try {
    checkParamsMatch(shapes, ckpt.theta, dir, opts);
    if (ckpt.best) checkParamsMatch(shapes, ckpt.best, `${dir} (best params)`, opts);
  } catch (e) {
    disposeParams(ckpt.theta);
    disposeParams(ckpt.best);
    disposeParams(ckpt.optTensors);
    throw e;
  }
}

/** The names and shapes a model.json's weightsManifest lists (read without loading the weights). */
export function manifestShapes(modelJsonFile: string): ParamShapes {
  let model: { weightsManifest?: { weights?: { name?: unknown; shape?: unknown }[] }[] };
  try {
    model = JSON.parse(readFileSync(modelJsonFile, 'utf8'));
  } catch (e) {
    throw new Error(`${modelJsonFile}: cannot read the model file (${(e as Error).message})`);
  }
  const out: ParamShapes = {};
  const groups = model.weightsManifest;
  if (!Array.isArray(groups)) throw new Error(`${modelJsonFile}: field 'weightsManifest' must be a list`);
  groups.forEach((g, i) => {
    if (!Array.isArray(g?.weights))
      throw new Error(`${modelJsonFile}: field 'weightsManifest[${i}].weights' must be a list`);
    g.weights.forEach((w, j) => {
      const shape = w?.shape;
      if (
        typeof w?.name !== 'string' ||
        !Array.isArray(shape) ||
        !shape.every((d) => Number.isInteger(d) && d >= 0)
      ) {
        throw new Error(
          `${modelJsonFile}: field 'weightsManifest[${i}].weights[${j}]' must have a name and a shape of non-negative integers`,
        );
      }
      out[w.name] = shape as number[];
    });
  });
  return out;
}
