/**
 * Evaluation shards (Node: files): the meta-test of a finished run on E fixed episodes split into
 * contiguous ranges, each evaluated on its own (by a worker of the queue, sweep_queue.ts), and combined
 * exactly: accuracy from the sums of correct answers and of queries, the interval from the per-episode
 * scores in episode order, so the combined result is the one-process result whatever the split.
 */
import * as path from 'node:path';
import { initEngine } from '../engine/backend.js';
import { meanCI, type MeanCI } from '../engine/stats.js';
import { disposeParams } from '../nn/params.js';
import { settledDir } from '../nn/io_files.js';
import { disposeSupportQuery, type SupportQuery } from '../tasks/types.js';
import { evaluate } from '../train/evaluate.js';
import { readRunConfig } from './config_file.js';
import { checkDataFingerprint } from './data_fingerprint.js';
import { evalHint, loadParamsFor } from './params_fit.js';
import { evalProblemOf, saveEpisodes, type EvalOverrides } from './problem.js';
import { writeRunFile } from './run_folder.js';

/** Shard `index` of `count`: episodes [floor(index*E/count), floor((index+1)*E/count)). */
export interface EvalShard {
  index: number;
  count: number;
}

/** One shard's scores. */
export interface EvalShardResult {
  run: string;
  metric: 'accuracy' | 'mse';
  index: number;
  count: number;
  /** The shard's first episode and how many it scored. */
  first: number;
  episodes: number;
  /** Per-episode scores (accuracy or MSE), in episode order. */
  scores: number[];
  /** Accuracy only: correct answers per episode (integers) and queries per episode. */
  correct?: number[];
  queries?: number;
}

/** The combined meta-test of every shard. */
export interface EvalShardsSummary {
  run: string;
  metric: 'accuracy' | 'mse';
  episodes: number;
  shards: number;
  /** Mean and 95% CI over episodes (the mean of accuracy is total correct / total queries). */
  test: MeanCI;
  /** Accuracy only: total correct answers and total queries. */
  correct?: number;
  queries?: number;
}

function shardRange(episodes: number, s: EvalShard): [number, number] {
  if (!(
    Number.isSafeInteger(s.count) &&
    s.count > 0 &&
    Number.isSafeInteger(s.index) &&
    s.index >= 0 &&
    s.index < s.count
  ))
    throw new Error(
      `eval shard: index must be in 0..count-1 and count positive, got ${s.index} of ${s.count}`,
    );
  return [Math.floor((s.index * episodes) / s.count), Math.floor(((s.index + 1) * episodes) / s.count)];
}

/** The episodes of [lo, hi) of a fixed episode stream; the others are drawn (the stream is sequential) and disposed. */
function* range(all: Iterable<SupportQuery>, lo: number, hi: number): Generator<SupportQuery> {
  let i = 0;
  for (const ep of all) {
    if (i >= hi) {
      disposeSupportQuery(ep);
      break;
    }
    if (i >= lo) yield ep;
    else disposeSupportQuery(ep);
    i++;
  }
}

/**
 * Meta-test one shard of a finished run's fixed episodes (the episode set `metalearn eval` draws for
 * `over`). Shard 0 also saves the episode set beside the run, as `eval` does.
 */
export async function evaluateShard(
  runDir: string,
  over: EvalOverrides,
  shard: EvalShard,
): Promise<EvalShardResult> {
  const cfg = readRunConfig(runDir);
  await initEngine({ backend: cfg.backend });
  const problem = evalProblemOf(cfg, over);
  if (problem.fingerprint) checkDataFingerprint(runDir, problem.fingerprint, 'eval');
  const total = over.episodes ?? cfg.testEpisodes;
  const [lo, hi] = shardRange(total, shard);
  const params = await loadParamsFor(
    problem.learner,
    settledDir(path.join(runDir, over.which ?? 'best')),
    { ...cfg, way: problem.way || cfg.way },
    evalHint(cfg, problem.way || cfg.way),
  );
  if (shard.index === 0) saveEpisodes(runDir, problem.episodeFiles);
  const r = evaluate(problem.learner, params, range(problem.episodes(), lo, hi), { dispose: true });
  disposeParams(params);
  const out: EvalShardResult = {
    run: runDir,
    metric: r.metric,
    index: shard.index,
    count: shard.count,
    first: lo,
    episodes: r.perEpisode.length,
    scores: r.perEpisode,
  };
  if (r.metric === 'accuracy') {
    const queries = problem.way * problem.query;
    out.queries = queries;
    out.correct = r.perEpisode.map((a) => Math.round(a * queries));
  }
  return out;
}

/**
 * Combine the shards of one evaluation: all `count` shards, each once, are required. Accuracy's mean
 * is total correct / total queries (sums of integers: exact in any order); the 95% CI comes from the
 * per-episode scores in episode order, as one process computes it.
 */
export function combineShards(shards: readonly EvalShardResult[]): EvalShardsSummary {
  if (shards.length === 0) throw new Error('combineShards: no shards');
  const count = shards[0].count;
  const sorted = [...shards].sort((a, b) => a.index - b.index);
  const idx = sorted.map((s) => s.index).join(',');
  if (sorted.length !== count || sorted.some((s, i) => s.index !== i || s.count !== count))
    throw new Error(`combineShards: expected shards 0..${count - 1} once each, got ${idx}`);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].first !== sorted[i - 1].first + sorted[i - 1].episodes)
      throw new Error(
        `combineShards: shard ${i} starts at episode ${sorted[i].first}, not after shard ${i - 1}`,
      );
  const scores = sorted.flatMap((s) => s.scores);
  const metric = sorted[0].metric;
  const ci = meanCI(scores);
  const summary: EvalShardsSummary = {
    run: sorted[0].run,
    metric,
    episodes: scores.length,
    shards: count,
    test: ci,
  };
  if (metric === 'accuracy') {
    const correct = sorted.reduce((t, s) => t + s.correct!.reduce((a, b) => a + b, 0), 0);
    const queries = sorted[0].queries! * scores.length;
    summary.correct = correct;
    summary.queries = queries;
    summary.test = { ...ci, mean: correct / queries };
  }
  return summary;
}

/** Write the combined result as <run>/eval-shards-<file>.json; returns the path. */
export function writeShardsSummary(s: EvalShardsSummary, name: string): string {
  const file = path.join(s.run, `eval-shards-${name}.json`);
  writeRunFile(file, JSON.stringify(s, null, 2) + '\n');
  return file;
}
