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
import type { LabelledSet, SupportQuery } from '../../tasks/types.js';
import type { LossName } from '../../tasks/losses.js';
import { gradOf, implicitGradient } from './implicit.js';

/** Options of imaml. */
export interface ImamlOptions {
  /** The network adapted in the inner loop; its params live under `model.`. */
  model: Module;
  loss?: LossName;
  /** Gradient steps on the proximal inner problem. Default 10. */
  innerSteps?: number;
  innerLr?: number;
  /** Strength of the proximal term lambda/2 ||phi - theta||^2. Default 2. */
  lambda?: number;
  /** Conjugate-gradient iterations (Hessian-vector products) per episode. Default 5. */
  cgSteps?: number;
}

/**
 * iMAML (Rajeswaran et al. 2019): the inner loop minimises L_support(phi) + lambda/2 ||phi - theta||^2
 * by gradient descent from phi = theta, and the meta-gradient of the query loss is the implicit one,
 * (I + H / lambda)^-1 grad_phi L_query(phi*), with H the support-loss Hessian at phi*, solved by
 * conjugate gradient on Hessian-vector products (implicit.ts). Nothing is differentiated through the
 * inner loop, so memory does not grow with innerSteps. The implicit gradient is exact only at the inner
 * optimum: few inner steps or CG iterations make it an approximation, as in the paper. Defaults
 * (10 steps, lambda 2, 5 CG iterations) are choices made here.
 */
export function imaml(opts: ImamlOptions): MetaLearner<Params> {
  const model = opts.model;
  const steps = opts.innerSteps ?? 10;
  const lr = opts.innerLr ?? 0.1;
  const lambda = opts.lambda ?? 2;
  const cgSteps = opts.cgSteps ?? 5;
  const loss = opts.loss ?? 'cross-entropy';
  if (!Number.isInteger(steps) || steps < 0)
    throw new Error(`imaml: option 'innerSteps' must be a non-negative integer, got ${steps}`);
  if (!(lr >= 0)) throw new Error(`imaml: option 'innerLr' must be a non-negative number, got ${lr}`);
  if (!(lambda > 0)) throw new Error(`imaml: option 'lambda' must be a positive number, got ${lambda}`);
  if (!Number.isInteger(cgSteps) || cgSteps < 1)
    throw new Error(`imaml: option 'cgSteps' must be a positive integer, got ${cgSteps}`);
  const forward = (p: Params, x: tf.Tensor) => model.apply(p, x, TRAIN);
  const supportLoss = (data: LabelledSet) => (p: Params) => taskLoss(loss, forward(p, data.x), data.y);

  /** Gradient descent on the proximal objective from theta; theta is read, never on a tape. */
  const solveInner = (theta: Params, data: LabelledSet): Params => {
    const anchor = subParams(theta, 'model');
    let phi = mapParams(anchor, (t) => tf.clone(t));
    for (let s = 0; s < steps; s++) {
      const g = gradOf(supportLoss(data), phi);
      const next = mapParams(phi, (t, k) =>
        tf.tidy(() => tf.sub(t, tf.mul(tf.add(g[k], tf.mul(tf.sub(t, anchor[k]), lambda)), lr))),
      );
      disposeParams(g);
      disposeParams(phi);
      phi = next;
    }
    return phi;
  };

  return {
    name: 'imaml',
    family: 'optimization',
    loss,
    init: (rng) => withPrefix('model', model.init(rng)),
    adapt: (theta, support) => solveInner(theta, support),
    predict: (_theta, phi, x) => forward(phi, x),
    disposePhi: (phi) => disposeParams(phi),
    metaGrads: (theta, episodes: SupportQuery[]) => {
      if (episodes.length === 0) throw new Error('imaml: the meta-batch is empty');
      let total = 0;
      const acc = mapParams(theta, (t) => tf.zerosLike(t));
      for (const ep of episodes) {
        const phi = solveInner(theta, ep.support);
        const { value, grads: gq } = valueAndGrads(phi, supportLoss(ep.query));
        const v = value.dataSync()[0];
        value.dispose();
        if (!Number.isFinite(v)) {
          tf.dispose([...Object.values(phi), ...Object.values(gq), ...Object.values(acc)]);
          throw new Error(
            `imaml: the query loss is ${v}; training stopped before the parameters were updated`,
          );
        }
        total += v;
        // (H + lambda I)^-1 g times lambda = (I + H / lambda)^-1 g.
        const { x } = implicitGradient(supportLoss(ep.support), phi, gq, {
          damping: lambda,
          maxIters: cgSteps,
          tol: 1e-6,
        });
        for (const k of Object.keys(x)) {
          const key = `model.${k}`;
          const next = tf.tidy(() => tf.add(acc[key], tf.mul(x[k], lambda)));
          acc[key].dispose();
          acc[key] = next;
        }
        disposeParams(x);
        disposeParams(gq);
        disposeParams(phi);
      }
      const grads = mapParams(acc, (g) => tf.div(g, episodes.length));
      disposeParams(acc);
      return { loss: total / episodes.length, grads };
    },
  };
}
