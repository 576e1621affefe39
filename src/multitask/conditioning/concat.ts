import { tf } from '../../engine/tf.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import { type HeadKind, checkHead, resolveSpec } from './common.js';
import { trunkNet } from './trunk_net.js';

/** Options of concatNet. */
export interface ConcatOptions {
  /** 'shared' (default): one output layer for all tasks, so z is the only thing telling tasks apart. */
  head?: HeadKind;
}

/**
 * Concatenation conditioning: [x, z_i] is the input of a fully shared network. The first layer's
 * weights on z add a task-dependent bias to every hidden unit, so this is the same model as additive
 * conditioning on the first layer (Dumoulin et al. 2018, "Feature-wise transformations").
 */
export function concatNet(spec: ArchSpec, opts: ConcatOptions = {}): MultiTaskNet {
  const who = 'concat';
  checkOptions(opts, ['head'], who);
  const s = resolveSpec(spec, who);
  return trunkNet(who, s, checkHead(opts.head ?? 'shared', who), {
    extraInput: s.descriptorDim,
    input: (input) => (s.descriptorDim > 0 ? tf.concat([input.x, input.z], 1) : input.x),
  });
}
