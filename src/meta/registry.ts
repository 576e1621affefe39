/**
 * Every meta-learner by name, with what it supports, in one table: the CLI's learner names, its checks
 * (regression, a different way at test time, inner steps) and the construction of a learner from a run
 * config are all derived from it. A new learner is registered by adding one entry.
 */
import { conv4 } from '../nn/conv4.js';
import { resnet12 } from '../nn/resnet12.js';
import { ALPHA_KEY, cellNet, parseGenotype } from '../nn/darts.js';
import { dense } from '../nn/layers.js';
import { mlp } from '../nn/mlp.js';
import { sequential } from '../nn/sequential.js';
import type { Module } from '../nn/module.js';
import { protoNet } from './metric/protonet.js';
import { matchingNet } from './metric/matching.js';
import { relationNet } from './metric/relation.js';
import { r2d2 } from './optimization/r2d2.js';
import { anil, maml, metaSgd } from './optimization/maml.js';
import { reptile } from './optimization/reptile.js';
import { hyperMaml } from './optimization/hyper.js';
import { mamlPlusPlus, type MamlPlusPlusSwitches } from './optimization/maml_pp.js';
import { imaml } from './optimization/imaml.js';
import { abml } from './optimization/abml.js';
import { mann } from './blackbox/mann.js';
import { snail, type SnailBlock } from './blackbox/snail.js';
import { cnpClassifier, cnpRegressor } from './blackbox/cnp.js';
import { npClassifier, npRegressor } from './blackbox/np.js';
import { mannMemory } from './blackbox/mann_memory.js';
import type { LearnerFamily, MetaLearner } from './types.js';

/** What a few-shot image classifier is built from. */
export interface ClassifierOptions {
  /** N of N-way episodes: the size of the output layer of learners that have one. */
  ways: number;
  /** One example's shape, [height, width, channels]. */
  inputShape: readonly number[];
  /**
   * Conv4 filters of the backbone or encoder; for the ResNet-12 backbone the first block's width h (blocks
   * h, 2.5h, 5h, 10h: MetaOptNet's 64-160-320-640 at 64).
   */
  hidden: number;
  /** Inner loop of the optimisation-based learners (others ignore them). */
  innerLr: number;
  innerSteps: number;
  /** SNAIL's block stack (default: its own default, the attention preset). */
  snailBlocks?: SnailBlock[];
  /** MAML++'s switches (default: all on). */
  mamlpp?: MamlPlusPlusSwitches;
  /** The backbone of learners built on one (LearnerEntry.backbone), by BACKBONES name (default 'conv4'). */
  backbone?: BackboneName;
  /** For backbone 'cell': its genotype, e.g. 'conv3x3,max3x3,skip' (see nn/darts.ts parseGenotype). */
  genotype?: string;
}

/** What a 1-D regressor (sinusoid regression, Finn et al. 2017) is built from. */
export interface RegressorOptions {
  innerLr: number;
  innerSteps: number;
  /** MAML++'s switches (default: all on). */
  mamlpp?: MamlPlusPlusSwitches;
}

export interface LearnerEntry {
  family: LearnerFamily;
  /** One line for help texts. */
  description: string;
  classifier: (o: ClassifierOptions) => MetaLearner;
  /** Absent when the learner does not do regression. */
  regressor?: (o: RegressorOptions) => MetaLearner;
  /**
   * The learner has no output layer of a fixed size, so it classifies any number of classes at test
   * time (metric learners compare to the support set's classes).
   */
  anyWay: boolean;
  /** Adapts with gradient steps, so innerLr and innerSteps apply. */
  innerSteps: boolean;
  /** Its meta-gradient differentiates through the inner loop (second derivatives). */
  secondOrder: boolean;
  /** Built from a block stack (ClassifierOptions.snailBlocks), which run configs record. */
  blockStack: boolean;
  /** Built on ClassifierOptions.backbone, so any BACKBONES entry can be chosen (absent: Conv4 only). */
  backbone?: boolean;
}

