/**
 * Exported model folders (`metalearn export`: model.json with the run config as metadata, weights.bin)
 * read back and meta-tested on fixed episodes, without the run folder they came from: what a shipped
 * model's card is checked with.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { initEngine } from '../engine/backend.js';
import { disposeParams } from '../nn/params.js';
import { evaluate } from '../train/evaluate.js';
import { upgradeSavedConfig, type RunConfig } from './config.js';
import { evalProblemOf, testEpisodesDigest, type EvalOverrides, type PerEpisodeScores } from './problem.js';
import { fitContext, loadParamsFor } from './params_fit.js';

/** The run config an exported model folder carries in model.json's userDefinedMetadata.config. */
export function readModelConfig(modelDir: string): RunConfig {
  const modelJson = path.join(modelDir, 'model.json');
  if (!existsSync(modelJson))
    throw new Error(`${modelJson}: not found; give a run folder or an exported model folder`);
  let json: { userDefinedMetadata?: { config?: unknown } };
  try {
    json = JSON.parse(readFileSync(modelJson, 'utf8')) as typeof json;
  } catch (e) {
    throw new Error(`${modelJson}: not valid JSON: ${(e as Error).message}`);
  }
  const cfg = upgradeSavedConfig(json.userDefinedMetadata?.config) as RunConfig | undefined;
  if (!cfg || typeof cfg !== 'object')
    throw new Error(`${modelJson}: no 'userDefinedMetadata.config'; export the run with 'metalearn export'`);
  return cfg;
}

/** What evaluateModel measured: the episodes (by digest), the score and its interval. */
export interface ModelEvalSummary {
  model: string;
  dataset: string;
  way: number;
  shot: number;
  query: number;
  episodes: number;
  withinGroup: boolean;
  /** sha256 of the fixed episode set's file text (episodeSetText): the same digest means the same episodes. */
  episodesSha256: string;
  /** Mean accuracy over episodes and its 95% interval (n episodes). */
  test: { metric: string; mean: number; ci95: number; n: number };
  /** Accuracy only: correct answers and queries in all. */
  correct?: number;
  queries?: number;
  /** Each episode's score, for paired comparisons (`metalearn compare`). */
  perEpisode: PerEpisodeScores;
  seconds: number;
}

/**
 * Meta-test an exported model on fixed episodes of its data set's meta-test classes, drawn as `eval`
 * draws them for the run it came from (the seed comes from the run's seed and the episode shape), so a
 * model card's numbers can be checked anywhere the data is. `dataDir` says where the data is (exported
 * configs carry no machine paths).
 */
export async function evaluateModel(
  modelDir: string,
  over: Omit<EvalOverrides, 'which' | 'presentations'> & { dataDir?: string } = {},
  log: (s: string) => void = () => {},
): Promise<ModelEvalSummary> {
  const saved = readModelConfig(modelDir);
  if (saved.dataset === 'sinusoid')
    throw new Error(`${modelDir}: evaluateModel is for classification models`);
  const cfg: RunConfig = { ...saved, ...(over.dataDir !== undefined ? { dataDir: over.dataDir } : {}) };
  await initEngine({ backend: cfg.backend });
  const problem = evalProblemOf(cfg, over, log);
  const params = await loadParamsFor(
    problem.learner,
    modelDir,
    { ...cfg, way: problem.way },
    `the model's config says ${fitContext(cfg)}; was ${path.join(modelDir, 'model.json')} edited?`,
  );
  const t0 = Date.now();
  const result = evaluate(problem.learner, params, problem.episodes(), { dispose: true });
  disposeParams(params);
  const set = problem.episodeFiles[0].set;
  const episodes = testEpisodesDigest(problem.episodeFiles)!;
  const perEpisode = problem.way * problem.query;
  const summary: ModelEvalSummary = {
    model: modelDir,
    dataset: cfg.dataset,
    way: problem.way,
    shot: problem.shot,
    query: problem.query,
    episodes: set.length,
    withinGroup: set.withinGroup,
    episodesSha256: episodes.sha256,
    test: { metric: result.metric, ...result.summary },
    perEpisode: { scores: result.perEpisode, episodes },
    seconds: (Date.now() - t0) / 1000,
  };
  if (result.metric === 'accuracy') {
    summary.correct = result.perEpisode.reduce((t, a) => t + Math.round(a * perEpisode), 0);
    summary.queries = perEpisode * set.length;
  }
  return summary;
}
