/**
 * Learners from a flat run config, through the registry of src/meta/registry.ts: the config's fields
 * become the registry's typed options, and its checks (regression, test-time way) come from the entry.
 */
import {
  LEARNER_NAMES,
  REGRESSION_LEARNERS,
  learnerEntry,
  isLearnerName,
  type ClassifierOptions,
} from '../meta/registry.js';
import type { MetaLearner } from '../meta/types.js';
import { SNAIL_BLOCK_PRESETS, type SnailBlock } from '../meta/blackbox/snail.js';
import { parseMamlppSwitches, takesBlockStack, type RunConfig } from './config.js';

/** A preset name of SNAIL_BLOCK_PRESETS, or a JSON list of blocks. */
function parseBlocks(text: string): SnailBlock[] {
  const presets: Readonly<Record<string, readonly SnailBlock[]>> = SNAIL_BLOCK_PRESETS;
  if (Object.hasOwn(presets, text)) return [...presets[text]];
  try {
    return JSON.parse(text) as SnailBlock[];
  } catch (e) {
    throw new Error(
      `field 'snailBlocks': expected ${Object.keys(presets)
        .map((k) => `'${k}'`)
        .join(
          ' or ',
        )} or a JSON list such as '[{"kind":"attention","dim":64}]', got ${JSON.stringify(text)} (${(e as Error).message})`,
    );
  }
}

/** The registry's options for a run config's classifier on `imageShape` examples. */
export function classifierOptions(cfg: RunConfig, imageShape: readonly number[]): ClassifierOptions {
  return {
    ways: cfg.way,
    inputShape: imageShape,
    hidden: cfg.hidden,
    innerLr: cfg.innerLr,
    innerSteps: cfg.innerSteps,
    mamlpp: parseMamlppSwitches(cfg.mamlpp),
    backbone: cfg.backbone,
    genotype: cfg.genotype,
    snailBlocks:
      takesBlockStack(cfg.learner) && cfg.snailBlocks !== undefined
        ? parseBlocks(cfg.snailBlocks)
        : undefined,
  };
}

export function makeLearner(cfg: RunConfig, imageShape: readonly number[]): MetaLearner {
  if (!isLearnerName(cfg.learner)) {
    throw new Error(
      `learner '${cfg.learner}' is not available in this build; available: ${LEARNER_NAMES.join(', ')}`,
    );
  }
  const entry = learnerEntry(cfg.learner);
  if ((cfg.testWay ?? cfg.way) !== cfg.way && !entry.anyWay) {
    throw new Error(
      `learner '${cfg.learner}' has a ${cfg.way}-way output layer; field 'testWay' must equal 'way'`,
    );
  }
  if ((cfg.backbone ?? 'conv4') !== 'conv4' && !entry.backbone) {
    throw new Error(
      `learner '${cfg.learner}' has its own encoder; field 'backbone' applies to ${LEARNER_NAMES.filter((n) => learnerEntry(n).backbone).join(', ')}`,
    );
  }
  return entry.classifier(classifierOptions(cfg, imageShape));
}

/** Regression learners (sinusoid): the MAML paper's MLP 1-40-40-1 with ReLU, or a CNP. */
export function makeRegressionLearner(cfg: RunConfig, innerSteps = cfg.innerSteps): MetaLearner {
  const regressor = isLearnerName(cfg.learner) ? learnerEntry(cfg.learner).regressor : undefined;
  if (!regressor) {
    throw new Error(`learner '${cfg.learner}' does not do regression; use ${REGRESSION_LEARNERS.join(', ')}`);
  }
  return regressor({ innerLr: cfg.innerLr, innerSteps, mamlpp: parseMamlppSwitches(cfg.mamlpp) });
}

/** This module's URL: WorkerPool's workers import the two factories below from it. */
export const LEARNERS_MODULE = import.meta.url;

/** makeLearner with one argument, as a WorkerPool builds its workers' learners. */
export const learnerForWorker = (a: { cfg: RunConfig; shape: readonly number[] }): MetaLearner =>
  makeLearner(a.cfg, a.shape);

/** makeRegressionLearner with one argument, as a WorkerPool builds its workers' learners. */
export const regressionLearnerForWorker = (a: { cfg: RunConfig }): MetaLearner =>
  makeRegressionLearner(a.cfg);
