import { tf } from '../../src/engine/tf.js';
import type { Rng } from '../../src/engine/rng.js';
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
