import { tf } from '../engine/tf.js';
import type { Params } from '../nn/params.js';
import { accuracyOf, episodeOutputs } from '../meta/common.js';
import type { EpisodeData, MetaLearner } from '../meta/types.js';
import { type MeanCI, meanCI } from '../engine/stats.js';

export interface EvalResult {
  /** Accuracy for classification learners, mean squared error for regression ones. */
  metric: 'accuracy' | 'mse';
  summary: MeanCI;
  perEpisode: number[];
}

/**
 * Meta-test: adapt on each episode's support set, score its queries. `episodes` is consumed lazily so a
 * large evaluation set need not sit in memory; `dispose` frees each episode after use.
 */
export function evaluate(
  learner: MetaLearner,
  theta: Params,
  episodes: Iterable<EpisodeData>,
  opts: { dispose?: boolean } = {},
): EvalResult {
  const metric = learner.loss === 'cross-entropy' ? 'accuracy' : 'mse';
  const scores: number[] = [];
  for (const ep of episodes) {
    const out = episodeOutputs(learner, theta, ep);
    scores.push(
      metric === 'accuracy'
        ? accuracyOf(out, ep.query.y)
        : tf.tidy(() => tf.mean(tf.square(tf.sub(out, tf.reshape(ep.query.y, out.shape)))).dataSync()[0]),
    );
    out.dispose();
    if (opts.dispose) disposeEpisode(ep);
  }
  return { metric, summary: meanCI(scores), perEpisode: scores };
}

export function disposeEpisode(ep: EpisodeData): void {
  tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);
}
