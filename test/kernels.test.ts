import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';

/** Run fn on a backend and return the values of its result. */
async function on(
  backend: 'cpu' | 'wasm',
  fn: () => tf.Tensor,
): Promise<{ shape: number[]; values: number[] }> {
  await initEngine({ backend });
  const t = fn();
  const r = { shape: t.shape.slice(), values: Array.from(await t.data()) };
  t.dispose();
  return r;
}

describe('wasm Sum/Mean kernels (float64 accumulation) agree with the cpu backend', () => {
  const cases: [string, number[], (x: tf.Tensor) => tf.Tensor][] = [
    ['sum over batch, h, w (bias and batch-norm gradients)', [6, 5, 4, 3], (x) => tf.sum(x, [0, 1, 2])],
    ['mean over batch, h, w, keepDims', [6, 5, 4, 3], (x) => tf.mean(x, [0, 1, 2], true)],
    ['sum over the last axis', [6, 5, 4, 3], (x) => tf.sum(x, -1)],
    ['mean over a middle block', [6, 5, 4, 3], (x) => tf.mean(x, [1, 2])],
    ['sum of everything', [6, 5, 4, 3], (x) => tf.sum(x)],
    ['non-contiguous axes (stock kernel)', [6, 5, 4, 3], (x) => tf.sum(x, [0, 2])],
    ['int32 input (stock kernel)', [4, 3], (x) => tf.sum(tf.cast(tf.mul(x, 10), 'int32'), 0)],
  ];
  for (const [name, shape, f] of cases) {
    it(name, async () => {
      const data = new Rng(3).normalArray(shape.reduce((a, b) => a * b, 1));
      const a = await on('cpu', () => f(tf.tensor(data, shape)));
      const b = await on('wasm', () => f(tf.tensor(data, shape)));
      assert.deepEqual(b.shape, a.shape);
      a.values.forEach((v, i) =>
        assert.ok(Math.abs(v - b.values[i]) <= 1e-5 * (1 + Math.abs(v)), `${i}: ${v} vs ${b.values[i]}`),
      );
    });
  }

  it('a large sum is accurate to float32 rounding of the exact value', async () => {
    // 2^22 copies of 0.1f: float32 accumulation drifts by ~1e-2 relative; float64 stays exact to rounding.
    const n = 1 << 22;
    const r = await on('wasm', () => tf.sum(tf.fill([n / 64, 64], 0.1), 0));
    const exact = Math.fround(0.1) * (n / 64);
    r.values.forEach((v) => assert.ok(Math.abs(v - exact) / exact < 1e-6, `${v} vs ${exact}`));
  });
});
