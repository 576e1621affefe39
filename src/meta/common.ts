import { tf } from '../engine/tf.js';
import { meanSquaredError, sparseSoftmaxCrossEntropy } from '../engine/ops.js';
import { type Params, disposeParams, mapParams, valueAndGrads } from '../nn/params.js';
import type { EpisodeData, MetaLearner, TaskLoss } from './types.js';

export function taskLoss(kind: TaskLoss, outputs: tf.Tensor, y: tf.Tensor): tf.Scalar {
  if (kind === 'cross-entropy') return sparseSoftmaxCrossEntropy(outputs, y);
  return meanSquaredError(outputs, tf.reshape(y, outputs.shape));
}

export function episodeOutputs(learner: MetaLearner, theta: Params, ep: EpisodeData): tf.Tensor {
  if (learner.episodeOutputs) return learner.episodeOutputs(theta, ep);
  const phi = learner.adapt(theta, ep.support);
  try {
    return learner.predict(theta, phi, ep.query.x);
  } finally {
    learner.disposePhi(phi);
  }
}

export function episodeLoss(learner: MetaLearner, theta: Params, ep: EpisodeData): tf.Scalar {
  return tf.tidy(() => taskLoss(learner.loss, episodeOutputs(learner, theta, ep), ep.query.y));
}

/**
 * Mean query loss and its gradient over a meta-batch, one episode at a time (gradients accumulate, so
 * memory holds one episode's graph, as the peer's per-task backward does).
 */
export function metaGrads(
  learner: MetaLearner,
  theta: Params,
  episodes: EpisodeData[],
): { loss: number; grads: Params } {
  if (episodes.length === 0) throw new Error('metaGrads: the meta-batch is empty');
  if (learner.metaGrads) return learner.metaGrads(theta, episodes);
  let total = 0;
  let acc: Params | null = null;
  for (const ep of episodes) {
    const { value, grads } = valueAndGrads(theta, (p) => episodeLoss(learner, p, ep));
    const v = value.dataSync()[0];
    value.dispose();
    if (!Number.isFinite(v)) {
      disposeParams(grads);
      disposeParams(acc ?? undefined);
      throw new Error(
        `${learner.name}: the query loss is ${v}; training stopped before the parameters were updated`,
      );
    }
    total += v;
    if (acc === null) acc = grads;
    else {
      const prev: Params = acc;
      acc = mapParams(prev, (g, k) => tf.add(g, grads[k]));
      disposeParams(prev);
      disposeParams(grads);
    }
  }
  const n = episodes.length;
  const mean = mapParams(acc!, (g) => tf.div(g, n));
  disposeParams(acc!);
  return { loss: total / n, grads: mean };
}

/** Accuracy of argmax predictions against int labels. */
export function accuracyOf(outputs: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(
    () => tf.mean(tf.cast(tf.equal(tf.argMax(outputs, -1), tf.cast(y, 'int32')), 'float32')).dataSync()[0],
  );
}