/** A backbone by name: an image embedding and its output size. */
export interface BackboneEntry {
  description: string;
  /** `runningStats`: batch norm keeps running statistics (MAML++'s per-step statistics), where it can. */
  build: (
    o: ClassifierOptions,
    runningStats: boolean,
  ) => Module & { outputDim(h: number, w: number): number };
}

/** The backbones learners with `backbone: true` can be built on, by name. */
export const BACKBONES = {
  conv4: {
    description: 'Conv4 (Vinyals et al. 2016): 4 x [conv 3x3, batch norm, ReLU, max-pool 2]',
    build: (o, runningStats) =>
      conv4({
        hidden: o.hidden,
        inChannels: o.inputShape[2] ?? 1,
        ...(runningStats ? { batchNorm: { trackRunningStats: true } } : {}),
      }),
  },
  resnet12: {
    description:
      "ResNet-12 (Lee et al. 2019): 4 residual blocks of widths h, 2.5h, 5h, 10h (field 'hidden' = h; 64-160-320-640 at 64), images of 16x16 or more",
    build: (o) => {
      const [h, w, c] = o.inputShape;
      if (h < 16 || w < 16)
        throw new Error(
          `backbone 'resnet12': images of ${h}x${w} are too small for its 4 pooling blocks (16x16 at least)`,
        );
      const hd = o.hidden;
      return resnet12({ inChannels: c ?? 1, channels: [hd, Math.round(2.5 * hd), 5 * hd, 10 * hd] });
    },
  },
  cell: {
    description:
      "a searched cell network (DARTS/MetaNAS): stem and 3 cells of the genotype in field 'genotype', each pooled 2x2",
    build: (o) => {
      if (o.genotype === undefined)
        throw new Error(
          "backbone 'cell' needs field 'genotype' (e.g. 'conv3x3,max3x3,skip', as 'metalearn search' prints)",
        );
      return cellNet({
        hidden: o.hidden,
        inChannels: o.inputShape[2] ?? 1,
        genotype: parseGenotype(o.genotype),
      });
    },
  },
} satisfies Record<string, BackboneEntry>;

export type BackboneName = keyof typeof BACKBONES;

/** The registered backbone names. */
export const BACKBONE_NAMES = Object.keys(BACKBONES) as BackboneName[];

/** The backbone of `o` (Conv4 unless o.backbone says otherwise) and its output size on `inputShape` images. */
function backbone(o: ClassifierOptions, runningStats = false): { net: Module; dim: number } {
  const [h, w] = o.inputShape;
  const entry: BackboneEntry | undefined = BACKBONES[o.backbone ?? 'conv4'];
  if (!entry) throw new Error(`backbone '${String(o.backbone)}' is not one of ${BACKBONE_NAMES.join(', ')}`);
  const net = entry.build(o, runningStats);
  return { net, dim: net.outputDim(h, w) };
}

/** Conv4 and a dense `ways`-way head: the classifier of the MAML family and Reptile. */
function classifierNet(o: ClassifierOptions, runningStats = false): Module {
  const b = backbone(o, runningStats);
  return sequential([
    ['backbone', b.net],
    ['head', dense(b.dim, o.ways)],
  ]);
}

const inner = (o: ClassifierOptions) => ({
  model: classifierNet(o),
  innerLr: o.innerLr,
  innerSteps: o.innerSteps,
});
/** The MAML paper's regression network: an MLP 1-40-40-1 with ReLU, trained on MSE. */
const regression = (o: RegressorOptions) => ({
  model: mlp([1, 40, 40, 1]),
  loss: 'mse' as const,
  innerLr: o.innerLr,
  innerSteps: o.innerSteps,
});

const gradientBased = {
  family: 'optimization',
  anyWay: false,
  innerSteps: true,
  blockStack: false,
  backbone: true,
} as const;

