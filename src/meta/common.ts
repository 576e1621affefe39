import { tf } from '../engine/tf.js';
import { type Params, disposeParams, mapParams, valueAndGrads } from '../nn/params.js';
import type { SupportQuery } from '../tasks/types.js';
import { LOSSES, type LossName } from '../tasks/losses.js';
import type { MetaLearner, PredictiveDistribution, TrainProgress } from './types.js';

/** The query loss a learner trains on: mean cross-entropy of logits, or MSE against targets reshaped to the outputs. */
export function taskLoss(name: LossName, outputs: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const loss = LOSSES[name];
  // Regression targets may come as [n] for outputs [n, 1]: matched to the outputs, MSE cannot broadcast to [n, n].
  return loss.fn(outputs, loss.kind === 'regression' ? tf.reshape(y, outputs.shape) : y);
}

/** Query outputs of an episode: the learner's own episodeOutputs, else predict(adapt(support), query.x). */
export function episodeOutputs(learner: MetaLearner, theta: Params, ep: SupportQuery): tf.Tensor {
  if (learner.episodeOutputs) return learner.episodeOutputs(theta, ep);
  const phi = learner.adapt(theta, ep.support);
  try {
    return learner.predict(theta, phi, ep.query.x);
  } finally {
    learner.disposePhi(phi);
  }
}

/** The learner's task loss on an episode's query set. */
export function episodeLoss(learner: MetaLearner, theta: Params, ep: SupportQuery): tf.Scalar {
  return tf.tidy(() => taskLoss(learner.loss, episodeOutputs(learner, theta, ep), ep.query.y));
}

/**
 * Mean of `loss` and of its gradient over a meta-batch, one episode at a time (gradients accumulate, so
 * memory holds one episode's graph, as the peer's per-task backward does). `who` names the learner in
 * the error thrown on a non-finite loss. Learners that train on another loss than their task loss
 * (relation networks' MSE, MAML++'s multi-step loss) build their metaGrads from it.
 */
export function meanLossGrads(
  who: string,
  theta: Params,
  episodes: SupportQuery[],
  loss: (p: Params, ep: SupportQuery) => tf.Scalar,
): { loss: number; grads: Params } {
  if (episodes.length === 0) throw new Error(`${who}: the meta-batch is empty`);
  let total = 0;
  let acc: Params | null = null;
  for (const ep of episodes) {
    const { value, grads } = valueAndGrads(theta, (p) => loss(p, ep));
    const v = value.dataSync()[0];
    value.dispose();
    if (!Number.isFinite(v)) {
      disposeParams(grads);
      disposeParams(acc ?? undefined);
      throw new Error(`${who}: the query loss is ${v}; training stopped before the parameters were updated`);
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

/**
 * Mean query loss and its gradient over a meta-batch (the learner's own metaGrads when it has one).
 * `progress` (the training step, 1-based, of `steps`) reaches learners whose meta-gradient changes over
 * training (MAML++'s annealing); without it they use their end-of-training setting.
 */
export function metaGrads(
  learner: MetaLearner,
  theta: Params,
  episodes: SupportQuery[],
  progress?: TrainProgress,
): { loss: number; grads: Params } {
  if (episodes.length === 0) throw new Error('metaGrads: the meta-batch is empty');
  if (learner.metaGrads) return learner.metaGrads(theta, episodes, progress);
  return meanLossGrads(learner.name, theta, episodes, (p, ep) => episodeLoss(learner, p, ep));
}

/** Frees every tensor of a predictive distribution. */
export function disposePredictive(d: PredictiveDistribution): void {
  if (d.kind === 'categorical') d.probs.dispose();
  else {
    d.mean.dispose();
    d.std.dispose();
    if (d.components) {
      d.components.means.dispose();
      d.components.stds.dispose();
    }
  }
}

/**
 * The predictive distribution of an episode's queries: the learner's episodePredictive, else
 * predictDistribution(adapt(support), query.x), else, for a classifier, softmax of its query logits
 * (every classifier has that one); null for a regression learner with point predictions only (MAML).
 */
export function episodePredictive(
  learner: MetaLearner,
  theta: Params,
  ep: SupportQuery,
): PredictiveDistribution | null {
  if (learner.episodePredictive) return learner.episodePredictive(theta, ep);
  if (learner.predictDistribution) {
    const phi = learner.adapt(theta, ep.support);
    try {
      return learner.predictDistribution(theta, phi, ep.query.x);
    } finally {
      learner.disposePhi(phi);
    }
  }
  if (LOSSES[learner.loss].kind === 'regression') return null;
  return { kind: 'categorical', probs: tf.tidy(() => tf.softmax(episodeOutputs(learner, theta, ep))) };
}

/**
 * A 32-bit seed from the values of some tensors (FNV-1a over their float32 bits): the noise of an
 * episode's z samples is a function of the episode, so training is reproducible from the run seed also
 * across worker threads and resumes, without an Rng inside the learner.
 */
export function seedOfTensors(ts: tf.Tensor[]): number {
  let h = 0x811c9dc5;
  for (const t of ts) {
    const bits = new Uint32Array(Float32Array.from(t.dataSync()).buffer);
    for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193);
    h = Math.imul(h ^ t.size, 0x01000193);
  }
  return h >>> 0;
}
