import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import {
  checkSegments,
  initLinear,
  initTrunk,
  linear,
  ownerByStem,
  resolveSpec,
  sliceRows,
  trunkLastKeys,
} from './common.js';

/**
 * Multi-task attention network (Liu, Johns & Davison 2019) on a dense trunk: the trunk is shared, and
 * each task owns small attention modules that mask the trunk's features. At layer l task t computes
 * a = sigmoid(W2 relu(W1 [h_l, f_{l-1}] + b1) + b2) from the shared features h_l and its own previous
 * task feature, and keeps f_l = a * h_l. Tasks select features rather than copy them, so the shared
 * trunk is trained by all tasks while each reads its own part of it.
 */
export function mtanNet(spec: ArchSpec, opts: Record<string, never> = {}): MultiTaskNet {
  const who = 'mtan';
  checkOptions(opts, [], who);
  const s = resolveSpec(spec, who);
  const L = s.hidden.length;
  const T = s.outDims.length;
  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (rng) => {
      let p: Params = initTrunk(rng, 'trunk', s.inputDim, s.hidden);
      for (let t = 0; t < T; t++) {
        s.hidden.forEach((h, l) => {
          const inDim = l === 0 ? h : h + s.hidden[l - 1];
          p = {
            ...p,
            ...initLinear(rng, `att${t}.l${l}.a`, inDim, h),
            ...initLinear(rng, `att${t}.l${l}.b`, h, h),
          };
        });
        p = { ...p, ...initLinear(rng, `head${t}`, s.hidden[L - 1], s.outDims[t]) };
      }
      return p;
    },
    apply: (p, input) => {
      checkSegments(input, T, who);
      return tf.tidy(() => {
        const hs: tf.Tensor[] = [];
        let h = input.x;
        for (let l = 0; l < L; l++) hs.push((h = tf.relu(linear(p, `trunk.fc${l}`, h))));
        return input.segments.map((seg) => {
          const t = seg.task;
          let f: tf.Tensor | null = null;
          for (let l = 0; l < L; l++) {
            const hl = sliceRows(hs[l], seg);
            const inp: tf.Tensor = f === null ? hl : tf.concat([hl, f], 1);
            const mask: tf.Tensor = tf.sigmoid(
              linear(p, `att${t}.l${l}.b`, tf.relu(linear(p, `att${t}.l${l}.a`, inp))),
            );
            f = tf.mul(mask, hl);
          }
          return linear(p, `head${t}`, f!);
        });
      });
    },
    owner: ownerByStem(['att', 'head']),
    lastShared: trunkLastKeys('trunk', L),
  };
}
