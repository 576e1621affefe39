import { tf } from '../../engine/tf.js';
import type { Module } from '../../nn/module.js';
import { TRAIN } from '../../nn/module.js';
import {
  type Params,
  disposeParams,
  mapParams,
  subParams,
  valueAndGrads,
  withPrefix,
} from '../../nn/params.js';
import { taskLoss } from '../common.js';
import type { MetaLearner } from '../types.js';
import type { SupportQuery, LabelledSet } from '../../tasks/types.js';
import type { LossName } from '../../tasks/losses.js';

/** Options of reptile. */
export interface ReptileOptions {
  model: Module;
  loss?: LossName;
  /** SGD steps on the task in the inner loop (meta-training and adaptation). */
  innerSteps?: number;
  innerLr?: number;
}

/**
 * Reptile (Nichol et al. 2018): adapt with plain SGD, then move theta toward the adapted weights. The
 * "gradient" it reports is theta - phi averaged over the meta-batch; an outer SGD step of size epsilon
 * on it is the paper's update, and an outer Adam works as well. The loss metaGrads reports is the inner
 * loop's at its last step (support and query together), not a query loss after adapting on the support.
 * Meta-training adapts on support and query together, so the query size sets how many images per class
 * the inner loop sees: on Omniglot 1-shot, 2 per class did not meta-learn and 10 did (results/meta).
 */
export function reptile(opts: ReptileOptions): MetaLearner<Params> {
  const model = opts.model;
  const steps = opts.innerSteps ?? 5;
  const lr = opts.innerLr ?? 0.01;
  const loss = opts.loss ?? 'cross-entropy';
  const forward = (p: Params, x: tf.Tensor) => model.apply(p, x, TRAIN);

  /** Plain SGD from `start`; `lastLoss` receives the loss at the last step taken. */
  const sgd = (start: Params, data: LabelledSet, lastLoss?: { value: number }): Params => {
    let phi = mapParams(start, (t) => tf.clone(t));
    for (let s = 0; s < steps; s++) {
      const { value, grads } = valueAndGrads(phi, (p) => taskLoss(loss, forward(p, data.x), data.y));
      if (lastLoss && s === steps - 1) lastLoss.value = value.dataSync()[0];
      value.dispose();
      const next = mapParams(phi, (t, k) => tf.tidy(() => tf.sub(t, tf.mul(grads[k], lr))));
      disposeParams(grads);
      disposeParams(phi);
      phi = next;
    }
    return phi;
  };

  const learner: MetaLearner<Params> = {
    name: 'reptile',
    family: 'optimization',
    loss,
    init: (rng) => withPrefix('model', model.init(rng)),
    adapt: (theta, support) => sgd(subParams(theta, 'model'), support),
    predict: (_theta, phi, x) => forward(phi, x),
    disposePhi: (phi) => disposeParams(phi),
    metaGrads: (theta, episodes: SupportQuery[]) => {
      let total = 0;
      const acc = mapParams(theta, (t) => tf.zerosLike(t));
      for (const ep of episodes) {
        const all = tf.tidy(() => ({
          x: tf.concat([ep.support.x, ep.query.x], 0),
          y: tf.concat([ep.support.y, ep.query.y], 0),
        }));
        // The reported loss is the inner loop's own at its last step, on support and query together: a
        // separate adapt-on-support, score-on-query pass only for the log doubled the cost of a step.
        const last = { value: 0 };
        const phi = sgd(subParams(theta, 'model'), all, last);
        total += last.value;
        tf.dispose([all.x, all.y]);
        for (const k of Object.keys(phi)) {
          const key = `model.${k}`;
          const next = tf.tidy(() => tf.add(acc[key], tf.sub(theta[key], phi[k])));
          acc[key].dispose();
          acc[key] = next;
        }
        disposeParams(phi);
      }
      const grads = mapParams(acc, (g) => tf.div(g, episodes.length));
      disposeParams(acc);
      return { loss: total / episodes.length, grads };
    },
  };
  return learner;
}
