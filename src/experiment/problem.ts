/**
 * A problem is what an experiment trains and tests: a learner, its training, validation and meta-test
 * task sources, and the metric. Classification (N-way K-shot episodes of image classes) and sinusoid
 * regression are the two kinds; runExperiment and evaluateRun take either through this one shape.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { EpisodeSampler, EpisodeSet } from '../tasks/episodes.js';
import { SinusoidTasks } from '../tasks/sinusoid.js';
import { TaskSource, augment, kShots, nQueries, nWays, withinGroups } from '../tasks/transforms.js';
import { parseAugmentations } from '../data/augment.js';
import { episodeSetText, saveEpisodeSet } from '../tasks/episode_files.js';
import type { MetaLearner } from '../meta/types.js';
import type { SupportQuery } from '../tasks/types.js';
import { isLearnerName, learnerEntry } from '../meta/registry.js';
import type { RunConfig } from './config.js';
import { loadMetaDatasets } from './datasets.js';
import { makeLearner, makeRegressionLearner } from './learners.js';
import { evalSeed, testSeed, validationSeed } from './seeds.js';
import { dataFingerprint, type DataFingerprint } from './data_fingerprint.js';

export type ProblemKind = 'classification' | 'regression';

/** An episode set fixed by its seed, saved in the run folder so that any model can be tested on it. */
export interface SavedEpisodes {
  file: string;
  set: EpisodeSet;
}

export interface Problem {
  kind: ProblemKind;
  metric: 'accuracy' | 'mse';
  /** Where the data came from and how it is split, one line. */
  description: string;
  /** The learner and the training episode shape, one line. */
  headline: string;
  /** The learner trained and validated. */
  learner: MetaLearner;
  /** The learner meta-tested: another way or number of inner steps than in training, or `learner`. */
  testLearner: MetaLearner;
  /** A training episode (task) from the training stream. */
  sample(rng: Rng): SupportQuery;
  /** The fixed validation episodes, the same on every call. */
  validation(): Iterable<SupportQuery>;
  /** The fixed meta-test episodes, the same on every call. */
  test(): Iterable<SupportQuery>;
  /** The meta-test shape, as the result line names it ('5-way 1-shot'). */
  testLabel: string;
  /** What a training step's meta-batch holds, for the progress rate. */
  unit: 'episodes' | 'tasks';
  /** Fixed episode sets to save in the run folder. */
  episodeFiles: SavedEpisodes[];
  /** Generated test tasks, not saved (sinusoid): which they were, for perEpisode. */
  testDigest?: () => EpisodeSetDigest;
  /** The export of learners.ts that builds `learner` in a worker thread, and its argument. */
  worker: { name: 'learnerForWorker' | 'regressionLearnerForWorker'; arg: unknown };
  /** The classes and counts of the loaded data (classification), kept in the run and checked on resume. */
  fingerprint?: DataFingerprint;
}

function* fromSet(set: EpisodeSet, sampler: EpisodeSampler): Iterable<SupportQuery> {
  for (let i = 0; i < set.length; i++) yield set.build(i, sampler);
}

const SINUSOID = 'sinusoid regression (amplitude 0.1-5, phase 0-pi, x in [-5, 5])';

/** `n` sinusoid tasks drawn from `seed`, as K-shot support and Q query points each. */
function fixedTasks(tasks: SinusoidTasks, seed: number, n: number, shot: number, query: number) {
  return function* (): Iterable<SupportQuery> {
    const r = new Rng(seed);
    for (let i = 0; i < n; i++) yield tasks.sample(r).source.supportQuery(shot, query, r);
  };
}

/** The data of `cfg` as fingerprints name it. */
const dataSource = (cfg: RunConfig): string =>
  `dataset '${cfg.dataset}'${cfg.dataset === 'folder' ? ` ${cfg.folder}` : ''}`;

const innerSteps = (cfg: RunConfig): boolean =>
  isLearnerName(cfg.learner) && learnerEntry(cfg.learner).innerSteps;

/** The problem a run config describes. Classification loads its data here (and logs while it does). */
export function problemOf(cfg: RunConfig, log: (s: string) => void = () => {}): Problem {
  return cfg.dataset === 'sinusoid' ? regressionProblem(cfg) : classificationProblem(cfg, log);
}

