import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { nativeKernels } from '../src/engine/kernels/native.js';
import { batchNorm } from '../src/nn/layers.js';
import { lstm, lstmScan } from '../src/nn/lstm.js';
import type { Params } from '../src/nn/params.js';
import { TRAIN } from '../src/nn/module.js';
import { adam } from '../src/nn/optim.js';
import { mlp } from '../src/nn/mlp.js';
import { softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from '../src/engine/ops.js';
import { oneHotF32 } from '../src/engine/onehot.js';
import { gradCheck, secondOrderCheck } from './helpers/gradcheck.js';

const skip = nativeKernels() ? false : 'native addon not built (native/build.mjs needs g++)';

/** Assert that b matches a (the cpu backend's values) to 1e-5 in relative L2 norm; a must not be all zero. */
function assertClose(a: Float32Array, b: Float32Array, name: string): void {
  let d2 = 0;
  let n2 = 0;
  a.forEach((v, i) => ((d2 += (v - b[i]) ** 2), (n2 += v * v)));
  assert.ok(n2 > 0 && Math.sqrt(d2 / n2) < 1e-5, `${name}: relative difference ${Math.sqrt(d2 / n2)}`);
}
const bn = batchNorm(6);

function inputs(seed: number, shape: number[]): tf.Tensor[] {
  const r = new Rng(seed);
  // A mean far from zero and unequal scales per channel: what the centred two-pass statistics are for.
  return [
    tf.add(r.normalTensor(shape, 0, 2), 3),
    r.normalTensor([shape[shape.length - 1]], 1, 0.3),
    r.normalTensor([shape[shape.length - 1]], 0, 0.3),
  ];
}

const loss = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar => {
  const y = bn.apply({ gamma, beta }, x, TRAIN);
  const w = new Rng(9).normalTensor(y.shape);
  return tf.sum(tf.mul(tf.tanh(y), w)) as tf.Scalar;
};

async function valueAndGrads(backend: 'cpu' | 'wasm', shape: number[]): Promise<Float32Array[]> {
  await initEngine({ backend });
  const out = tf.tidy(() => {
    const xs = inputs(3, shape);
    const y = bn.apply({ gamma: xs[1], beta: xs[2] }, xs[0], TRAIN);
    return [y, ...tf.grads(loss)(xs)];
  });
  const v = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  return v;
}

describe('fused batch norm (native forward and backward) against the ops on the cpu backend', () => {
  for (const shape of [
    [4, 5, 5, 6],
    [40, 28, 28, 6],
  ]) {
    it(`output and first-order gradients, x [${shape}]`, { skip }, async () => {
      const a = await valueAndGrads('cpu', shape);
      const b = await valueAndGrads('wasm', shape);
      for (const [k, name] of ['y', 'dx', 'dgamma', 'dbeta'].entries()) {
        assertClose(a[k], b[k], name);
      }
    });
  }

  it('runs as the native kernels, forward and backward, without leaking', { skip }, async () => {
    await initEngine({ backend: 'wasm' });
    const xs = inputs(4, [3, 4, 4, 6]);
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => {
      const g = tf.grads(loss)(xs);
      tf.dispose(g);
    });
    const names = new Set(info.kernels.map((k) => k.name));
    assert.ok(names.has('MetalearnBatchNorm') && names.has('MetalearnBatchNormGrad'), [...names].join(' '));
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(xs);
  });

  it(
    'first and second order match finite differences (the second through differentiable ops)',
    { skip },
    async () => {
      await initEngine({ backend: 'wasm' });
      const xs = inputs(5, [4, 3, 3, 6]);
      const r1 = gradCheck(loss, xs);
      assert.ok(r1.relErr < 2e-2, `first order: ${JSON.stringify(r1)}`);
      const r2 = secondOrderCheck(loss, xs);
      assert.ok(r2.relErr < 2e-2, `second order: ${JSON.stringify(r2)}`);
      tf.dispose(xs);
    },
  );
});

