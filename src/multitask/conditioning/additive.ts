import { tf } from '../../engine/tf.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import {
  type HeadKind,
  applyHeads,
  applyTrunk,
  checkHead,
  checkSegments,
  initHeads,
  initLinear,
  initTrunk,
  linear,
  ownerByStem,
  resolveSpec,
  trunkLastKeys,
} from './common.js';

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
  if (s.descriptorDim === 0) throw new Error(`${who}: needs a task descriptor (descriptorDim is 0)`);
  return {
    name: who,
    numTasks: s.outDims.length,
    spec: s,
    init: (rng) => ({
      ...initTrunk(rng, 'trunk', s.inputDim, s.hidden),
      ...initLinear(rng, 'cond', s.descriptorDim, s.hidden[at], false),
      ...initHeads(rng, head, s.hidden[L - 1], s.outDims),
    }),
    apply: (p, input) => {
      checkSegments(input, s.outDims.length, who);
      return tf.tidy(() => {
        const h = applyTrunk(p, 'trunk', input.x, L, (l, pre) =>
          l === at ? tf.add(pre, linear(p, 'cond', input.z)) : pre,
        );
        return applyHeads(p, head, h, input, s.outDims);
      });
    },
    owner: head === 'task' ? ownerByStem(['head']) : () => 'shared',
    lastShared: head === 'shared' ? ['out.w', 'out.b'] : trunkLastKeys('trunk', L),
  };
}