function classificationProblem(cfg: RunConfig, log: (s: string) => void): Problem {
  const data = loadMetaDatasets(cfg, log);
  const shape = data.train.exampleShape;
  const learner = makeLearner(cfg, shape);
  const testWay = cfg.testWay ?? cfg.way;
  const testShot = cfg.testShot ?? cfg.shot;
  // Meta-test adapts with testInnerSteps (validation, part of training, with innerSteps).
  const testSteps = cfg.testInnerSteps ?? cfg.innerSteps;
  const testLearner =
    testWay === cfg.way && testSteps === cfg.innerSteps
      ? learner
      : makeLearner({ ...cfg, way: testWay, innerSteps: testSteps }, shape);
  const groups = cfg.withinGroup ?? 'none';
  const evalGroups = groups !== 'none';
  const trainSampler = new EpisodeSampler(data.train, {
    nWay: cfg.way,
    kShot: cfg.shot,
    nQuery: cfg.query,
    withinGroup: groups === 'all',
  });
  // Augmented training tasks (support sets only; validation and test episodes are never augmented).
  const trainTasks =
    cfg.augment !== undefined && parseAugmentations(cfg.augment).length > 0
      ? new TaskSource(data.train, [
          nWays(cfg.way),
          kShots(cfg.shot),
          nQueries(cfg.query),
          ...(groups === 'all' ? [withinGroups()] : []),
          augment(parseAugmentations(cfg.augment)),
        ])
      : undefined;
  const valSampler = new EpisodeSampler(data.val, {
    nWay: cfg.way,
    kShot: cfg.shot,
    nQuery: cfg.query,
    withinGroup: evalGroups,
  });
  const testSampler = new EpisodeSampler(data.test, {
    nWay: testWay,
    kShot: testShot,
    nQuery: cfg.query,
    withinGroup: evalGroups,
  });
  // Fixed, saved episode sets: every model evaluated on this data sees the same episodes.
  const valSet = EpisodeSet.generate(valSampler, cfg.valEpisodes, validationSeed(cfg.seed));
  const testSet = EpisodeSet.generate(testSampler, cfg.testEpisodes, testSeed(cfg.seed));
  return {
    kind: 'classification',
    metric: 'accuracy',
    description: data.description,
    headline: `${learner.name}: ${cfg.way}-way ${cfg.shot}-shot, ${cfg.query} queries/class, meta-batch ${cfg.metaBatch}, ${cfg.steps} steps`,
    learner,
    testLearner,
    sample: (r) => (trainTasks ? trainTasks.sample(r) : trainSampler.sample(r)),
    validation: () => fromSet(valSet, valSampler),
    test: () => fromSet(testSet, testSampler),
    testLabel: `${testWay}-way ${testShot}-shot${evalGroups ? ' within-alphabet' : ''}`,
    unit: 'episodes',
    episodeFiles: [
      { file: 'val-episodes.json', set: valSet },
      { file: 'test-episodes.json', set: testSet },
    ],
    worker: { name: 'learnerForWorker', arg: { cfg, shape } },
    fingerprint: dataFingerprint(data, dataSource(cfg)),
  };
}

function regressionProblem(cfg: RunConfig): Problem {
  const tasks = new SinusoidTasks();
  const learner = makeRegressionLearner(cfg);
  const steps = cfg.testInnerSteps ?? cfg.innerSteps;
  const testLearner = makeRegressionLearner(cfg, steps);
  const testShot = cfg.testShot ?? cfg.shot;
  return {
    kind: 'regression',
    metric: 'mse',
    description: SINUSOID,
    headline: `${learner.name}: ${cfg.shot}-shot, ${cfg.query} query points, meta-batch ${cfg.metaBatch}, ${cfg.steps} steps`,
    learner,
    testLearner,
    sample: (r) => tasks.sample(r).source.supportQuery(cfg.shot, cfg.query, r),
    validation: fixedTasks(tasks, validationSeed(cfg.seed), cfg.valEpisodes, cfg.shot, cfg.query),
    test: fixedTasks(tasks, testSeed(cfg.seed), cfg.testEpisodes, testShot, cfg.query),
    testDigest: () =>
      generatedTasksDigest(
        sinusoidLabel(testSeed(cfg.seed), cfg.testEpisodes, testShot, cfg.query),
        fixedTasks(tasks, testSeed(cfg.seed), cfg.testEpisodes, testShot, cfg.query),
      ),
    testLabel: `${testShot}-shot${innerSteps(cfg) ? `, ${steps} inner step${steps === 1 ? '' : 's'}` : ''}`,
    unit: 'tasks',
    episodeFiles: [],
    worker: { name: 'regressionLearnerForWorker', arg: { cfg } },
  };
}

/** What `eval` may change of a finished run's meta-test. */
export interface EvalOverrides {
  way?: number;
  shot?: number;
  query?: number;
  episodes?: number;
  which?: 'best' | 'last';
  innerSteps?: number;
  /**
   * Sequence learners (mann-memory): score sequences of `way` classes x this many images each, read
   * with labels one step late, by accuracy at each presentation of a class (Santoro et al. 2016's
   * table) instead of support/query accuracy. Replaces shot and query.
   */
  presentations?: number;
  /**
   * Draw each episode's classes from one group (an Omniglot alphabet); default: as the run's meta-test
   * (its withinGroup is 'eval' or 'all'). The result file's name ends in '-within' when true.
   */
  withinGroup?: boolean;
}

/** A finished run's meta-test with another shape: the learner, the episodes and how the result is named. */
export interface EvalProblem {
  learner: MetaLearner;
  episodes(): Iterable<SupportQuery>;
  /** Episode sets to save beside the result. */
  episodeFiles: SavedEpisodes[];
  /** Generated tasks, not saved (sinusoid): which they were, for perEpisode. */
  testDigest?: () => EpisodeSetDigest;
  way: number;
  shot: number;
  query: number;
  innerSteps: number;
  /** The result line after the learner's name and checkpoint, given the formatted metric. */
  line(metric: string): string;
  /** The result's file name in the run folder. */
  resultFile: string;
  /** The classes and counts of the loaded data (classification), checked against the run's. */
  fingerprint?: DataFingerprint;
}