// 7 units: the narrow path (each step's rows gathered into one row); 18: row by row, 16 wide and a tail.
for (const hidden of [7, 18])
  describe(`fused LSTM layer (native forward and backward) against the ops on the cpu backend, ${hidden} units`, () => {
    const cell = lstm(5, hidden);
    const run = (p: Params, x: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor) => {
      const r = lstmScan(p, x, h0, c0);
      const w = new Rng(8).normalTensor(r.outputs.shape);
      // Every output, and the final cell through a different weighting.
      return tf.add(
        tf.sum(tf.mul(r.outputs, w)),
        tf.sum(tf.mul(r.c, tf.slice(w, [0, 0, 0], [-1, 1, -1]))),
      ) as tf.Scalar;
    };
    const setup = (seed: number, batch: number, steps: number) => {
      const r = new Rng(seed);
      const p = cell.init(r);
      return {
        p,
        xs: [
          r.normalTensor([batch, steps, 5]),
          r.normalTensor([batch, hidden], 0, 0.5),
          r.normalTensor([batch, hidden], 0, 0.5),
        ],
      };
    };
    const lossOf =
      (p: Params) =>
      (x: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor, wx: tf.Tensor, wh: tf.Tensor, b: tf.Tensor) =>
        run({ ...p, wx, wh, b }, x, h0, c0);

    it('outputs and first-order gradients', { skip }, async () => {
      const values = async (backend: 'cpu' | 'wasm') => {
        await initEngine({ backend });
        const out = tf.tidy(() => {
          const { p, xs } = setup(3, 64, 6);
          const all = [...xs, p.wx, p.wh, p.b];
          return [lstmScan(p, xs[0], xs[1], xs[2]).outputs, ...tf.grads(lossOf(p))(all)];
        });
        const v = out.map((t) => t.dataSync() as Float32Array);
        tf.dispose(out);
        return v;
      };
      const a = await values('cpu');
      const b = await values('wasm');
      for (const [k, name] of ['outputs', 'dx', 'dh0', 'dc0', 'dwx', 'dwh', 'db'].entries()) {
        assertClose(a[k], b[k], name);
      }
    });

    it(
      'runs as the native kernels without leaking; first and second order match finite differences',
      { skip },
      async () => {
        await initEngine({ backend: 'wasm' });
        const { p, xs } = setup(4, 3, 4);
        const all = [...xs, p.wx, p.wh, p.b];
        const before = tf.memory().numTensors;
        const info = await tf.profile(() => tf.dispose(tf.grads(lossOf(p))(all)));
        const names = new Set(info.kernels.map((k) => k.name));
        assert.ok(names.has('MetalearnLstmSeq') && names.has('MetalearnLstmSeqGrad'), [...names].join(' '));
        assert.equal(tf.memory().numTensors, before);
        const r1 = gradCheck(lossOf(p), all);
        assert.ok(r1.relErr < 2e-2, `first order: ${JSON.stringify(r1)}`);
        const r2 = secondOrderCheck(lossOf(p), all);
        assert.ok(r2.relErr < 2e-2, `second order: ${JSON.stringify(r2)}`);
        tf.dispose([...all]);
      },
    );
  });

