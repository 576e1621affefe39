import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions, numberOption } from './options.js';
import { applyTaskNetworks, initTaskNetworks } from './independent.js';
import { checkSegments, ownerByStem, resolveSpec } from './common.js';

/** Options of softSharingNet. */
export interface SoftSharingOptions {
  /** Strength of the pull towards the task mean; 0 is independent networks, large approaches hard sharing. */
  lambda?: number;
  /** Which layers are pulled together: the hidden layers (default) or also the output layers. */
  tie?: 'hidden' | 'all';
  /**
   * 'common' (default): every task network starts from the same tied weights, so training begins at the
   * hard-sharing point and lambda decides how far tasks may drift apart. 'separate': independent random
   * starts, where the penalty first has to pull unrelated networks together (it then acts mostly as
   * weight decay towards their mean, and large lambda is needed before anything is shared).
   */
  init?: 'common' | 'separate';
}

/**
 * Soft parameter sharing: one network per task plus lambda * sum_t ||theta_t - mean_s theta_s||^2 over
 * the tied layers (soft sharing as in Duong et al. 2015). The lever between the two extremes of sharing:
 * lambda = 0 gives independent networks (no interference, but each task fits alone), and as lambda grows
 * the hidden layers merge into one trunk with per-task heads (the multi-head model), which pools data
 * but lets tasks interfere. With the
 * default common start the two ends are exact: lambda = infinity is the multi-head model.
 */
export function softSharingNet(spec: ArchSpec, opts: SoftSharingOptions = {}): MultiTaskNet {
  const who = 'soft';
  checkOptions(opts, ['lambda', 'tie', 'init'], who);
  const s = resolveSpec(spec, who);
  const L = s.hidden.length;
  const lambda = numberOption(opts.lambda ?? 1e-2, 'lambda', who, 0);
  const tie = opts.tie ?? 'hidden';
  if (tie !== 'hidden' && tie !== 'all')
    throw new Error(`${who}: option 'tie' must be 'hidden' or 'all', got ${JSON.stringify(tie)}`);
  if (tie === 'all' && new Set(s.outDims).size > 1) {
    throw new Error(
      `${who}: tie 'all' needs equal output widths, got ${s.outDims.join(', ')}; use tie 'hidden'`,
    );
  }
  const init = opts.init ?? 'common';
  if (init !== 'common' && init !== 'separate')
    throw new Error(`${who}: option 'init' must be 'common' or 'separate', got ${JSON.stringify(init)}`);
  const T = s.outDims.length;
  const tied: string[] = [];
  for (let l = 0; l < L; l++) tied.push(`fc${l}.w`, `fc${l}.b`);
  if (tie === 'all') tied.push('out.w', 'out.b');
  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (rng) => {
      const p: Params = initTaskNetworks(rng, s);
      if (init === 'common') {
        for (const k of tied) {
          for (let t = 1; t < T; t++) {
            p[`task${t}.${k}`].dispose();
            p[`task${t}.${k}`] = tf.clone(p[`task0.${k}`]);
          }
        }
      }
      return p;
    },
    apply: (p, input) => {
      checkSegments(input, T, who);
      return tf.tidy(() => applyTaskNetworks(p, input, L));
    },
    owner: ownerByStem(['task']),
    lastShared: [],
    penalty: (p) => {
      if (lambda === 0 || T < 2) return null;
      return tf.tidy(() => {
        let total: tf.Tensor = tf.scalar(0);
        for (const k of tied) {
          const stacked = tf.stack(Array.from({ length: T }, (_, t) => p[`task${t}.${k}`]));
          const dev = tf.sub(stacked, tf.mean(stacked, 0, true));
          total = tf.add(total, tf.sum(tf.square(dev)));
        }
        return tf.mul(total, lambda) as tf.Scalar;
      });
    },
  };
}
