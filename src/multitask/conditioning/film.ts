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
  initTrunk,
  ownerByStem,
  resolveSpec,
  trunkLastKeys,
} from './common.js';

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
  const L = s.hidden.length;
  if (s.descriptorDim === 0) throw new Error(`${who}: needs a task descriptor (descriptorDim is 0)`);
  return {
    name: who,
    numTasks: s.outDims.length,
    spec: s,
    init: (rng) => {
      let p: Params = initTrunk(rng, 'trunk', s.inputDim, s.hidden);
      s.hidden.forEach((h, l) => {
        p[`film${l}.gamma`] = tf.zeros([s.descriptorDim, h]);
        p[`film${l}.beta`] = tf.zeros([s.descriptorDim, h]);
      });
      p = { ...p, ...initHeads(rng, head, s.hidden[L - 1], s.outDims) };
      return p;
    },
    apply: (p, input) => {
      checkSegments(input, s.outDims.length, who);
      return tf.tidy(() => {
        const z = input.z as tf.Tensor2D;
        const h = applyTrunk(p, 'trunk', input.x, L, (l, pre) => {
          const gamma = tf.add(tf.matMul(z, p[`film${l}.gamma`] as tf.Tensor2D), 1);
          const beta = tf.matMul(z, p[`film${l}.beta`] as tf.Tensor2D);
          return tf.add(tf.mul(gamma, pre), beta);
        });
        return applyHeads(p, head, h, input, s.outDims);
      });
    },
    owner: head === 'task' ? ownerByStem(['head']) : () => 'shared',
    lastShared: head === 'shared' ? ['out.w', 'out.b'] : trunkLastKeys('trunk', L),
  };
}
