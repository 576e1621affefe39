/**
 * Paired comparison of two meta-test results on the same fixed episodes: the per-episode difference
 * and its 95% interval, which is narrower than comparing the two separate intervals when the episodes'
 * difficulty is shared between the two models (one episode set, two models).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { meanCI, pairedDifference, type MeanCI, type PairedDifference } from '../engine/stats.js';
import type { EpisodeSetDigest, PerEpisodeScores } from './problem.js';

/** One side of a comparison: a result file's metric and per-episode scores. */
export interface ScoredResult {
  /** The file the scores were read from. */
  file: string;
  metric: string;
  scores: number[];
  episodes?: EpisodeSetDigest;
}

export interface Comparison {
  metric: string;
  a: ScoredResult & { summary: MeanCI };
  b: ScoredResult & { summary: MeanCI };
  /** b - a, episode by episode. */
  difference: PairedDifference;
}

/**
 * The scores of a run folder (its results.json, the meta-test at the end of training) or of a result
 * file (results.json, eval-*.json). Errors name the file and what is missing.
 */
export function readScoredResult(source: string): ScoredResult {
  const file =
    existsSync(source) && statSync(source).isDirectory() ? path.join(source, 'results.json') : source;
  if (!existsSync(file)) throw new Error(`compare: ${file} does not exist (a run folder or a result file)`);
  let j: { test?: { metric?: unknown }; perEpisode?: PerEpisodeScores };
  try {
    j = JSON.parse(readFileSync(file, 'utf8')) as typeof j;
  } catch (e) {
    throw new Error(`compare: ${file} is not JSON (${(e as Error).message})`);
  }
  const metric = j.test?.metric;
  if (typeof metric !== 'string')
    throw new Error(`compare: ${file} has no test.metric (not a meta-test result)`);
  const scores = j.perEpisode?.scores;
  if (!Array.isArray(scores) || scores.length === 0 || !scores.every((v) => typeof v === 'number')) {
    throw new Error(
      `compare: ${file} has no perEpisode.scores (results from before metalearn-ts 0.3 lack them: run 'metalearn eval' on the run folder for an eval file that has them)`,
    );
  }
  return { file, metric, scores, ...(j.perEpisode?.episodes ? { episodes: j.perEpisode.episodes } : {}) };
}

/** Compare two scored results; they must be scores of one metric on the same saved episode set. */
export function compareResults(a: ScoredResult, b: ScoredResult): Comparison {
  if (a.metric !== b.metric)
    throw new Error(`compare: ${a.file} scores ${a.metric}, ${b.file} scores ${b.metric}`);
  if (!a.episodes || !b.episodes) {
    const missing = a.episodes ? b.file : a.file;
    throw new Error(
      `compare: ${missing} does not say which episode set it was scored on (no perEpisode.episodes)`,
    );
  }
  if (a.episodes.sha256 !== b.episodes.sha256 || a.scores.length !== b.scores.length) {
    throw new Error(
      `compare: ${a.file} and ${b.file} were not scored on the same episodes (${a.scores.length} episodes, sha256 ${a.episodes.sha256.slice(0, 16)} against ${b.scores.length}, ${b.episodes.sha256.slice(0, 16)}); evaluate both on one shape with 'metalearn eval'`,
    );
  }
  return {
    metric: a.metric,
    a: { ...a, summary: meanCI(a.scores) },
    b: { ...b, summary: meanCI(b.scores) },
    difference: pairedDifference(a.scores, b.scores),
  };
}
