import { tf } from '../../engine/tf.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import {
  applyHeads,
  applyTrunk,
  checkSegments,
  initHeads,
  initTrunk,
  ownerByStem,
  resolveSpec,
  trunkLastKeys,
} from './common.js';

/**
 * Multi-head: a shared trunk theta_sh and one output layer theta_i per task (hard parameter sharing).
 * z is not read: the task index picks the head. With one task it is a plain single-task network, which
 * is how the transfer report builds its independent baselines.
 */
export function multiheadNet(spec: ArchSpec, opts: Record<string, never> = {}): MultiTaskNet {
  const who = 'multihead';
  checkOptions(opts, [], who);
  const s = resolveSpec(spec, who);
  const L = s.hidden.length;
  return {
    name: who,
    numTasks: s.outDims.length,
    spec: s,
    init: (rng) => ({
      ...initTrunk(rng, 'trunk', s.inputDim, s.hidden),
      ...initHeads(rng, 'task', s.hidden[L - 1], s.outDims),
    }),
    apply: (p, input) => {
      checkSegments(input, s.outDims.length, who);
      return tf.tidy(() => applyHeads(p, 'task', applyTrunk(p, 'trunk', input.x, L), input, s.outDims));
    },
    owner: ownerByStem(['head']),
    lastShared: trunkLastKeys('trunk', L),
  };
}
