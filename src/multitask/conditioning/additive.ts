import { tf } from '../../engine/tf.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import { type HeadKind, checkHead, initLinear, linear, resolveSpec } from './common.js';
import { needsDescriptor, trunkNet } from './trunk_net.js';

/** Options of additiveNet. */
export interface AdditiveOptions {
  /** Hidden layer whose pre-activation receives the projection of z (default 0, the first). */
  at?: number;
  head?: HeadKind;
}

/**
 * Additive conditioning: h_at = x W + b + z U. At layer 0 it is concatenation written differently;
 * deeper, z shifts features the input has already shaped.
 */
export function additiveNet(spec: ArchSpec, opts: AdditiveOptions = {}): MultiTaskNet {
  const who = 'additive';
  checkOptions(opts, ['at', 'head'], who);
  const s = resolveSpec(spec, who);
  const head = checkHead(opts.head ?? 'shared', who);
  const L = s.hidden.length;
  const at = opts.at ?? 0;
  if (!Number.isInteger(at) || at < 0 || at >= L) {
    throw new Error(
      `${who}: option 'at' must be a hidden layer index in [0, ${L}), got ${JSON.stringify(at)}`,
    );
  }
  needsDescriptor(s, who);
  return trunkNet(who, s, head, {
    init: (rng) => initLinear(rng, 'cond', s.descriptorDim, s.hidden[at], false),
    pre: (p, input, l, pre) => (l === at ? tf.add(pre, linear(p, 'cond', input.z)) : pre),
  });
}
