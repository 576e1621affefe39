import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import { type HeadKind, checkHead, resolveSpec } from './common.js';
import { needsDescriptor, trunkNet } from './trunk_net.js';

/** Options of filmNet. */
export interface FilmOptions {
  head?: HeadKind;
}

/**
 * FiLM (Perez et al. 2018): every hidden pre-activation becomes gamma(z) * h + beta(z), with
 * gamma = 1 + z G_l and beta = z B_l. G and B start at zero, so training starts from the unconditioned
 * network and learns how far each task should move away from it.
 */
export function filmNet(spec: ArchSpec, opts: FilmOptions = {}): MultiTaskNet {
  const who = 'film';
  checkOptions(opts, ['head'], who);
  const s = resolveSpec(spec, who);
  const head = checkHead(opts.head ?? 'shared', who);
  needsDescriptor(s, who);
  return trunkNet(who, s, head, {
    init: () => {
      const p: Params = {};
      s.hidden.forEach((h, l) => {
        p[`film${l}.gamma`] = tf.zeros([s.descriptorDim, h]);
        p[`film${l}.beta`] = tf.zeros([s.descriptorDim, h]);
      });
      return p;
    },
    pre: (p, input, l, pre) => {
      const z = input.z as tf.Tensor2D;
      const gamma = tf.add(tf.matMul(z, p[`film${l}.gamma`] as tf.Tensor2D), 1);
      return tf.add(tf.mul(gamma, pre), tf.matMul(z, p[`film${l}.beta`] as tf.Tensor2D));
    },
  });
}
