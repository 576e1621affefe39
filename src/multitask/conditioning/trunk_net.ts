import { tf } from '../../engine/tf.js';
import type { Rng } from '../../engine/rng.js';
import type { Params } from '../../nn/params.js';
import type { MultiTaskInput, MultiTaskNet } from '../types.js';
import {
  type HeadKind,
  applyHeads,
  applyTrunk,
  checkSegments,
  initHeads,
  initTrunk,
  ownerByStem,
  trunkLastKeys,
} from './common.js';
import type { ArchSpec } from '../types.js';

/** Where a conditioning scheme touches a shared MLP trunk; every part is optional. */
export interface TrunkConditioning {
  /** Extra input width of the trunk's first layer (concatenation). */
  extraInput?: number;
  /** The trunk's input from the batch (default input.x). */
  input?: (input: MultiTaskInput) => tf.Tensor;
  /** Params of the conditioning itself, beside the trunk and heads. */
  init?: (rng: Rng) => Params;
  /** Rewrites layer l's pre-activation (additive, FiLM). */
  pre?: (p: Params, input: MultiTaskInput, l: number, pre: tf.Tensor) => tf.Tensor;
  /** Rewrites layer l's activation (gating). */
  post?: (p: Params, input: MultiTaskInput, l: number, h: tf.Tensor) => tf.Tensor;
}

/**
 * A shared MLP trunk conditioned on z in one of the ways above, then one shared output layer or one per
 * task. Concatenation, additive, gating, FiLM and multi-head differ only in their TrunkConditioning.
 */
export function trunkNet(
  who: string,
  s: Required<ArchSpec>,
  head: HeadKind,
  c: TrunkConditioning = {},
): MultiTaskNet {
  const L = s.hidden.length;
  return {
    name: who,
    numTasks: s.outDims.length,
    spec: s,
    init: (rng) => ({
      ...initTrunk(rng, 'trunk', s.inputDim + (c.extraInput ?? 0), s.hidden),
      ...(c.init ? c.init(rng) : {}),
      ...initHeads(rng, head, s.hidden[L - 1], s.outDims),
    }),
    apply: (p, input) => {
      checkSegments(input, s.outDims.length, who);
      return tf.tidy(() => {
        const { pre, post } = c;
        const h = applyTrunk(
          p,
          'trunk',
          c.input ? c.input(input) : input.x,
          L,
          pre && ((l, x) => pre(p, input, l, x)),
          post && ((l, x) => post(p, input, l, x)),
        );
        return applyHeads(p, head, h, input, s.outDims);
      });
    },
    owner: head === 'task' ? ownerByStem(['head']) : () => 'shared',
    lastShared: head === 'shared' ? ['out.w', 'out.b'] : trunkLastKeys('trunk', L),
  };
}

export function needsDescriptor(s: Required<ArchSpec>, who: string): void {
  if (s.descriptorDim === 0) throw new Error(`${who}: needs a task descriptor (descriptorDim is 0)`);
}
