import { tf } from '../engine/tf.js';
import type { Params } from '../nn/params.js';
import { accuracy } from '../engine/ops.js';
import { episodeOutputs } from '../meta/common.js';
import type { MetaLearner } from '../meta/types.js';
import { type SupportQuery, disposeSupportQuery } from '../tasks/types.js';
import { type MeanCI, meanCI } from '../engine/stats.js';

/** Meta-test scores: the metric, its mean with a 95% interval, and each episode's score. */
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
  episodes: Iterable<SupportQuery>,
  opts: { dispose?: boolean } = {},
): EvalResult {
  const metric = learner.loss === 'cross-entropy' ? 'accuracy' : 'mse';
  const scores: number[] = [];
  for (const ep of episodes) {
    const out = episodeOutputs(learner, theta, ep);
    scores.push(
      metric === 'accuracy'
        ? accuracy(out, ep.query.y)
        : tf.tidy(() => tf.mean(tf.square(tf.sub(out, tf.reshape(ep.query.y, out.shape)))).dataSync()[0]),
    );
    out.dispose();
    if (opts.dispose) disposeSupportQuery(ep);
  }
  return { metric, summary: meanCI(scores), perEpisode: scores };
}