/** The meta-test of `cfg`'s run with `over` applied. Episode sets are drawn from named seeds (seeds.ts). */
export function evalProblemOf(
  cfg: RunConfig,
  over: EvalOverrides,
  log: (s: string) => void = () => {},
): EvalProblem {
  const which = over.which ?? 'best';
  const shot = over.shot ?? cfg.testShot ?? cfg.shot;
  const query = over.query ?? cfg.query;
  const episodes = over.episodes ?? cfg.testEpisodes;
  const steps = over.innerSteps ?? cfg.testInnerSteps ?? cfg.innerSteps;
  if (cfg.dataset === 'sinusoid') {
    // The same fixed test tasks as the run's own meta-test when the shapes match.
    return {
      learner: makeRegressionLearner(cfg, steps),
      episodes: fixedTasks(new SinusoidTasks(), testSeed(cfg.seed), episodes, shot, query),
      episodeFiles: [],
      testDigest: () =>
        generatedTasksDigest(
          sinusoidLabel(testSeed(cfg.seed), episodes, shot, query),
          fixedTasks(new SinusoidTasks(), testSeed(cfg.seed), episodes, shot, query),
        ),
      way: 0,
      shot,
      query,
      innerSteps: steps,
      line: (m) => `${shot}-shot, ${steps} inner steps: MSE ${m}`,
      resultFile: `eval-${shot}shot-${steps}steps.json`,
    };
  }
  const way = over.way ?? cfg.testWay ?? cfg.way;
  const data = loadMetaDatasets(cfg, log);
  const learner = makeLearner({ ...cfg, way, innerSteps: steps }, data.test.exampleShape);
  const within = over.withinGroup ?? (cfg.withinGroup ?? 'none') !== 'none';
  const sampler = new EpisodeSampler(data.test, {
    nWay: way,
    kShot: shot,
    nQuery: query,
    withinGroup: within,
  });
  const set = EpisodeSet.generate(sampler, episodes, evalSeed(cfg.seed, way, shot));
  const shape = `${way}w${shot}s${within ? '-within' : ''}`;
  const tag = `${shape}${steps === cfg.innerSteps ? '' : `-${steps}steps`}${which === 'last' ? '-last' : ''}`;
  return {
    learner,
    episodes: () => fromSet(set, sampler),
    episodeFiles: [{ file: `test-episodes-${shape}.json`, set }],
    way,
    shot,
    query,
    innerSteps: steps,
    line: (m) =>
      `${way}-way ${shot}-shot${within ? ' within-alphabet' : ''}${learner.family === 'optimization' ? `, ${steps} inner steps` : ''}: ${m}`,
    resultFile: `eval-${tag}.json`,
    fingerprint: dataFingerprint(data, dataSource(cfg)),
  };
}

/**
 * An episode set's file name (saved in the run folder by train and eval) and the sha256 of its text; for
 * generated tasks that are not saved (sinusoid), a description in place of the name and the sha256 of
 * the tasks' values.
 */
export interface EpisodeSetDigest {
  file: string;
  sha256: string;
}

const sinusoidLabel = (seed: number, n: number, shot: number, query: number) =>
  `sinusoid tasks of seed ${seed}: ${n} x (${shot} support + ${query} query points), generated, not saved`;

/**
 * The digest of generated tasks: sha256 of their support and query values (float32 bytes, in order), so
 * the same digest means the same tasks even if the generator changes between versions.
 */
export function generatedTasksDigest(label: string, tasks: () => Iterable<SupportQuery>): EpisodeSetDigest {
  const h = createHash('sha256');
  for (const e of tasks()) {
    for (const t of [e.support.x, e.support.y, e.query.x, e.query.y]) {
      const v = t.dataSync();
      h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
    tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);
  }
  return { file: label, sha256: h.digest('hex') };
}

/** Each fixed episode's score in order, and which saved episode set they are from. */
export interface PerEpisodeScores {
  scores: number[];
  episodes?: EpisodeSetDigest;
}

/**
 * Which fixed meta-test episodes a result's scores are from: the saved file's name and the sha256 of its
 * text (the same digest, the same episodes); undefined when the problem has no saved test set.
 */
export function testEpisodesDigest(files: SavedEpisodes[]): EpisodeSetDigest | undefined {
  const f = files.find((e) => e.file.startsWith('test-episodes'));
  return f && { file: f.file, sha256: createHash('sha256').update(episodeSetText(f.set)).digest('hex') };
}

/** Save a problem's fixed episode sets into `dir`. */
export function saveEpisodes(dir: string, files: SavedEpisodes[]): void {
  for (const f of files) saveEpisodeSet(f.set, path.join(dir, f.file));
}
