import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import { type HeadKind, checkHead, initLinear, linear, resolveSpec } from './common.js';
import { needsDescriptor, trunkNet } from './trunk_net.js';

/** Options of gatingNet. */
export interface GatingOptions {
  head?: HeadKind;
}

/**
 * Multiplicative conditioning by gating: h_l <- h_l * sigmoid(z W_l + b_l) after every hidden layer.
 * More expressive than additive conditioning, and with one-hot z and hard 0/1 gates it can carve the
 * network into per-task sub-networks (independent networks as a limit).
 */
export function gatingNet(spec: ArchSpec, opts: GatingOptions = {}): MultiTaskNet {
  const who = 'gating';
  checkOptions(opts, ['head'], who);
  const s = resolveSpec(spec, who);
  const head = checkHead(opts.head ?? 'shared', who);
  needsDescriptor(s, who);
  return trunkNet(who, s, head, {
    init: (rng) => {
      let p: Params = {};
      s.hidden.forEach((h, l) => (p = { ...p, ...initLinear(rng, `gate${l}`, s.descriptorDim, h) }));
      return p;
    },
    post: (p, input, l, h) => tf.mul(h, tf.sigmoid(linear(p, `gate${l}`, input.z))),
  });
}
