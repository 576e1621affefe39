import { conv4 } from '../nn/conv4.js';
import { dense } from '../nn/layers.js';
import { sequential } from '../nn/sequential.js';
import type { Module } from '../nn/module.js';
import { protoNet } from '../meta/metric/protonet.js';
import { matchingNet } from '../meta/metric/matching.js';
import { anil, maml, metaSgd } from '../meta/optimization/maml.js';
import { reptile } from '../meta/optimization/reptile.js';
import type { MetaLearner } from '../meta/types.js';
import { cnpClassifier, cnpRegressor, mann, snail } from '../meta/blackbox/index.js';
import { SNAIL_BLOCK_PRESETS, type SnailBlock } from '../meta/blackbox/snail.js';
import { mlp } from '../nn/mlp.js';
import type { LearnerName, RunConfig } from './config.js';

type Factory = (cfg: RunConfig, imageShape: readonly number[]) => MetaLearner;

function backbone(cfg: RunConfig, imageShape: readonly number[]): { net: Module; dim: number } {
  const net = conv4({ hidden: cfg.hidden, inChannels: imageShape[2] ?? 1 });
  return { net, dim: net.outputDim(imageShape[0], imageShape[1]) };
}

function classifier(cfg: RunConfig, imageShape: readonly number[]): Module {
  const b = backbone(cfg, imageShape);
  return sequential([
    ['backbone', b.net],
    ['head', dense(b.dim, cfg.way)],
  ]);
}

/** A preset name of SNAIL_BLOCK_PRESETS, or a JSON list of blocks. */
function parseBlocks(text: string): SnailBlock[] {
  const presets = SNAIL_BLOCK_PRESETS as Record<string, readonly SnailBlock[]>;
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

/** Learner name -> constructor from a run config; new learner families register here. */
export const LEARNER_REGISTRY: Partial<Record<LearnerName, Factory>> = {
  protonet: (c, s) => protoNet({ embed: backbone(c, s).net, ways: c.way }),
  matching: (c, s) => matchingNet({ embed: backbone(c, s).net, ways: c.way }),
  maml: (c, s) => maml({ model: classifier(c, s), innerLr: c.innerLr, innerSteps: c.innerSteps }),
  fomaml: (c, s) =>
    maml({ model: classifier(c, s), innerLr: c.innerLr, innerSteps: c.innerSteps, firstOrder: true }),
  anil: (c, s) => anil({ model: classifier(c, s), innerLr: c.innerLr, innerSteps: c.innerSteps }),
  'meta-sgd': (c, s) => metaSgd({ model: classifier(c, s), innerLr: c.innerLr, innerSteps: c.innerSteps }),
  reptile: (c, s) => reptile({ model: classifier(c, s), innerLr: c.innerLr, innerSteps: c.innerSteps }),
  mann: (c, s) => mann({ ways: c.way, inputShape: [...s], encoder: 'flat' }),
  snail: (c, s) =>
    snail({
      ways: c.way,
      inputShape: [...s],
      encoder: 'conv4',
      conv4: { hidden: c.hidden },
      blocks: c.snailBlocks === undefined ? undefined : parseBlocks(c.snailBlocks),
    }),
  cnp: (c, s) =>
    cnpClassifier({ ways: c.way, inputShape: [...s], encoder: 'conv4', conv4: { hidden: c.hidden } }),
};

export function makeLearner(cfg: RunConfig, imageShape: readonly number[]): MetaLearner {
  const f = LEARNER_REGISTRY[cfg.learner];
  if (!f) {
    throw new Error(
      `learner '${cfg.learner}' is not available in this build; available: ${Object.keys(LEARNER_REGISTRY).join(', ')}`,
    );
  }
  if ((cfg.testWay ?? cfg.way) !== cfg.way && !['protonet', 'matching'].includes(cfg.learner)) {
    throw new Error(
      `learner '${cfg.learner}' has a ${cfg.way}-way output layer; field 'testWay' must equal 'way'`,
    );
  }
  return f(cfg, imageShape);
}

/** Regression learners (sinusoid): the MAML paper's MLP 1-40-40-1 with ReLU, or a CNP. */
export function makeRegressionLearner(cfg: RunConfig, innerSteps = cfg.innerSteps): MetaLearner {
  const model = () => mlp([1, 40, 40, 1]);
  const common = { model: model(), loss: 'mse' as const, innerLr: cfg.innerLr, innerSteps };
  switch (cfg.learner) {
    case 'maml':
      return maml(common);
    case 'fomaml':
      return maml({ ...common, firstOrder: true });
    case 'meta-sgd':
      return metaSgd(common);
    case 'anil':
      return anil({ ...common, headPrefix: 'fc2.' });
    case 'reptile':
      return reptile(common);
    case 'cnp':
      return cnpRegressor({});
    default:
      throw new Error(
        `learner '${cfg.learner}' does not do regression; use maml, fomaml, meta-sgd, anil, reptile or cnp`,
      );
  }
}

/** This module's URL: WorkerPool's workers import the two factories below from it. */
export const LEARNERS_MODULE = import.meta.url;

/** makeLearner with one argument, as a WorkerPool builds its workers' learners. */
export const learnerForWorker = (a: { cfg: RunConfig; shape: readonly number[] }): MetaLearner =>
  makeLearner(a.cfg, a.shape);

/** makeRegressionLearner with one argument, as a WorkerPool builds its workers' learners. */
export const regressionLearnerForWorker = (a: { cfg: RunConfig }): MetaLearner =>
  makeRegressionLearner(a.cfg);
