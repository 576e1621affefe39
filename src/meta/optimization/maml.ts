import { tf } from '../../engine/tf.js';
import type { Module } from '../../nn/module.js';
import { TRAIN } from '../../nn/module.js';
import { type Params, subParams, valueAndGrads, withPrefix } from '../../nn/params.js';
import { taskLoss } from '../common.js';
import type { MetaLearner } from '../types.js';
import type { LabelledSet } from '../../tasks/types.js';
import type { LossName } from '../../tasks/losses.js';

/** Inner-loop learning rates: one fixed rate, learned per layer, or learned per parameter (Meta-SGD). */
export type InnerLrMode = 'fixed' | 'per-layer' | 'per-parameter';

/** Options of maml, anil and metaSgd. */
export interface MamlOptions {
  /** The network adapted in the inner loop; its params live under `model.`. */
  model: Module;
  loss?: LossName;
  innerSteps?: number;
  innerLr?: number;
  /** Treat inner gradients as constants (FOMAML): no gradient through the inner loop. */
  firstOrder?: boolean;
  /**
   * 'fixed': one constant step size; 'per-layer': a learned scalar per parameter tensor;
   * 'per-parameter': a learned step size per weight (Meta-SGD, Li et al. 2017). Learned rates live in
   * theta under `lr.`.
   */
  innerLrMode?: InnerLrMode;
  /** Which model params the inner loop adapts (ANIL: only the head). Default: all. */
  adapt?: (name: string) => boolean;
  name?: string;
}

/** Fine-tuned params phi_i, and the tensors the adaptation created (disposed with it). */
export type AdaptedParams = { params: Params; owned: tf.Tensor[] };

/** A tensor with the same value and no connection to the gradient tape. */
function detached(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

/**
 * MAML (Finn et al. 2017) with true second-order gradients through any number of inner SGD steps,
 * and its variants as options: first-order, learned per-layer or per-parameter step sizes (Meta-SGD),
 * head-only adaptation (ANIL, Raghu et al. 2020). Batch norm in the model uses the statistics of the
 * batch it sees (support in the inner loop, query for prediction), as the MAML reference code does.
 */
export function maml(opts: MamlOptions): MetaLearner<AdaptedParams> {
  const model = opts.model;
  const steps = opts.innerSteps ?? 1;
  const lr0 = opts.innerLr ?? 0.4;
  const mode = opts.innerLrMode ?? 'fixed';
  const adaptable = opts.adapt ?? (() => true);
  const loss = opts.loss ?? 'cross-entropy';
  if (!Number.isInteger(steps) || steps < 0)
    throw new Error(`maml: option 'innerSteps' must be a non-negative integer, got ${steps}`);
  if (!(lr0 >= 0)) throw new Error(`maml: option 'innerLr' must be a non-negative number, got ${lr0}`);
  if (!['fixed', 'per-layer', 'per-parameter'].includes(mode)) {
    throw new Error(
      `maml: option 'innerLrMode' must be 'fixed', 'per-layer' or 'per-parameter', got '${mode}'`,
    );
  }
  const forward = (p: Params, x: tf.Tensor) => model.apply(p, x, TRAIN);
  const name = opts.name ?? (opts.firstOrder ? 'fomaml' : mode === 'per-parameter' ? 'meta-sgd' : 'maml');

  return {
    name,
    family: 'optimization',
    loss,
    init: (rng) => {
      const p = model.init(rng);
      const theta: Params = withPrefix('model', p);
      if (mode !== 'fixed') {
        for (const k of Object.keys(p)) {
          if (!adaptable(k)) continue;
          theta[`lr.${k}`] = mode === 'per-layer' ? tf.scalar(lr0) : tf.fill(p[k].shape, lr0);
        }
      }
      return theta;
    },
    adapt: (theta, support: LabelledSet) => {
      const owned: tf.Tensor[] = [];
      let phi = subParams(theta, 'model');
      const keys = Object.keys(phi).filter(adaptable);
      for (let s = 0; s < steps; s++) {
        const current = phi;
        const sub: Params = {};
        for (const k of keys) sub[k] = current[k];
        const { value, grads } = valueAndGrads(sub, (q) =>
          taskLoss(loss, forward({ ...current, ...q }, support.x), support.y),
        );
        value.dispose();
        const next: Params = { ...current };
        for (const k of keys) {
          const g = opts.firstOrder ? detached(grads[k]) : grads[k];
          next[k] = tf.tidy(() =>
            tf.sub(current[k], mode === 'fixed' ? tf.mul(g, lr0) : tf.mul(theta[`lr.${k}`], g)),
          );
          owned.push(next[k]);
          // Safe under an outer tape too: the tape keeps its own references to what it saved.
          g.dispose();
          grads[k].dispose();
        }
        phi = next;
      }
      return { params: phi, owned };
    },
    predict: (_theta, phi, x) => forward(phi.params, x),
    disposePhi: (phi) => {
      for (const t of phi.owned) if (!t.isDisposed) t.dispose();
    },
  };
}

/** ANIL: MAML that adapts only the parameters whose names start with `headPrefix` (default 'head.'). */
export function anil(opts: Omit<MamlOptions, 'adapt'> & { headPrefix?: string }): MetaLearner<AdaptedParams> {
  const prefix = opts.headPrefix ?? 'head.';
  return maml({ ...opts, adapt: (k) => k.startsWith(prefix), name: opts.name ?? 'anil' });
}

/** Meta-SGD: MAML with a learned step size for every weight. */
export function metaSgd(opts: Omit<MamlOptions, 'innerLrMode'>): MetaLearner<AdaptedParams> {
  return maml({ ...opts, innerLrMode: 'per-parameter', name: opts.name ?? 'meta-sgd' });
}
