import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import type { Params } from '../../nn/params.js';
import { checkOptions } from '../conditioning/options.js';
import { addGrads, partialGrads, perTaskGrads } from './grads.js';
import type { Weighting } from './types.js';

/**
 * PCGrad's projections expressed in the span of the task gradients. Each projected g_i stays a
 * combination sum_k c_ik g_k, and every dot product it needs is a row of the Gram matrix, so K task
 * gradients of any size cost one K x K matrix product and no further passes over the parameters.
 * Returns sum_i c_i, the coefficients of the summed projected gradient.
 */
export function pcgradCoefficients(gram: readonly (readonly number[])[], rng: Rng): number[] {
  const K = gram.length;
  const total = new Array(K).fill(0);
  for (let i = 0; i < K; i++) {
    const c = new Array(K).fill(0);
    c[i] = 1;
    const others = rng.shuffle(Array.from({ length: K }, (_, j) => j).filter((j) => j !== i));
    for (const j of others) {
      let dot = 0;
      for (let k = 0; k < K; k++) dot += c[k] * gram[k][j];
      // Project away only a conflicting component (negative dot product) onto g_j's normal plane.
      if (dot < 0 && gram[j][j] > 0) c[j] -= dot / gram[j][j];
    }
    for (let k = 0; k < K; k++) total[k] += c[k];
  }
  return total;
}

/** PCGrad on plain vectors: the summed projected gradient (for tests and for reading the method). */
export function pcgradProject(vectors: readonly (readonly number[])[], rng: Rng): number[] {
  const gram = vectors.map((a) => vectors.map((b) => a.reduce((s, v, k) => s + v * b[k], 0)));
  const c = pcgradCoefficients(gram, rng);
  return vectors[0].map((_, d) => vectors.reduce((s, v, k) => s + c[k] * v[d], 0));
}

/** PCGrad's state: the Rng that orders the projections. */
export interface PcgradState {
  readonly rng: Rng;
}

/**
 * PCGrad (Yu et al. 2020): per-task gradients of the shared parameters; where two conflict (negative
 * dot product) one is projected onto the other's normal plane, visiting the other tasks in a seeded
 * random order; the projected gradients are summed. Task-specific parameters get their own task's
 * gradient, and the architecture's penalty is added unprojected. Costs one forward and backward pass
 * per task.
 */
export function pcgradWeighting(opts: Record<string, never> = {}): Weighting<PcgradState> {
  checkOptions(opts, [], 'pcgrad');
  return {
    name: 'pcgrad',
    init: ({ rng }) => ({ state: { rng: rng.fork() }, params: {} }),
    step: (params, oracle, state) => {
      const K = oracle.tasks.length;
      const { perTask, losses } = perTaskGrads(params, oracle);
      const shared = oracle.sharedKeys.filter((k) => perTask.some((g) => k in g));
      let grads: Params = {};
      if (shared.length > 0) {
        const sizes = shared.map((k) => params[k].size);
        const projected = tf.tidy(() => {
          const V = tf.stack(
            perTask.map((g) =>
              tf.concat(shared.map((k) => (k in g ? tf.reshape(g[k], [-1]) : tf.zeros([params[k].size])))),
            ),
          );
          const gramFlat = tf
            .matMul(V as tf.Tensor2D, V as tf.Tensor2D, false, true)
            .arraySync() as number[][];
          const coef = pcgradCoefficients(gramFlat, state.rng);
          const sum = tf.reshape(tf.matMul(tf.tensor2d(coef, [1, K]), V as tf.Tensor2D), [-1]);
          return tf.split(sum, sizes);
        });
        shared.forEach((k, i) => (grads[k] = tf.reshape(projected[i], params[k].shape)));
        tf.dispose(projected);
      }
      const sharedSet = new Set(shared);
      for (const g of perTask) {
        const own: Params = {};
        for (const k of Object.keys(g)) {
          if (sharedSet.has(k)) g[k].dispose();
          else own[k] = g[k];
        }
        grads = addGrads(grads, own);
      }
      const pen = partialGrads(params, (p) => oracle.penalty(p) ?? tf.scalar(0), oracle.modelKeys);
      grads = addGrads(grads, pen.grads);
      return { grads, losses, weights: oracle.tasks.map(() => 1), state };
    },
  };
}