describe('fused dense layer with bias and ReLU (native forward and backward) against the ops on the cpu backend', () => {
  // Two ReLU layers and a linear one: relu and identity kernels, a ragged batch of 13 rows.
  const net = mlp([7, 9, 6, 3]);
  const setup = (seed: number) => {
    const r = new Rng(seed);
    return { p: net.init(r), x: r.normalTensor([13, 7]), u: new Rng(seed + 1).normalTensor([13, 3]) };
  };
  const lossOf =
    (u: tf.Tensor) =>
    (x: tf.Tensor, ...ws: tf.Tensor[]) => {
      const keys = Object.keys(setup(0).p).sort();
      const p = Object.fromEntries(keys.map((k, i) => [k, ws[i]]));
      return tf.sum(tf.mul(tf.square(net.apply(p, x, TRAIN)), u)) as tf.Scalar;
    };
  const all = (s: ReturnType<typeof setup>) => [
    s.x,
    ...Object.keys(s.p)
      .sort()
      .map((k) => s.p[k]),
  ];

  it('outputs, gradients and a second-order gradient', { skip }, async () => {
    const values = async (backend: 'cpu' | 'wasm') => {
      await initEngine({ backend });
      const out = tf.tidy(() => {
        const s = setup(3);
        const f = lossOf(s.u);
        const xs = all(s);
        const v = new Rng(9).normalTensor(s.x.shape);
        const hv = tf.grad(
          (x: tf.Tensor) => tf.sum(tf.mul(tf.grads(f)([x, ...xs.slice(1)])[0], v)) as tf.Scalar,
        )(s.x);
        return [net.apply(s.p, s.x, TRAIN), ...tf.grads(f)(xs), hv];
      });
      const v = out.map((t) => t.dataSync() as Float32Array);
      tf.dispose(out);
      return v;
    };
    const a = await values('cpu');
    const b = await values('wasm');
    assert.equal(a.length, 9);
    for (let k = 0; k < a.length; k++) {
      assertClose(a[k], b[k], `output ${k}`);
    }
  });

  it(
    'runs as the native kernels without leaking; first and second order match finite differences',
    { skip },
    async () => {
      await initEngine({ backend: 'wasm' });
      const s = setup(4);
      const f = lossOf(s.u);
      const xs = all(s);
      const before = tf.memory().numTensors;
      const info = await tf.profile(() => tf.dispose(tf.grads(f)(xs)));
      const names = info.kernels.map((k) => k.name);
      assert.equal(names.filter((n) => n === 'MetalearnDense').length, 3, names.join(' '));
      assert.equal(names.filter((n) => n === 'MetalearnDenseGrad').length, 3, names.join(' '));
      // One product per layer for its input's gradient: here x is differentiated too.
      assert.equal(names.filter((n) => n === 'BatchMatMul').length, 3, names.join(' '));
      assert.ok(!names.includes('Relu'), names.join(' '));
      // With respect to the parameters only, the first layer's input gradient is not made.
      const paramsOnly = await tf.profile(() =>
        tf.dispose(tf.grads((...ws: tf.Tensor[]) => f(s.x, ...ws))(xs.slice(1))),
      );
      const names2 = paramsOnly.kernels.map((k) => k.name);
      assert.equal(names2.filter((n) => n === 'MetalearnDenseGrad').length, 3, names2.join(' '));
      assert.equal(names2.filter((n) => n === 'BatchMatMul').length, 2, names2.join(' '));
      assert.equal(tf.memory().numTensors, before);
      // A small step, so that few pre-activations cross a ReLU kink between the evaluations.
      const r1 = gradCheck(f, xs, { eps: 2e-3 });
      assert.ok(r1.relErr < 1e-2, `first order: ${JSON.stringify(r1)}`);
      // Finite differences of a gradient jump at every kink crossed, so the second order is checked
      // where no pre-activation is near 0: positive inputs, weights and biases (every unit active).
      const pos = xs.map((t) => tf.tidy(() => tf.add(tf.abs(t), 0.1)));
      const r2 = secondOrderCheck(f, pos);
      assert.ok(r2.relErr < 2e-2, `second order: ${JSON.stringify(r2)}`);
      tf.dispose([...xs, ...pos, s.u]);
    },
  );
});

