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
  initTrunk,
  ownerByStem,
  resolveSpec,
  trunkLastKeys,
} from './common.js';

export interface ConcatOptions {
  /** 'shared' (default): one output layer for all tasks, so z is the only thing telling tasks apart. */
  head?: HeadKind;
}

/**
 * Concatenation conditioning: [x, z_i] is the input of a fully shared network. The first layer's
 * weights on z add a task-dependent bias to every hidden unit, so this is the same model as additive
 * conditioning on the first layer (CS330 lecture 2).
 */
export function concatNet(spec: ArchSpec, opts: ConcatOptions = {}): MultiTaskNet {
  const who = 'concat';
  checkOptions(opts, ['head'], who);
  const s = resolveSpec(spec, who);
  const head = checkHead(opts.head ?? 'shared', who);
  const L = s.hidden.length;
  return {
    name: who,
    numTasks: s.outDims.length,
    spec: s,
    init: (rng) => ({
      ...initTrunk(rng, 'trunk', s.inputDim + s.descriptorDim, s.hidden),
      ...initHeads(rng, head, s.hidden[L - 1], s.outDims),
    }),
    apply: (p, input) => {
      checkSegments(input, s.outDims.length, who);
      return tf.tidy(() => {
        const xin = s.descriptorDim > 0 ? tf.concat([input.x, input.z], 1) : input.x;
        return applyHeads(p, head, applyTrunk(p, 'trunk', xin, L), input, s.outDims);
      });
    },
    owner: head === 'task' ? ownerByStem(['head']) : () => 'shared',
    lastShared: head === 'shared' ? ['out.w', 'out.b'] : trunkLastKeys('trunk', L),
  };
}
