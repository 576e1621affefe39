import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions, numberOption } from './options.js';
import { initTaskNetworks } from './independent.js';
import { checkSegments, linear, resolveSpec, sliceRows } from './common.js';

/** Options of crossStitchNet. */
export interface CrossStitchOptions {
  /**
   * Initial alpha_tt, the weight a column keeps on its own activations; the rest is spread evenly over the
   * other tasks. Misra et al. start at 0.9; 1 starts from independent networks.
   */
  selfWeight?: number;
}

/** The stitch matrix a * I + (1 - a) / (T - 1) * (1 - I). */
export function stitchInit(T: number, selfWeight: number): tf.Tensor2D {
  const v = new Float32Array(T * T);
  for (let i = 0; i < T; i++)
    for (let j = 0; j < T; j++) v[i * T + j] = i === j ? selfWeight : T > 1 ? (1 - selfWeight) / (T - 1) : 0;
  return tf.tensor2d(v, [T, T]);
}

/**
 * Cross-stitch networks (Misra et al. 2016): one column per task, and after every hidden layer each
 * column's activations are replaced by a learned linear mix of all columns, x~_i = sum_j alpha_ij x_j.
 * alpha = I gives independent networks; uniform alpha gives shared ones. Columns are `col{t}.fc{l}` and
 * `col{t}.out`, laid out and initialised exactly like the independent networks' `task{t}.*`.
 * Every task's rows run through every column, so a step costs T times a single network.
 */
export function crossStitchNet(spec: ArchSpec, opts: CrossStitchOptions = {}): MultiTaskNet {
  const who = 'cross-stitch';
  checkOptions(opts, ['selfWeight'], who);
  const s = resolveSpec(spec, who);
  const L = s.hidden.length;
  const T = s.outDims.length;
  const a = numberOption(opts.selfWeight ?? 0.9, 'selfWeight', who, 0, 1);
  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (rng) => {
      const p: Params = initTaskNetworks(rng, s, 'col');
      for (let l = 0; l < L; l++) p[`stitch${l}.alpha`] = stitchInit(T, a);
      return p;
    },
    apply: (p, input) => {
      checkSegments(input, T, who);
      return tf.tidy(() => {
        let cols: tf.Tensor[] = Array.from({ length: T }, () => input.x);
        for (let l = 0; l < L; l++) {
          cols = cols.map((h, t) => tf.relu(linear(p, `col${t}.fc${l}`, h)));
          const [n, w] = cols[0].shape as [number, number];
          const mixed = tf.matMul(
            p[`stitch${l}.alpha`] as tf.Tensor2D,
            tf.reshape(tf.stack(cols), [T, n * w]),
          );
          cols = tf.unstack(tf.reshape(mixed, [T, n, w]));
        }
        return input.segments.map((seg) => linear(p, `col${seg.task}.out`, sliceRows(cols[seg.task], seg)));
      });
    },
    owner: (key) => {
      const m = /^col(\d+)\.out\./.exec(key);
      return m ? Number(m[1]) : 'shared';
    },
    lastShared: Array.from({ length: T }, (_, t) => [`col${t}.fc${L - 1}.w`, `col${t}.fc${L - 1}.b`]).flat(),
  };
}
