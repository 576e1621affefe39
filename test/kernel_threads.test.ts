import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine, kernelThreads, setKernelThreads } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { fusedBatchNorm } from '../src/engine/batch_norm.js';
import { nativeGemmPath, nativeKernels, nativeKernelsActive } from '../src/engine/kernels/native.js';

const skip = nativeKernels() ? false : 'native addon not built (native/build.mjs needs g++)';

async function values(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initEngine({ backend });
  const ts = tf.tidy(fn);
  const out = await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(ts);
  return out;
}

const normal = (seed: number, shape: number[]) => {
  const v = new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1));
  return () => tf.tensor(v, shape);
};

describe(`native conv2d gradients (GEMM: ${nativeGemmPath()}) agree with the cpu backend's ops`, () => {
  // [x, w, strides, pad, dilations]: Conv4's layers, strided, dilated, explicit padding, and a batch
  // whose columns (16 x 28 x 28 x 144 floats) exceed one im2col chunk.
  const cases: [number[], number[], number | [number, number], 'same' | 'valid' | number, number][] = [
    [[5, 28, 28, 1], [3, 3, 1, 8], 1, 'same', 1],
    [[4, 14, 14, 8], [3, 3, 8, 6], 1, 'same', 1],
    [[3, 11, 9, 3], [3, 2, 3, 4], [2, 3], 'same', 1],
    [[2, 12, 12, 2], [3, 3, 2, 3], 1, 'valid', 2],
    [[2, 8, 8, 3], [2, 2, 3, 2], 2, 1, 1],
    [[40, 28, 28, 16], [3, 3, 16, 4], 1, 'same', 1],
  ];
  for (const [xs, ws, strides, pad, dil] of cases) {
    it(
      `x [${xs}] * w [${ws}], strides ${JSON.stringify(strides)}, pad ${pad}, dilations ${dil}`,
      { skip },
      async () => {
        const x = normal(1, xs);
        const w = normal(2, ws);
        const f = () => {
          const xt = x() as tf.Tensor4D;
          const wt = w() as tf.Tensor4D;
          const y = tf.conv2d(xt, wt, strides, pad, 'NHWC', dil);
          const r = new Rng(3).normalTensor(y.shape);
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad, 'NHWC', dil), r)),
          )([xt, wt]);
          return [dx, dw];
        };
        const a = await values('cpu', f);
        const b = await values('wasm', f);
        assert.ok(nativeKernelsActive());
        for (const [k, name] of ['input', 'filter'].entries()) {
          // Relative to the gradient's norm: its entries are sums of up to 31,000 products, rounded in
          // another order by the cpu backend.
          let d2 = 0;
          let n2 = 0;
          a[k].forEach((v, i) => {
            d2 += (v - b[k][i]) ** 2;
            n2 += v * v;
          });
          const rel = Math.sqrt(d2 / n2);
          assert.ok(rel < 1e-5, `${name} gradient: relative difference ${rel}`);
        }
      },
    );
  }
});

// Our GEMM computes each output element in the same order on any number of threads; OpenBLAS may pick
// another kernel for a share of the rows, so with it products agree to rounding only.
const ownGemm = (nativeGemmPath() ?? '').startsWith('own');

/** A 3x3 'same' conv of n images of 14x14 with ci channels into 32, and both its gradients. */
function convAndGrads(seed: number, n: number, ci: number): tf.Tensor[] {
  const x = normal(seed, [n, 14, 14, ci])() as tf.Tensor4D;
  const w = normal(seed + 1, [3, 3, ci, 32])() as tf.Tensor4D;
  const r = normal(seed + 2, [n, 14, 14, 32])();
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), r)),
  )([x, w]);
  return [tf.conv2d(x, w, 1, 'same'), dx, dw];
}

describe(`native kernels give the same results on 1 and on 3 threads (GEMM: ${nativeGemmPath()})`, () => {
  // Sizes above the kernels' thresholds for sharing work; 3 threads split unevenly on any machine.
  // [name, outputs, whether they come from matrix products]
  const cases: [string, () => tf.Tensor[], boolean][] = [
    ['conv2d forward and both gradients', () => convAndGrads(4, 6, 16), true],
    [
      'conv2d over many im2col chunks (threads take whole chunks; filter sums in fixed groups)',
      () => convAndGrads(17, 40, 64),
      true,
    ],
    [
      'matMul: tall, wide, transposed, batched',
      () => {
        const a = normal(7, [300, 200])();
        const b = normal(8, [200, 250])();
        const c = normal(9, [8, 40, 60])();
        const d = normal(10, [8, 60, 50])();
        return [
          tf.matMul(a, b),
          tf.matMul(b, a, true, true),
          tf.matMul(normal(11, [20, 200])(), b),
          tf.matMul(c, d),
        ];
      },
      true,
    ],
    [
      'fused batch norm forward and gradient (channel sums in row blocks)',
      () => {
        const x = normal(20, [20000, 24])();
        const g = normal(21, [24])();
        const b = normal(22, [24])();
        const r = normal(23, [20000, 24])();
        const [dx, dg] = tf.grads((a: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(fusedBatchNorm(a, c, b, 1e-5)!, r)),
        )([x, g]);
        return [fusedBatchNorm(x, g, b, 1e-5)!, dx, dg];
      },
      false,
    ],
    [
      'add, sub, mul, div with and without broadcasting',
      () => {
        const a = normal(12, [64, 30, 40])();
        const b = normal(13, [64, 30, 40])();
        const row = normal(14, [40])();
        const col = normal(15, [64, 1, 40])();
        return [tf.add(a, b), tf.sub(a, row), tf.mul(a, col), tf.div(a, tf.add(tf.abs(b), 1))];
      },
      false,
    ],
    [
      'transpose, reverse, tanh, sum and mean, max-pool gradient',
      () => {
        const x = normal(16, [20, 30, 40, 12])();
        const p = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'))))(
          x,
        );
        return [
          tf.transpose(x, [3, 1, 0, 2]),
          tf.reverse(x, [1, 2]),
          tf.tanh(x),
          tf.sum(x, [0, 1, 2]),
          tf.mean(x, 3),
          tf.sum(tf.reshape(x, [1, -1, 12]), 1),
          p,
        ];
      },
      false,
    ],
  ];
  for (const [name, f, gemm] of cases) {
    it(name, { skip }, async () => {
      await initEngine({ backend: 'wasm' });
      const before = kernelThreads();
      try {
        assert.equal(setKernelThreads(1), 1);
        const one = await values('wasm', f);
        assert.equal(setKernelThreads(3), 3);
        const three = await values('wasm', f);
        one.forEach((v, k) => {
          if (!gemm || ownGemm)
            return assert.deepEqual(three[k], v, `output ${k} differs between 1 and 3 threads`);
          let d2 = 0;
          let n2 = 0;
          v.forEach((e, i) => {
            d2 += (e - three[k][i]) ** 2;
            n2 += e * e;
          });
          assert.ok(Math.sqrt(d2 / n2) < 1e-6, `output ${k}: relative difference ${Math.sqrt(d2 / n2)}`);
        });
      } finally {
        setKernelThreads(before);
      }
    });
  }

  it('setKernelThreads refuses what is not a thread count', { skip }, () => {
    for (const bad of [0, -1, 1.5, 257, Number.NaN])
      assert.throws(() => setKernelThreads(bad), /threads: expected an integer from 1 to 256/);
  });
});