/**
 * MetaNAS (Elsken et al. 2020) with a first-order MAML inner loop: the cell supernet's weights are
 * adapted per task, its architecture weights alpha only by the outer loop (the first-order DARTS
 * update on the query loss after adaptation); 'metalearn search' derives the genotype from alpha.
 */
function metanasNet(o: ClassifierOptions): Module {
  const [h, w, c] = o.inputShape;
  const net = cellNet({ hidden: o.hidden, inChannels: c ?? 1 });
  return sequential([
    ['backbone', net],
    ['head', dense(net.outputDim(h, w), o.ways)],
  ]);
}

export const LEARNERS = {
  protonet: {
    family: 'metric',
    description: 'prototypical network (Snell et al. 2017)',
    classifier: (o) => protoNet({ embed: backbone(o).net, ways: o.ways }),
    anyWay: true,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: true,
  },
  matching: {
    family: 'metric',
    description: 'matching network (Vinyals et al. 2016)',
    classifier: (o) => matchingNet({ embed: backbone(o).net, ways: o.ways }),
    anyWay: true,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: true,
  },
  maml: {
    ...gradientBased,
    description: 'MAML (Finn et al. 2017)',
    classifier: (o) => maml(inner(o)),
    regressor: (o) => maml(regression(o)),
    secondOrder: true,
  },
  fomaml: {
    ...gradientBased,
    description: 'first-order MAML',
    classifier: (o) => maml({ ...inner(o), firstOrder: true }),
    regressor: (o) => maml({ ...regression(o), firstOrder: true }),
    secondOrder: false,
  },
  anil: {
    ...gradientBased,
    description: 'ANIL, MAML adapting the head only (Raghu et al. 2020)',
    classifier: (o) => anil(inner(o)),
    regressor: (o) => anil({ ...regression(o), headPrefix: 'fc2.' }),
    secondOrder: true,
  },
  'meta-sgd': {
    ...gradientBased,
    description: 'Meta-SGD, learned per-parameter inner rates (Li et al. 2017)',
    classifier: (o) => metaSgd(inner(o)),
    regressor: (o) => metaSgd(regression(o)),
    secondOrder: true,
  },
  'hyper-maml': {
    ...gradientBased,
    description:
      'MAML whose inner per-layer per-step rates, weight decay and momentum are meta-learned too (unrolled hypergradients)',
    classifier: (o) => hyperMaml(inner(o)),
    regressor: (o) => hyperMaml(regression(o)),
    secondOrder: true,
  },
  metanas: {
    ...gradientBased,
    description:
      'MetaNAS, a DARTS cell supernet whose architecture weights are meta-learned with first-order MAML (Elsken et al. 2020)',
    classifier: (o) =>
      maml({
        model: metanasNet(o),
        innerLr: o.innerLr,
        innerSteps: o.innerSteps,
        firstOrder: true,
        adapt: (k) => k !== `backbone.${ALPHA_KEY}`,
        name: 'metanas',
      }),
    secondOrder: false,
    backbone: false,
  },
  reptile: {
    ...gradientBased,
    description: 'Reptile (Nichol et al. 2018)',
    classifier: (o) => reptile(inner(o)),
    regressor: (o) => reptile(regression(o)),
    secondOrder: false,
  },
  abml: {
    ...gradientBased,
    description: 'amortised Bayesian meta-learning, a Gaussian over weights (Ravi & Beatson 2019)',
    classifier: (o) => abml(inner(o)),
    secondOrder: true,
  },
  mann: {
    family: 'black-box',
    description: 'memory-augmented LSTM (Santoro et al. 2016)',
    classifier: (o) => mann({ ways: o.ways, inputShape: [...o.inputShape], encoder: 'flat' }),
    anyWay: false,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: false,
  },
  'mann-memory': {
    family: 'black-box',
    description: 'MANN with an external memory and LRUA heads, labels one step late (Santoro et al. 2016)',
    classifier: (o) => mannMemory({ ways: o.ways, inputShape: [...o.inputShape], encoder: 'flat' }),
    anyWay: false,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: false,
  },
  snail: {
    family: 'black-box',
    description: 'SNAIL, temporal convolutions and attention (Mishra et al. 2018)',
    classifier: (o) =>
      snail({
        ways: o.ways,
        inputShape: [...o.inputShape],
        encoder: 'conv4',
        conv4: { hidden: o.hidden },
        blocks: o.snailBlocks,
      }),
    anyWay: false,
    innerSteps: false,
    secondOrder: false,
    blockStack: true,
    backbone: false,
  },
  cnp: {
    family: 'black-box',
    description: 'conditional neural process (Garnelo et al. 2018)',
    classifier: (o) =>
      cnpClassifier({
        ways: o.ways,
        inputShape: [...o.inputShape],
        encoder: 'conv4',
        conv4: { hidden: o.hidden },
      }),
    regressor: () => cnpRegressor({}),
    anyWay: false,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: false,
  },
  relation: {
    family: 'metric',
    description: 'relation network, a learned comparison module (Sung et al. 2018)',
    classifier: (o) => relationNet({ ways: o.ways, inChannels: o.inputShape[2] ?? 1, hidden: o.hidden }),
    anyWay: true,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: false,
  },
  np: {
    family: 'black-box',
    description: 'latent-variable neural process, global z (Garnelo et al. 2018)',
    classifier: (o) =>
      npClassifier({
        ways: o.ways,
        inputShape: [...o.inputShape],
        encoder: 'conv4',
        conv4: { hidden: o.hidden },
      }),
    regressor: () => npRegressor({}),
    anyWay: false,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: false,
  },
  anp: {
    family: 'black-box',
    description: 'attentive neural process: targets cross-attend to the context (Kim et al. 2019)',
    classifier: (o) =>
      npClassifier({
        ways: o.ways,
        inputShape: [...o.inputShape],
        encoder: 'conv4',
        conv4: { hidden: o.hidden },
        crossAttention: { heads: 8 },
        name: 'anp',
      }),
    regressor: () => npRegressor({ crossAttention: { heads: 8 }, name: 'anp' }),
    anyWay: false,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: false,
  },
  r2d2: {
    family: 'optimization',
    description: 'R2D2, a closed-form ridge-regression head (Bertinetto et al. 2019)',
    classifier: (o) => r2d2({ embed: backbone(o).net, ways: o.ways }),
    anyWay: true,
    innerSteps: false,
    secondOrder: false,
    blockStack: false,
    backbone: true,
  },
  mamlpp: {
    ...gradientBased,
    description:
      'MAML++, multi-step loss, per-step BN weights, statistics and inner rates, annealed order (Antoniou et al. 2019)',
    classifier: (o) =>
      mamlPlusPlus({
        ...inner(o),
        model: classifierNet(o, o.mamlpp?.perStepBnStats ?? false),
        ...o.mamlpp,
      }),
    regressor: (o) => mamlPlusPlus({ ...regression(o), ...o.mamlpp }),
    secondOrder: true,
  },
  imaml: {
    ...gradientBased,
    description: 'iMAML, implicit meta-gradients of a proximal inner problem (Rajeswaran et al. 2019)',
    classifier: (o) => imaml(inner(o)),
    regressor: (o) => imaml(regression(o)),
    secondOrder: true,
  },
} satisfies Record<string, LearnerEntry>;

export type LearnerName = keyof typeof LEARNERS;

export function isLearnerName(name: string): name is LearnerName {
  return Object.hasOwn(LEARNERS, name);
}

/** The registered names, in table order. */
export const LEARNER_NAMES: readonly LearnerName[] = Object.keys(LEARNERS).filter(isLearnerName);

/** The entry of `name`, with the optional fields of LearnerEntry visible. */
export function learnerEntry(name: LearnerName): LearnerEntry {
  return LEARNERS[name];
}

/** Names of the learners that do regression. */
export const REGRESSION_LEARNERS: readonly LearnerName[] = LEARNER_NAMES.filter(
  (n) => learnerEntry(n).regressor !== undefined,
);
