import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
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

export interface GatingOptions {
  head?: HeadKind;
}

/**
 * Multiplicative conditioning by gating: h_l <- h_l * sigmoid(z W_l + b_l) after every hidden layer.
 * More expressive than additive conditioning, and with one-hot z and hard 0/1 gates it can carve the
 * network into per-task sub-networks (the lecture's "independent networks" as a limit).
 */
export function gatingNet(spec: ArchSpec, opts: GatingOptions = {}): MultiTaskNet {
  const who = 'gating';
  checkOptions(opts, ['head'], who);
  const s = resolveSpec(spec, who);
  const head = checkHead(opts.head ?? 'shared', who);
  const L = s.hidden.length;
  if (s.descriptorDim === 0) throw new Error(`${who}: needs a task descriptor (descriptorDim is 0)`);
  return {
    name: who,
    numTasks: s.outDims.length,
    spec: s,
    init: (rng) => {
      let p: Params = initTrunk(rng, 'trunk', s.inputDim, s.hidden);
      s.hidden.forEach((h, l) => (p = { ...p, ...initLinear(rng, `gate${l}`, s.descriptorDim, h) }));
      return { ...p, ...initHeads(rng, head, s.hidden[L - 1], s.outDims) };
    },
    apply: (p, input) => {
      checkSegments(input, s.outDims.length, who);
      return tf.tidy(() => {
        const h = applyTrunk(p, 'trunk', input.x, L, undefined, (l, h) =>
          tf.mul(h, tf.sigmoid(linear(p, `gate${l}`, input.z))),
        );
        return applyHeads(p, head, h, input, s.outDims);
      });
    },
    owner: head === 'task' ? ownerByStem(['head']) : () => 'shared',
    lastShared: head === 'shared' ? ['out.w', 'out.b'] : trunkLastKeys('trunk', L),
  };
}