describe('fused kernels refuse bad arguments, naming the kernel', () => {
  it('a missing argument, a negative dim and a short buffer', { skip }, () => {
    const addon = nativeKernels()!;
    const f = (n: number) => new Float32Array(n);
    const dense = addon.dense as unknown as (...a: unknown[]) => void;
    assert.throws(
      () => dense(f(6), f(6), f(3)),
      /^Error: dense: expected \(x, w, b, y: Float32Array, \[m, k, n, relu\]\)/,
    );
    assert.throws(
      () => addon.dense(f(6), f(6), f(3), f(6), [2, -3, 3, 0]),
      /dense: dims must be non-negative/,
    );
    assert.throws(
      () => addon.dense(f(6), f(6), f(3), f(5), [2, 3, 3, 0]),
      /dense: a buffer is smaller than its shape/,
    );
    // m 2, k 3, n 3: dz must hold 6 floats with relu, none without.
    assert.throws(
      () => addon.denseGrad(f(6), f(6), f(6), f(0), f(9), f(3), [2, 3, 3, 1]),
      /denseGrad: a buffer is smaller than its shape/,
    );
    addon.denseGrad(f(6), f(6), f(6), f(0), f(9), f(3), [2, 3, 3, 0]);
    assert.throws(
      () => addon.lstmSeqGrad(...Array.from({ length: 13 }, () => f(4)), [1, 2, 1]),
      /lstmSeqGrad: a buffer is smaller than its shape/,
    );
    assert.throws(
      () => addon.softmaxXent(f(10), new Int32Array(1), f(1), 2, 5),
      /softmaxXent: a buffer is too small/,
    );
    assert.throws(
      () => addon.softmaxXentGrad(f(10), new Int32Array(2), f(1), f(10), 0, 5),
      /softmaxXentGrad: rows and classes must be positive integers; expected \(logits/,
    );
  });
});

describe('fused softmax cross-entropy (native forward and backward) against the ops on the cpu backend', () => {
  // 37 rows of 5 classes; two labels outside [0, 5) contribute nothing, as their zero one-hot rows do.
  const labels = Array.from({ length: 37 }, (_, i) => (i === 4 ? -1 : i === 20 ? 5 : (i * 7) % 5));
  const setup = (seed: number) => new Rng(seed).normalTensor([37, 5], 0, 2);
  // Weighted so that the second-order check sees a non-trivial upstream gradient.
  const lossOf = (x: tf.Tensor) =>
    tf.mul(sparseSoftmaxCrossEntropy(tf.mul(x, x), tf.tensor1d(labels, 'int32')), 1.7) as tf.Scalar;
  const viaOneHot = (x: tf.Tensor) =>
    tf.mul(softmaxCrossEntropy(tf.mul(x, x), oneHotF32(tf.tensor1d(labels, 'int32'), 5)), 1.7) as tf.Scalar;

  it('loss, gradient and second-order gradient', { skip }, async () => {
    const values = async (backend: 'cpu' | 'wasm') => {
      await initEngine({ backend });
      const out = tf.tidy(() => {
        const x = setup(3);
        const u = new Rng(5).normalTensor([37, 5]);
        const g = (y: tf.Tensor) => tf.grad(lossOf)(y);
        const hv = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(g(y), u)) as tf.Scalar)(x);
        return [lossOf(x), g(x), hv];
      });
      const v = out.map((t) => t.dataSync() as Float32Array);
      tf.dispose(out);
      return v;
    };
    const a = await values('cpu');
    const b = await values('wasm');
    for (const [k, name] of ['loss', 'gradient', 'second order'].entries()) {
      assertClose(a[k], b[k], name);
    }
    // The rows with an invalid label get no gradient.
    for (const r of [4, 20])
      assert.ok(
        b[1].slice(r * 5, r * 5 + 5).every((v) => v === 0),
        `row ${r}`,
      );
  });

  it(
    'runs as the native kernels without leaking; first and second order match finite differences',
    { skip },
    async () => {
      await initEngine({ backend: 'wasm' });
      const x = setup(4);
      const before = tf.memory().numTensors;
      const info = await tf.profile(() => tf.dispose(tf.grad(lossOf)(x)));
      const names = info.kernels.map((k) => k.name);
      assert.ok(
        names.includes('MetalearnSoftmaxXent') && names.includes('MetalearnSoftmaxXentGrad'),
        names.join(' '),
      );
      assert.ok(!names.includes('OneHot') && !names.includes('Exp'), names.join(' '));
      assert.equal(tf.memory().numTensors, before);
      // The same value as the one-hot ops on this backend.
      const [l1, l2] = tf.tidy(() => [lossOf(x).dataSync()[0], viaOneHot(x).dataSync()[0]]);
      assert.ok(Math.abs(l1 - l2) < 1e-5 * Math.abs(l2), `${l1} vs ${l2}`);
      const r1 = gradCheck(lossOf, [x], { eps: 1e-2 });
      assert.ok(r1.relErr < 1e-2, `first order: ${JSON.stringify(r1)}`);
      const r2 = secondOrderCheck(lossOf, [x], { eps: 1e-2 });
      assert.ok(r2.relErr < 2e-2, `second order: ${JSON.stringify(r2)}`);
      x.dispose();
    },
  );

  it(
    'labels of another dtype, higher-rank logits and empty logits take the same values',
    { skip },
    async () => {
      await initEngine({ backend: 'wasm' });
      tf.tidy(() => {
        const x = new Rng(6).normalTensor([2, 3, 4]);
        const lab = tf.tensor2d(
          [
            [0, 3, 1],
            [2, 2, 0],
          ],
          [2, 3],
          'float32',
        );
        const fused = sparseSoftmaxCrossEntropy(x, lab).dataSync()[0];
        const ops = softmaxCrossEntropy(
          tf.reshape(x, [6, 4]),
          oneHotF32(tf.reshape(lab, [6]), 4),
        ).dataSync()[0];
        assert.ok(Math.abs(fused - ops) < 1e-5 * Math.abs(ops), `${fused} vs ${ops}`);
        assert.ok(
          Number.isNaN(sparseSoftmaxCrossEntropy(tf.zeros([0, 4]), tf.zeros([0], 'int32')).dataSync()[0]),
        );
      });
    },
  );
});

