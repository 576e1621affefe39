/**
 * Run configuration: defaults, then a JSON config file, then command-line flags. Every field is
 * validated with an error that names the source (file or flag), the field and what was expected.
 */
import {
  BACKBONE_NAMES,
  LEARNER_NAMES,
  isLearnerName,
  learnerEntry,
  type BackboneName,
  type LearnerName,
} from '../meta/registry.js';
import { parseGenotype } from '../nn/darts.js';
import { parseAugmentations } from '../data/augment.js';
import type { MamlPlusPlusSwitches } from '../meta/optimization/maml_pp.js';
import { TASKSET_NAMES } from '../tasks/taskset_names.js';

export type { LearnerName };

/**
 * The datasets a run can use: the image-class sets of getTaskSets (tasks/tasksets.ts, TASKSET_NAMES) and
 * 'sinusoid' regression.
 */
export const DATASETS = [...TASKSET_NAMES, 'sinusoid'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Which episodes of a run draw their classes from one group: none, validation and test, or all. */
export const WITHIN_GROUP = ['none', 'eval', 'all'] as const;
/** The datasets whose classes have groups (ClassDataset.groupOf): the alphabets of Omniglot. */
export const GROUPED_DATASETS: readonly DatasetName[] = ['omniglot', 'omniglot-lake'];

export const BACKENDS = ['wasm', 'cpu', 'tensorflow', 'webgl', 'webgpu'] as const;

export { BACKBONE_NAMES, type BackboneName };

export interface RunConfig {
  learner: LearnerName;
  dataset: DatasetName;
  /** Data folder (holds omniglot/...); default $METALEARN_DATA, else the per-user data folder. */
  dataDir?: string;
  /** For dataset 'folder': a folder of class/image files (.png, .jpg). */
  folder?: string;
  /** Side of the (square) images after resizing; default 28 for Omniglot and folders, 84 for the ImageNet-derived sets and CUB, 32 for CIFAR. */
  imageSize?: number;
  /** 'gray' or 'rgb'; default 'rgb' for the colour benchmarks, 'gray' for folders (inverted, ink = 1, as Omniglot). */
  color?: 'gray' | 'rgb';
  /** Data augmentation of training support sets, e.g. 'crop:8,flip,jitter:0.4' (see parseAugmentations). */
  augment?: string;
  way: number;
  shot: number;
  query: number;
  /**
   * Within-group episodes (all N classes from one Omniglot alphabet, Lake et al. 2015): 'none' (default),
   * 'eval' (validation and meta-test episodes) or 'all' (training episodes too).
   */
  withinGroup?: (typeof WITHIN_GROUP)[number];
  /** Ways and shots at meta-test time (default: as in training). */
  testWay?: number;
  testShot?: number;
  steps: number;
  metaBatch: number;
  lr: number;
  innerLr: number;
  innerSteps: number;
  /** Inner steps at meta-test (default: innerSteps). */
  testInnerSteps?: number;
  /** Conv4 filters; for backbone 'resnet12' the first block's width h (blocks h, 2.5h, 5h, 10h). */
  hidden: number;
  /**
   * The image network of the learners built on one (see LearnerEntry.backbone): 'conv4' (default),
   * 'resnet12' (MetaOptNet's ResNet-12, 64-160-320-640 channels at hidden 64; images of 16 pixels or more
   * a side) or 'cell' (a searched genotype, field 'genotype').
   */
  backbone?: BackboneName;
  /** For backbone 'cell': the cell's operation per edge, e.g. 'conv3x3,max3x3,skip' ('metalearn search' prints it). */
  genotype?: string;
  valEvery: number;
  valEpisodes: number;
  testEpisodes: number;
  seed: number;
  /** Output folder of the run. */
  out: string;
  backend?: (typeof BACKENDS)[number];
  /** Print a line every this many steps. */
  logEvery: number;
  /** Write <out>/checkpoint every this many steps (and at the end), so a killed run can resume. */
  checkpointEvery: number;
  /** Start from the params saved in this folder (model.json + weights.bin) instead of a fresh init. */
  initFrom?: string;
  /**
   * 'from=to': take the saved params whose names start with `from`, renamed to start with `to` (e.g.
   * 'embed.=encoder.' puts a ProtoNet's Conv4 into a SNAIL encoder). Default '=': every name as it is.
   */
  initMap?: string;
  /**
   * For learner 'snail': its block stack, a preset name ('attention', the default, or 'paper') or JSON,
   * e.g. '[{"kind":"attention","dim":64}]' (see SnailBlock and SNAIL_BLOCK_PRESETS).
   */
  snailBlocks?: string;
  /**
   * Learning-rate changes by step, 'step:lr[,step:lr...]': from each step on (the optimiser's step
   * count, 1-based) Adam uses that lr instead of `lr`, e.g. '11500:0.0003'. `resume --lr-schedule` adds
   * one to a run that was trained at a constant rate.
   */
  lrSchedule?: string;
  /**
   * For learner 'mamlpp': the switches on, comma-separated from msl (multi-step loss), bnwb (per-step
   * batch-norm weights), lslr (per-layer per-step inner rates), da (first- to second-order annealing),
   * bnrs (per-step batch-norm running statistics, used at evaluation), or 'none'. Default: msl,bnwb,lslr,da
   * (bnrs only when named, so configs saved before it existed build the same learner).
   */
  mamlpp?: string;
  /**
   * Worker threads for the meta-gradient (default 1: this thread). The wasm backend uses one core per
   * thread; N workers split each meta-batch N ways. Changes speed only, not what is computed.
   */
  workers?: number;
}

export const DEFAULTS: RunConfig = {
  learner: 'protonet',
  dataset: 'synthetic',
  way: 5,
  shot: 1,
  query: 15,
  steps: 300,
  metaBatch: 1,
  lr: 1e-3,
  innerLr: 0.4,
  innerSteps: 1,
  hidden: 64,
  valEvery: 100,
  valEpisodes: 100,
  testEpisodes: 1000,
  seed: 0,
  out: 'runs/latest',
  logEvery: 25,
  checkpointEvery: 50,
};

export type FieldKind = 'int' | 'posint' | 'number' | 'posnumber' | 'string' | { oneOf: readonly string[] };

/** A config field: how it is validated and how `--help` describes it. */
export interface FieldSpec {
  kind: FieldKind;
  /** What the field means, for the generated help (the default is added from DEFAULTS). */
  help: string;
  /** The default when DEFAULTS has none (shown in help only). */
  note?: string;
}

/**
 * The fields of a run config, in help order. Config files (camelCase) and flags (--kebab-case) are both
 * validated against this table, and `train --help` is generated from it.
 */
export const SCHEMA: Record<keyof RunConfig, FieldSpec> = {
  learner: { kind: { oneOf: LEARNER_NAMES }, help: 'meta-learner' },
  dataset: { kind: { oneOf: DATASETS }, help: "data: 'sinusoid' is regression (MAML paper)" },
  dataDir: {
    kind: 'string',
    help: 'folder holding omniglot/, mini-imagenet/, tiered-imagenet/, cifar100/, CUB_200_2011/',
    note: '$METALEARN_DATA, else ~/.local/share/metalearn',
  },
  folder: { kind: 'string', help: 'for --dataset folder: a folder of class/image files (.png, .jpg)' },
  imageSize: {
    kind: 'posint',
    help: 'image side after resizing',
    note: '28; 84 ImageNet sets and cub; 32 cifar',
  },
  color: {
    kind: { oneOf: ['gray', 'rgb'] },
    help: 'images in colour or gray (a gray folder is inverted: ink = 1)',
    note: 'rgb for benchmarks, gray for folders',
  },
  augment: {
    kind: 'string',
    help: "training support augmentation: comma-separated crop:<pad>, flip[:<p>], jitter:<s>, e.g. 'crop:8,flip'",
  },
  way: { kind: 'posint', help: 'N of N-way episodes' },
  shot: { kind: 'posint', help: 'K of K-shot episodes' },
  query: { kind: 'posint', help: 'queries per class' },
  withinGroup: {
    kind: { oneOf: WITHIN_GROUP },
    help: "within-alphabet episodes (Lake et al. 2015) for 'eval' (validation, meta-test) or 'all' episodes; omniglot datasets",
    note: 'none',
  },
  testWay: { kind: 'posint', help: 'N at meta-test', note: '= way' },
  testShot: { kind: 'posint', help: 'K at meta-test', note: '= shot' },
  steps: { kind: 'int', help: 'meta-training steps' },
  metaBatch: { kind: 'posint', help: 'episodes per step' },
  lr: { kind: 'posnumber', help: 'Adam learning rate' },
  innerLr: { kind: 'number', help: 'inner-loop rate of MAML-family learners and Reptile' },
  innerSteps: { kind: 'int', help: 'inner-loop steps of MAML-family learners and Reptile' },
  testInnerSteps: { kind: 'int', help: 'inner steps at meta-test', note: '= inner-steps' },
  hidden: { kind: 'posint', help: 'Conv4 filters (resnet12: first block width h; blocks h, 2.5h, 5h, 10h)' },
  backbone: {
    kind: { oneOf: BACKBONE_NAMES },
    help: "image network of protonet, matching, r2d2 and the MAML family (resnet12 at hidden 64: 64-160-320-640; 'cell': a searched genotype)",
    note: 'conv4',
  },
  genotype: {
    kind: 'string',
    help: "for --backbone cell: one operation per cell edge, e.g. 'conv3x3,max3x3,skip' (as 'metalearn search' prints)",
  },
  valEvery: { kind: 'int', help: 'validate every this many steps (0 = no validation)' },
  valEpisodes: { kind: 'posint', help: 'fixed validation episodes' },
  testEpisodes: { kind: 'posint', help: 'fixed meta-test episodes' },
  seed: { kind: 'int', help: 'seed of everything sampled' },
  out: { kind: 'string', help: 'run folder: config.json, metrics.jsonl, best/, last/, results.json' },
  backend: { kind: { oneOf: BACKENDS }, help: 'tfjs backend', note: 'best available' },
  logEvery: { kind: 'posint', help: 'print a line every this many steps' },
  checkpointEvery: { kind: 'posint', help: 'write <out>/checkpoint every this many steps' },
  initFrom: { kind: 'string', help: 'start from saved params (a model.json folder, e.g. runs/proto/best)' },
  initMap: {
    kind: 'string',
    help: "from=to: use the saved names starting with 'from', renamed to start with 'to' (e.g. embed.=encoder.)",
    note: '=',
  },
  snailBlocks: {
    kind: 'string',
    help: `snail's block stack: 'attention', 'paper' or JSON, e.g. '[{"kind":"attention","dim":32}]'`,
    note: 'attention',
  },
  lrSchedule: {
    kind: 'string',
    help: "learning-rate changes, step:lr[,step:lr...] (e.g. 2001:0.001), or 'cosine[:min]': cosine from lr to min (default 0) over the steps",
  },
  mamlpp: {
    kind: 'string',
    help: "mamlpp's (MAML++) switches on, from msl,bnwb,lslr,da,bnrs, or 'none'",
    note: 'msl,bnwb,lslr,da',
  },
  workers: {
    kind: 'posint',
    help: "worker threads sharing each meta-batch's meta-gradient (one core each)",
    note: '1',
  },
};

export const CONFIG_KEYS = Object.keys(SCHEMA) as (keyof RunConfig)[];

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

export function suggest(key: string, options: readonly string[]): string {
  const best = options
    .map((o) => [o, editDistance(key.toLowerCase(), o.toLowerCase())] as const)
    .sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 3 ? ` (did you mean '${best[0]}'?)` : '';
}

/** Validate one value; `raw` strings (from flags) are converted. Returns the typed value. */
export function checkValue(key: string, value: unknown, source: string, fromString = false): unknown {
  if (!(key in SCHEMA)) {
    throw new Error(
      `${source}: unknown field '${key}'${suggest(key, CONFIG_KEYS)}; known fields: ${CONFIG_KEYS.join(', ')}`,
    );
  }
  const kind = SCHEMA[key as keyof RunConfig].kind;
  let v = value;
  // Number('') is 0 and Number('0x10') 16: a flag's number must be written as one.
  if (fromString && typeof v === 'string' && kind !== 'string' && typeof kind === 'string')
    v = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
  // JSON.stringify prints Infinity (a config's 1e400) and NaN as null.
  const shown = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  const fail = (expected: string): never => {
    throw new Error(`${source}: field '${key}' must be ${expected}, got ${shown}`);
  };
  // Integers are counts: beyond 2^53 they are not even exact (and 1e99 steps never end).
  if (kind === 'int' && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0))
    fail('a non-negative integer');
  if (kind === 'posint' && !(typeof v === 'number' && Number.isSafeInteger(v) && v > 0))
    fail('a positive integer');
  if (kind === 'number' && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
    fail('a non-negative number');
  if (kind === 'posnumber' && !(typeof v === 'number' && Number.isFinite(v) && v > 0))
    fail('a positive number');
  if (kind === 'string' && typeof v !== 'string') fail('a string');
  if (typeof kind === 'object' && !(typeof v === 'string' && kind.oneOf.includes(v))) {
    fail(`one of ${kind.oneOf.join(', ')}${typeof v === 'string' ? suggest(v, kind.oneOf) : ''}`);
  }
  return v;
}

/** The points of an `lrSchedule` ('step:lr[,step:lr...]'), by step. Throws on a malformed one, naming the field. */
export function parseLrSchedule(text: string): { from: number; lr: number }[] {
  const points = text.split(',').map((part) => {
    const m = /^\s*(\d+)\s*:\s*([0-9.eE+-]+)\s*$/.exec(part);
    const lr = m ? Number(m[2]) : NaN;
    if (!m || !(lr > 0)) {
      throw new Error(
        `field 'lrSchedule': expected 'step:lr[,step:lr...]' with positive rates, e.g. '11500:0.0003', got ${JSON.stringify(text)}`,
      );
    }
    return { from: Number(m[1]), lr };
  });
  return points.sort((a, b) => a.from - b.from);
}

const COSINE = /^\s*cosine(?:\s*:\s*([0-9.eE+-]+))?\s*$/;

/**
 * The floor of a cosine `lrSchedule` ('cosine' or 'cosine:min'), or null for a list of changes. Throws on
 * a malformed floor, naming the field.
 */
export function cosineFloor(text: string): number | null {
  const m = COSINE.exec(text);
  if (!m) return null;
  const min = m[1] === undefined ? 0 : Number(m[1]);
  if (!(min >= 0))
    throw new Error(
      `field 'lrSchedule': expected 'cosine' or 'cosine:min' with min >= 0, got ${JSON.stringify(text)}`,
    );
  return min;
}

/** Throws unless `text` is a valid lrSchedule: a list of changes or a cosine schedule. */
export function checkLrSchedule(text: string): void {
  if (cosineFloor(text) === null) parseLrSchedule(text);
}

/**
 * The learning rate at each optimiser step (1-based) of a run: `lr`, changed from the steps of
 * `lrSchedule` on, or annealed by a half cosine from `lr` at step 1 to the floor at the last step (the
 * outer rate of MAML++, Antoniou et al. 2019; Loshchilov and Hutter 2017 without restarts).
 */
export function learningRate(
  cfg: Pick<RunConfig, 'lr' | 'lrSchedule' | 'steps'>,
): number | ((step: number) => number) {
  if (!cfg.lrSchedule) return cfg.lr;
  const floor = cosineFloor(cfg.lrSchedule);
  if (floor !== null) {
    const span = Math.max(1, cfg.steps - 1);
    return (step: number) => {
      const t = Math.min(1, Math.max(0, (step - 1) / span));
      // A floor of 0 would make the last step's rate 0, which Adam refuses: keep it just above.
      return Math.max(floor + ((cfg.lr - floor) * (1 + Math.cos(Math.PI * t))) / 2, cfg.lr * 1e-6);
    };
  }
  const points = parseLrSchedule(cfg.lrSchedule);
  return (step: number) => {
    let lr = cfg.lr;
    for (const p of points) if (step >= p.from) lr = p.lr;
    return lr;
  };
}

const MAMLPP_SWITCHES = {
  msl: 'multiStepLoss',
  bnwb: 'perStepBatchNorm',
  lslr: 'perStepLr',
  da: 'derivativeAnnealing',
  bnrs: 'perStepBnStats',
} as const satisfies Record<string, keyof MamlPlusPlusSwitches>;

/** The switches on when field 'mamlpp' is absent: all but bnrs, which came later (old configs keep their learner). */
const MAMLPP_DEFAULT = ['msl', 'bnwb', 'lslr', 'da'];

/**
 * MAML++'s switches from field 'mamlpp' ('msl,bnwb,lslr,da,bnrs', a subset, or 'none'); when absent,
 * msl,bnwb,lslr,da.
 */
export function parseMamlppSwitches(text: string | undefined): MamlPlusPlusSwitches {
  const on = new Set<string>(MAMLPP_DEFAULT);
  if (text !== undefined) {
    on.clear();
    const names = text.trim() === 'none' ? [] : text.split(',').map((t) => t.trim());
    for (const n of names) {
      if (!Object.hasOwn(MAMLPP_SWITCHES, n)) {
        throw new Error(
          `field 'mamlpp': unknown switch '${n}'; expected a comma-separated list of ${Object.keys(MAMLPP_SWITCHES).join(', ')}, or 'none', got ${JSON.stringify(text)}`,
        );
      }
      on.add(n);
    }
  }
  const out: MamlPlusPlusSwitches = {};
  for (const [k, field] of Object.entries(MAMLPP_SWITCHES)) out[field] = on.has(k);
  return out;
}

/** The learner of `cfg` is built from a block stack (SNAIL), which a run's config.json records. */
export const takesBlockStack = (learner: unknown): boolean =>
  typeof learner === 'string' && isLearnerName(learner) && learnerEntry(learner).blockStack;

/**
 * A run folder's saved config, read by resume, eval, export and predict. SNAIL runs saved before the
 * block stack was recorded in config.json used the paper's stack, then the default; new runs record it.
 */
export function upgradeSavedConfig<T>(cfg: T): T {
  const c = cfg as Record<string, unknown> | null;
  if (c && typeof c === 'object' && takesBlockStack(c.learner) && c.snailBlocks === undefined) {
    return { ...c, snailBlocks: 'paper' } as T;
  }
  return cfg;
}

/** Merge and validate: defaults, then `file` (parsed JSON, named `fileName`), then flags. */
export function resolveConfig(
  file: Record<string, unknown> | undefined,
  fileName: string,
  flags: Record<string, string>,
): RunConfig {
  const cfg: Record<string, unknown> = { ...DEFAULTS };
  if (file !== undefined) {
    if (file === null || typeof file !== 'object' || Array.isArray(file)) {
      throw new Error(`${fileName}: a config file must hold a JSON object, got ${JSON.stringify(file)}`);
    }
    for (const [k, v] of Object.entries(file)) cfg[k] = checkValue(k, v, fileName);
  }
  for (const [k, v] of Object.entries(flags)) cfg[k] = checkValue(k, v, `--${k}`, true);
  const c = cfg as unknown as RunConfig;
  if (c.dataset === 'folder' && !c.folder)
    throw new Error(`dataset 'folder' needs field 'folder' (a folder of class/file.png)`);
  // Checked here, with the field named, rather than as a tfjs error (oneHot) mid-run.
  if (c.dataset !== 'sinusoid') {
    for (const k of ['way', 'testWay'] as const) {
      const v = c[k];
      if (v !== undefined && v < 2) {
        const from = k in flags ? `--${kebabCase(k)}` : file && k in file ? fileName : '(defaults)';
        throw new Error(
          `${from}: field '${k}' must be at least 2 for classification (an episode tells classes apart), got ${v}`,
        );
      }
    }
  }
  if (c.withinGroup !== undefined && c.withinGroup !== 'none' && !GROUPED_DATASETS.includes(c.dataset)) {
    const src = 'withinGroup' in flags ? '--within-group' : fileName;
    throw new Error(
      `${src}: field 'withinGroup' needs a dataset whose classes have groups (${GROUPED_DATASETS.join(', ')}), got dataset '${c.dataset}'`,
    );
  }
  if (c.augment !== undefined) parseAugmentations(c.augment);
  if (c.lrSchedule !== undefined) checkLrSchedule(c.lrSchedule);
  if (c.mamlpp !== undefined) parseMamlppSwitches(c.mamlpp);
  const from = (field: string) => (field in flags ? `--${field}` : fileName);
  if (c.backbone !== undefined && c.backbone !== 'conv4') {
    if (c.dataset === 'sinusoid')
      throw new Error(`${from('backbone')}: field 'backbone' is for image datasets; 'sinusoid' uses an MLP`);
    if (isLearnerName(c.learner) && !learnerEntry(c.learner).backbone)
      throw new Error(
        `${from('backbone')}: learner '${c.learner}' has its own encoder, not a backbone; field 'backbone' applies to ${LEARNER_NAMES.filter((n) => learnerEntry(n).backbone).join(', ')}`,
      );
  }
  if (c.backbone === 'cell' && c.genotype === undefined)
    throw new Error(
      `${from('backbone')}: field 'backbone' 'cell' needs field 'genotype' (e.g. 'conv3x3,max3x3,skip')`,
    );
  if (c.genotype !== undefined) {
    if (c.backbone !== 'cell')
      throw new Error(
        `${from('genotype')}: field 'genotype' applies only with field 'backbone' set to 'cell'`,
      );
    parseGenotype(c.genotype);
  }
  return c;
}

/** A config field's flag name: metaBatch -> meta-batch. */
export const kebabCase = (key: string): string => key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** A flag name's config field: meta-batch -> metaBatch. */
export const camelCase = (flag: string): string =>
  flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
