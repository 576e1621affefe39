import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions, numberOption } from './options.js';
import { initTaskNetworks } from './independent.js';
import { stitchInit } from './cross_stitch.js';
import { checkSegments, linear, resolveSpec, sliceRows } from './common.js';

/** Options of sluiceNet. */
export interface SluiceOptions {
  /** Subspaces per layer and task (Ruder et al. use 2). Hidden widths must be divisible by it. */
  subspaces?: number;
  /** Initial weight of each subspace on itself in alpha (the rest spread over all other subspaces). */
  selfWeight?: number;
  /**
   * Weight of the subspace orthogonality penalty sum ||W_g^T W_h||_F^2 between the weight blocks that
   * produce different subspaces of a layer. The paper puts it on the subspaces' activations; this is its
   * data-free form on the weights, so it can be a penalty of the parameters alone. Default 1e-3.
   */
  orthogonality?: number;
}

/**
 * Sluice networks (Ruder et al. 2019): task columns whose layers are split into subspaces; alpha_l
 * (TG x TG) learns which subspaces of which tasks are mixed after layer l, and beta_t (one weight per
 * layer) learns which layers' outputs task t predicts from (hierarchical sharing). Hidden layers must
 * all have the same width for the beta mixture.
 */
export function sluiceNet(spec: ArchSpec, opts: SluiceOptions = {}): MultiTaskNet {
  const who = 'sluice';
  checkOptions(opts, ['subspaces', 'selfWeight', 'orthogonality'], who);
  const s = resolveSpec(spec, who);
  const L = s.hidden.length;
  const T = s.outDims.length;
  const G = opts.subspaces ?? 2;
  if (!Number.isInteger(G) || G < 1)
    throw new Error(`${who}: option 'subspaces' must be a positive integer, got ${JSON.stringify(G)}`);
  const H = s.hidden[0];
  if (s.hidden.some((h) => h !== H)) {
    throw new Error(
      `${who}: every hidden layer must have the same width for the layer mixture beta, got [${s.hidden.join(', ')}]`,
    );
  }
  if (H % G !== 0) throw new Error(`${who}: hidden width ${H} is not divisible by ${G} subspaces`);
  const a = numberOption(opts.selfWeight ?? 0.9, 'selfWeight', who, 0, 1);
  const ortho = numberOption(opts.orthogonality ?? 1e-3, 'orthogonality', who, 0);
  const w = H / G;
  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (rng) => {
      const p: Params = initTaskNetworks(rng, s, 'col');
      for (let l = 0; l < L; l++) p[`alpha${l}`] = stitchInit(T * G, a);
      const beta = new Float32Array(L);
      beta[L - 1] = 1; // start by predicting from the last layer, as a plain network would
      for (let t = 0; t < T; t++) p[`beta${t}`] = tf.tensor1d(beta);
      return p;
    },
    apply: (p, input) => {
      checkSegments(input, T, who);
      return tf.tidy(() => {
        const n = input.x.shape[0] as number;
        let cols: tf.Tensor[] = Array.from({ length: T }, () => input.x);
        const layerOuts: tf.Tensor[][] = Array.from({ length: T }, () => []);
        for (let l = 0; l < L; l++) {
          cols = cols.map((h, t) => tf.relu(linear(p, `col${t}.fc${l}`, h)));
          // [T, n, G, w] -> [T, G, n, w] -> [TG, n*w]: one row per (task, subspace) for alpha to mix.
          const units = tf.reshape(tf.transpose(tf.reshape(tf.stack(cols), [T, n, G, w]), [0, 2, 1, 3]), [
            T * G,
            n * w,
          ]);
          const mixed = tf.matMul(p[`alpha${l}`] as tf.Tensor2D, units);
          cols = tf.unstack(
            tf.reshape(tf.transpose(tf.reshape(mixed, [T, G, n, w]), [0, 2, 1, 3]), [T, n, H]),
          );
          cols.forEach((c, t) => layerOuts[t].push(c));
        }
        return input.segments.map((seg) => {
          const t = seg.task;
          let rep: tf.Tensor = tf.mul(sliceRows(layerOuts[t][0], seg), tf.slice(p[`beta${t}`], [0], [1]));
          for (let l = 1; l < L; l++)
            rep = tf.add(rep, tf.mul(sliceRows(layerOuts[t][l], seg), tf.slice(p[`beta${t}`], [l], [1])));
          return linear(p, `col${t}.out`, rep);
        });
      });
    },
    owner: (key) => {
      const m = /^(?:col(\d+)\.out\.|beta(\d+)$)/.exec(key);
      return m ? Number(m[1] ?? m[2]) : 'shared';
    },
    lastShared: Array.from({ length: T }, (_, t) => [`col${t}.fc${L - 1}.w`, `col${t}.fc${L - 1}.b`]).flat(),
    penalty: (p) => {
      if (ortho === 0 || G < 2) return null;
      return tf.tidy(() => {
        let total: tf.Tensor = tf.scalar(0);
        for (let t = 0; t < T; t++) {
          for (let l = 0; l < L; l++) {
            const W = p[`col${t}.fc${l}.w`] as tf.Tensor2D;
            const rows = W.shape[0];
            const blocks = Array.from(
              { length: G },
              (_, g) => tf.slice(W, [0, g * w], [rows, w]) as tf.Tensor2D,
            );
            for (let g = 0; g < G; g++) {
              for (let h = g + 1; h < G; h++)
                total = tf.add(total, tf.sum(tf.square(tf.matMul(blocks[g], blocks[h], true, false))));
            }
          }
        }
        return tf.mul(total, ortho) as tf.Scalar;
      });
    },
  };
}
