import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import type { SupportQuery } from '../../src/tasks/types.js';

/**
 * Toy few-shot episodes in the peer benchmark's style: each class is a random 4x4 grid upsampled to
 * size x size, each example that template plus Gaussian noise. Support and query in class order.
 */
export function toyEpisode(
  rng: Rng,
  ways: number,
  shots: number,
  queries: number,
  size = 16,
  noise = 0.3,
): SupportQuery {
  const px = size * size;
  const make = (perClass: number) => {
    const x = new Float32Array(ways * perClass * px);
    const y = new Int32Array(ways * perClass);
    return { x, y, perClass };
  };
  const s = make(shots);
  const q = make(queries);
  const cell = size / 4;
  for (let c = 0; c < ways; c++) {
    const grid = Array.from({ length: 16 }, () => rng.next());
    for (const set of [s, q]) {
      for (let k = 0; k < set.perClass; k++) {
        const i = c * set.perClass + k;
        set.y[i] = c;
        for (let r = 0; r < size; r++) {
          for (let col = 0; col < size; col++) {
            set.x[i * px + r * size + col] =
              grid[Math.floor(r / cell) * 4 + Math.floor(col / cell)] + noise * rng.normal();
          }
        }
      }
    }
  }
  const t = (set: typeof s) => ({
    x: tf.tensor4d(set.x, [set.y.length, size, size, 1]),
    y: tf.tensor1d(set.y, 'int32'),
  });
  return { support: t(s), query: t(q) };
}

/** `ways` fixed random class prototypes of `dim` values, from `seed` (one Rng draw sequence). */
export function classPrototypes(seed: number, ways: number, dim: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: ways }, () => rng.normalArray(dim));
}

/**
 * The easy synthetic classification task: each class is a fixed prototype (classPrototypes), each
 * example it plus Gaussian noise. Which label a class gets is drawn anew for every episode, so only a
 * learner that reads the support set can beat chance. x [n, dim]; support and query in label order,
 * as the library's episodes are.
 */
export function prototypeEpisode(
  rng: Rng,
  prototypes: ArrayLike<number>[],
  shots: number,
  queries: number,
  noise: number,
): SupportQuery {
  const ways = prototypes.length;
  const dim = prototypes[0].length;
  const perm = rng.shuffle(Array.from({ length: ways }, (_, i) => i));
  const make = (n: number) => {
    const x = new Float32Array(ways * n * dim);
    const y = new Int32Array(ways * n);
    for (let c = 0; c < ways; c++) {
      for (let i = 0; i < n; i++) {
        const row = c * n + i;
        y[row] = c;
        for (let j = 0; j < dim; j++) x[row * dim + j] = prototypes[perm[c]][j] + noise * rng.normal();
      }
    }
    return { x: tf.tensor2d(x, [ways * n, dim]), y: tf.tensor1d(y, 'int32') };
  };
  return { support: make(shots), query: make(queries) };
}

/**
 * A tiny sinusoid family: y = A sin(x), A ~ U(-2, 2), x ~ U(-3, 3). Without the context the best
 * prediction is 0 (MSE about 0.6); a learner has to read A off the support pairs.
 */
export function sineEpisode(rng: Rng, ns = 10, nq = 10): SupportQuery {
  const a = rng.uniform(-2, 2);
  const make = (n: number) => {
    const x = rng.uniformArray(n, -3, 3);
    return {
      x: tf.tensor2d(x, [n, 1]),
      y: tf.tensor2d(
        x.map((v) => a * Math.sin(v)),
        [n, 1],
      ),
    };
  };
  return { support: make(ns), query: make(nq) };
}
