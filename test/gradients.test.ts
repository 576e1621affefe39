import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { logSoftmax, moments, softmaxCrossEntropy } from '../src/engine/ops.js';
import { oneHotF32 } from '../src/engine/onehot.js';
import { gradCheck, secondOrderCheck } from './helpers/gradcheck.js';

type Case = {
  name: string;
  inputs: (rng: Rng) => tf.Tensor[];
  f: (...xs: tf.Tensor[]) => tf.Scalar;
  eps?: number;
  tol?: number;
};

// A fixed random weighting makes every scalar loss depend on every output element.
function weighted(y: tf.Tensor, seed = 3): tf.Scalar {
  const w = new Rng(seed).normalTensor(y.shape);
  return tf.sum(tf.mul(y, w)) as tf.Scalar;
}

function bnFromMoments(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, axes: number[]): tf.Tensor {
  const { mean, variance } = moments(x, axes);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
}

const onehot = (labels: number[], n: number) => oneHotF32(tf.tensor1d(labels, 'int32'), n);

const cases: Case[] = [
  { name: 'tanh', inputs: (r) => [r.normalTensor([3, 4])], f: (x) => weighted(tf.tanh(x)) },
  { name: 'sigmoid', inputs: (r) => [r.normalTensor([3, 4])], f: (x) => weighted(tf.sigmoid(x)) },
  { name: 'exp', inputs: (r) => [r.normalTensor([3, 4], 0, 0.5)], f: (x) => weighted(tf.exp(x)) },
  { name: 'log', inputs: (r) => [r.uniformTensor([3, 4], 1, 2)], f: (x) => weighted(tf.log(x)) },
  { name: 'sqrt', inputs: (r) => [r.uniformTensor([3, 4], 1, 2)], f: (x) => weighted(tf.sqrt(x)) },
  { name: 'rsqrt', inputs: (r) => [r.uniformTensor([3, 4], 1, 2)], f: (x) => weighted(tf.rsqrt(x)) },
  { name: 'softmax', inputs: (r) => [r.normalTensor([3, 5])], f: (x) => weighted(tf.softmax(x)) },
  { name: 'logSoftmax', inputs: (r) => [r.normalTensor([3, 5])], f: (x) => weighted(logSoftmax(x)) },
  {
    name: 'softmax cross-entropy',
    inputs: (r) => [r.normalTensor([4, 5])],
    f: (x) => softmaxCrossEntropy(tf.square(x), onehot([0, 3, 1, 4], 5)),
  },
  {
    // relu is piecewise linear: square it so the second derivative is not identically zero.
    name: 'relu',
    inputs: (r) => [r.normalTensor([3, 4])],
    f: (x) => weighted(tf.square(tf.relu(x))),
    eps: 1e-3,
  },
  {
    name: 'matMul (plain, each transpose, batched, broadcast)',
    inputs: (r) => [
      r.normalTensor([2, 3, 4], 0, 0.5),
      r.normalTensor([2, 4, 5], 0, 0.5),
      r.normalTensor([5, 3], 0, 0.5),
    ],
    f: (a, b, c) => {
      const ab = tf.matMul(a, b); // [2,3,5]
      const y1 = tf.tanh(ab);
      const y2 = tf.matMul(tf.reshape(y1, [6, 5]), c, false, false); // [6,3]
      const y3 = tf.matMul(y2, c, false, true); // [6,5]
      const y4 = tf.matMul(c, y3, true, true); // c^T [3,5] x y3^T [5,6]
      const y5 = tf.matMul(tf.tanh(y4), y4, true, false); // [6,3] x [3,6]
      const y6 = tf.matMul(tf.reshape(tf.tanh(y5), [2, 3, 6]), tf.reshape(y4, [6, 3])); // a broadcast batch
      return weighted(tf.tanh(y6));
    },
  },
  {
    name: 'conv2d 3x3 stride 1 same',
    inputs: (r) => [r.normalTensor([2, 6, 6, 2]), r.normalTensor([3, 3, 2, 3], 0, 0.5)],
    f: (x, w) => weighted(tf.tanh(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'))),
  },
  {
    name: 'conv2d 3x3 stride 2 valid',
    inputs: (r) => [r.normalTensor([2, 7, 8, 2]), r.normalTensor([3, 3, 2, 3], 0, 0.5)],
    f: (x, w) => weighted(tf.tanh(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'))),
  },
  {
    name: 'conv2d 2x3 stride 2 same',
    inputs: (r) => [r.normalTensor([1, 7, 6, 2]), r.normalTensor([2, 3, 2, 2], 0, 0.5)],
    f: (x, w) => weighted(tf.tanh(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [2, 2], 'same'))),
  },
  {
    name: 'conv2d 3x3 dilation 2 same',
    inputs: (r) => [r.normalTensor([1, 7, 7, 2]), r.normalTensor([3, 3, 2, 2], 0, 0.5)],
    f: (x, w) => weighted(tf.tanh(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2))),
  },
  {
    name: 'conv2d 2x2 stride 2, explicit padding wider than the filter',
    inputs: (r) => [r.normalTensor([1, 5, 6, 2]), r.normalTensor([2, 2, 2, 3], 0, 0.5)],
    f: (x, w) =>
      weighted(
        tf.tanh(
          tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, [
            [0, 0],
            [3, 1],
            [2, 3],
            [0, 0],
          ]),
        ),
      ),
  },
  {
    name: 'maxPool 2x2 stride 2 (floor)',
    inputs: (r) => [r.normalTensor([2, 7, 6, 3])],
    f: (x) => weighted(tf.square(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'))),
    eps: 1e-3,
  },
  {
    name: 'batch norm from moments',
    inputs: (r) => [r.normalTensor([4, 3, 3, 2]), r.normalTensor([2], 1, 0.1), r.normalTensor([2], 0, 0.1)],
    f: (x, g, b) => weighted(tf.tanh(bnFromMoments(x, g, b, [0, 1, 2]))),
  },
  {
    name: 'sum and mean over axes, keepDims, and everything',
    inputs: (r) => [r.normalTensor([3, 4, 2])],
    f: (x) =>
      tf.add(
        tf.add(weighted(tf.tanh(tf.mean(tf.square(x), [0, 2]))), weighted(tf.tanh(tf.sum(x, 1, true)))),
        tf.square(tf.mean(tf.tanh(x))),
      ) as tf.Scalar,
  },
  {
    name: 'layer norm from moments',
    inputs: (r) => [r.normalTensor([3, 6]), r.normalTensor([6], 1, 0.1), r.normalTensor([6], 0, 0.1)],
    f: (x, g, b) => weighted(tf.tanh(bnFromMoments(x, g, b, [1]))),
  },
];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`gradients on ${backend}`, () => {
    before(async () => {
      await initEngine({ backend });
    });
    for (const c of cases) {
      it(`${c.name}: first order matches finite differences`, () => {
        const xs = c.inputs(new Rng(11));
        const r = gradCheck(c.f, xs, { eps: c.eps });
        tf.dispose(xs);
        assert.ok(r.relErr < (c.tol ?? 2e-2), `analytic ${r.analytic} numeric ${r.numeric} rel ${r.relErr}`);
      });
      it(`${c.name}: second order matches finite differences`, () => {
        const xs = c.inputs(new Rng(12));
        const r = secondOrderCheck(c.f, xs, { eps: c.eps });
        tf.dispose(xs);
        assert.ok(r.relErr < (c.tol ?? 2e-2), `analytic ${r.analytic} numeric ${r.numeric} rel ${r.relErr}`);
      });
    }

    it('oneHotF32 gives real float ones (wasm OneHot ignores float32)', () => {
      const t = oneHotF32(tf.tensor1d([2, 0], 'int32'), 3);
      assert.deepEqual(Array.from(t.dataSync()), [0, 0, 1, 1, 0, 0]);
      t.dispose();
    });

    it('the checker rejects a gradient that is 5% off', () => {
      const wrong = (x: tf.Tensor) => ({
        value: tf.tanh(x),
        gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.mul(1.05, tf.sub(1, tf.square(tf.tanh(x))))),
      });
      const wrongTanh = tf.customGrad(wrong as unknown as Parameters<typeof tf.customGrad>[0]) as (
        x: tf.Tensor,
      ) => tf.Tensor;
      const x = new Rng(5).normalTensor([3, 4]);
      const r = gradCheck((t) => weighted(wrongTanh(t)), [x]);
      x.dispose();
      assert.ok(r.relErr > 2e-2, `a wrong gradient passed the check: rel ${r.relErr}`);
    });
  });
}