describe('fused Adam step (one native kernel per parameter) against the ops on the cpu backend', () => {
  // Shapes: a scalar, a small matrix, and one above the pool's grain (2^15 values), which is split.
  const shapes: number[][] = [[], [3, 5], [70000]];
  async function run(backend: 'cpu' | 'wasm'): Promise<{ values: Float32Array[]; kernels: string[] }> {
    await initEngine({ backend });
    const opt = adam({ lr: (t) => 0.01 / t, beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    let params: Params = Object.fromEntries(shapes.map((s, i) => [`p${i}`, new Rng(i).normalTensor(s)]));
    let state = opt.init(params);
    const kernels: string[] = [];
    for (let t = 0; t < 4; t++) {
      const grads: Params = Object.fromEntries(
        shapes.map((s, i) => [`p${i}`, new Rng(100 * t + i).normalTensor(s, 0, t + 1)]),
      );
      const profile = await tf.profile(() => {
        ({ params, state } = opt.step(params, grads, state));
      });
      kernels.push(...profile.kernels.map((k) => k.name));
      tf.dispose(Object.values(grads));
    }
    const values = [...Object.values(params), ...Object.values(state.m), ...Object.values(state.v)].map(
      (x) => x.dataSync() as Float32Array,
    );
    tf.dispose(Object.values(params));
    opt.dispose(state);
    return { values, kernels };
  }

  it('parameters and both moments after 4 steps, one kernel per parameter per step', { skip }, async () => {
    const a = await run('cpu');
    const before = tf.memory().numTensors;
    const b = await run('wasm');
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.deepEqual(
      [...new Set(b.kernels)],
      ['MetalearnAdamStep'],
      `kernels on wasm: ${[...new Set(b.kernels)]}`,
    );
    assert.equal(b.kernels.length, 4 * shapes.length);
    a.values.forEach((x, k) => {
      assert.equal(x.length, b.values[k].length);
      x.forEach((v, i) => {
        const w = b.values[k][i];
        assert.ok(Math.abs(v - w) <= 1e-6 * (1 + Math.abs(v)), `value ${k}[${i}]: cpu ${v}, native ${w}`);
      });
    });
  });
});
