import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { settledDir } from '../nn/io_files.js';
import { disposeParams } from '../nn/params.js';
import { decodePng, pngToGray } from '../data/png_decode.js';
import { resizeGray } from '../data/image.js';
import { loadImageFolder } from '../data/imagefolder.js';
import type { RunConfig } from './config.js';
import { readRunConfig } from './config_file.js';
import { readModelConfig } from './model_eval.js';
import { makeLearner, makeRegressionLearner } from './learners.js';
import { checkParamsMatch, learnerShapes } from '../meta/check_params.js';
import { fitContext, hasFixedWay, loadParamsFor, manifestShapes } from './params_fit.js';
import { readDataFingerprint } from './data_fingerprint.js';

/** Side of the square gray images predict reads (and every classification dataset of a run config gives). */
const IMAGE_SIZE = 28;

/**
 * Export a run for inference: its best params (tfjs weights format) with the run config as metadata,
 * so `predict` (or a browser page) can rebuild the learner without the run folder. The params are
 * checked against the learner the config builds first.
 */
export async function exportRun(
  runDir: string,
  outDir: string,
  which: 'best' | 'last' = 'best',
): Promise<string> {
  const cfg = readRunConfig(runDir);
  // best/ is replaced while a run trains (replaceDir): a swap cut short leaves best.old/.
  const src = settledDir(path.join(runDir, which));
  const modelFile = path.join(src, 'model.json');
  if (!existsSync(modelFile)) throw new Error(`${src}: no params (has the run finished?)`);
  await initEngine({ backend: cfg.backend });
  const shape = readDataFingerprint(runDir)?.exampleShape ?? [IMAGE_SIZE, IMAGE_SIZE, 1];
  const learner = cfg.dataset === 'sinusoid' ? makeRegressionLearner(cfg) : makeLearner(cfg, shape);
  checkParamsMatch(learnerShapes(learner), manifestShapes(modelFile), modelFile, {
    context: fitContext(cfg),
    hint: `the run's config.json says ${fitContext(cfg)}; was it or ${modelFile} edited after training?`,
  });
  mkdirSync(outDir, { recursive: true });
  const model = JSON.parse(readFileSync(path.join(src, 'model.json'), 'utf8'));
  // Paths of the machine it was trained on mean nothing where the model is used.
  const portable: Partial<RunConfig> = { ...cfg };
  delete portable.dataDir;
  delete portable.out;
  model.userDefinedMetadata = { ...(model.userDefinedMetadata ?? {}), config: portable };
  copyFileSync(path.join(src, 'weights.bin'), path.join(outDir, 'weights.bin'));
  writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(model, null, 1));
  return outDir;
}

/** A folder of query images (PNG), read as the support set is: gray, resized, ink = 1 when inverted. */
function readQueries(
  dir: string,
  size: [number, number],
  invert: boolean,
): { files: string[]; x: tf.Tensor } {
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.png'))
    .sort();
  if (files.length === 0) throw new Error(`${dir}: no .png query images`);
  const [h, w] = size;
  const data = new Float32Array(files.length * h * w);
  files.forEach((f, i) => {
    const file = path.join(dir, f);
    const img = decodePng(readFileSync(file), file);
    const gray = resizeGray(pngToGray(img), img.height, img.width, h, w, 'area');
    for (let j = 0; j < h * w; j++) data[i * h * w + j] = invert ? 1 - gray[j] : gray[j];
  });
  return { files, x: tf.tensor4d(data, [files.length, h, w, 1]) };
}

export interface Prediction {
  file: string;
  label: string;
  confidence: number;
}

/**
 * Adapt an exported (or run) model on a support folder (class/file.png) and label every image of a
 * query folder. Dark ink on a light background is inverted to the training convention (ink = 1).
 */
export async function predictFolder(
  modelDir: string,
  supportDir: string,
  queryDir: string,
  opts: { invert?: boolean } = {},
): Promise<Prediction[]> {
  const isRun = existsSync(path.join(modelDir, 'config.json'));
  const paramsDir = isRun ? settledDir(path.join(modelDir, 'best')) : modelDir;
  const modelJson = path.join(paramsDir, 'model.json');
  if (!existsSync(modelJson))
    throw new Error(`${modelJson}: not found; give a run folder or an exported model folder`);
  const cfg = isRun ? readRunConfig(modelDir) : readModelConfig(modelDir);
  await initEngine({ backend: cfg.backend });
  const invert = opts.invert ?? true;
  const support = loadImageFolder(supportDir, { size: IMAGE_SIZE, invert });
  const ways = support.numClasses;
  const learner = makeLearner({ ...cfg, way: ways }, support.exampleShape);
  const params = await loadParamsFor(
    learner,
    paramsDir,
    { ...cfg, way: ways },
    ways !== cfg.way && hasFixedWay(cfg.learner)
      ? `the support folder ${supportDir} has ${ways} classes; learner '${cfg.learner}' was trained ${cfg.way}-way and has an output layer of that size, so the support folder needs ${cfg.way} classes`
      : `the model's config says ${fitContext(cfg)}; was ${modelJson} edited?`,
  );
  const [h, w] = support.exampleShape as [number, number];
  const xs: number[] = [];
  const ys: number[] = [];
  const buf = new Float32Array(h * w);
  for (let c = 0; c < ways; c++) {
    for (let i = 0; i < support.examplesOf(c); i++) {
      support.read(c, i, buf, 0);
      xs.push(...buf);
      ys.push(c);
    }
  }
  const sx = tf.tensor4d(xs, [ys.length, h, w, 1]);
  const sy = tf.tensor1d(ys, 'int32');
  const q = readQueries(queryDir, [h, w], invert);
  const probs = tf.tidy(() => {
    const phi = learner.adapt(params, { x: sx, y: sy });
    const out = tf.softmax(learner.predict(params, phi, q.x));
    learner.disposePhi(phi);
    return out;
  });
  const p = probs.arraySync() as number[][];
  tf.dispose([sx, sy, q.x, probs]);
  disposeParams(params);
  return q.files.map((f, i) => {
    const best = p[i].indexOf(Math.max(...p[i]));
    return { file: f, label: support.className(best), confidence: p[i][best] };
  });
}
