import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { nativeGemmPath, nativeKernels, nativeKernelsActive } from '../src/engine/kernels/native.js';

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

/**
 * Run f on the cpu and on the wasm backend and assert the same shape and every value within
 * rel * (1 + |cpu value|); the two results, for further checks.
 */
async function agree(f: () => tf.Tensor, rel: number, what = '') {
  const a = await on('cpu', f);
  const b = await on('wasm', f);
  assert.deepEqual(b.shape, a.shape, what);
  a.values.forEach((v, i) =>
    assert.ok(
      Math.abs(v - b.values[i]) <= rel * (1 + Math.abs(v)),
      `${what}${what ? ' ' : ''}${i}: ${v} vs ${b.values[i]}`,
    ),
  );
  return { a, b };
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

describe(`native Conv2D (GEMM: ${nativeGemmPath()}, over the wasm heap) agrees with the cpu backend`, () => {
  const addon = nativeKernels();
  const skip = addon ? false : 'native addon not built (native/build.mjs needs g++)';
  // [x shape, filter shape, strides, pad, dilations]: the shapes Conv4 and its gradients produce, and edges.
  const cases: [
    number[],
    number[],
    number | [number, number],
    tf.backend_util.ExplicitPadding | 'same' | 'valid' | number,
    number | [number, number],
  ][] = [
    [[3, 9, 9, 2], [3, 3, 2, 4], 1, 'same', 1],
    [[2, 10, 7, 3], [3, 3, 3, 5], 1, 'valid', 1],
    [[2, 11, 11, 2], [3, 2, 2, 3], [2, 3], 'same', 1],
    [[2, 12, 12, 2], [3, 3, 2, 3], 1, 'valid', [2, 3]],
    [
      [2, 8, 8, 3],
      [2, 2, 3, 2],
      1,
      [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 0],
      ],
      1,
    ],
    [[1, 6, 6, 4], [1, 1, 4, 3], 1, 'valid', 1],
    [[4, 7, 7, 2], [7, 7, 2, 3], 1, 'valid', 1], // a filter gradient as a forward conv: kernel = image
    [[3, 5, 5, 2], [3, 3, 2, 2], 2, 1, 1],
  ];
  for (const [xs, ws, strides, pad, dil] of cases) {
    it(
      `x [${xs}] * w [${ws}], strides ${JSON.stringify(strides)}, pad ${JSON.stringify(pad)}, dilations ${JSON.stringify(dil)}`,
      { skip },
      async () => {
        const rng = new Rng(5);
        const xv = rng.normalArray(xs.reduce((a, b) => a * b, 1));
        const wv = rng.normalArray(ws.reduce((a, b) => a * b, 1));
        const f = () =>
          tf.conv2d(
            tf.tensor4d(xv, xs as [number, number, number, number]),
            tf.tensor4d(wv, ws as [number, number, number, number]),
            strides,
            pad,
            'NHWC',
            dil,
          );
        await agree(f, 1e-4);
        assert.ok(nativeKernelsActive(), 'the wasm backend runs the native Conv2D');
      },
    );
  }

  it('native reduceBlock sums in double precision', { skip }, () => {
    const x = new Float32Array(3 * 1000 * 2).fill(0.1);
    const out = new Float32Array(3 * 2);
    addon!.reduceBlock(x, out, 3, 1000, 2, 0.5);
    out.forEach((v) => assert.ok(Math.abs(v - Math.fround(0.1) * 500) < 1e-4, String(v)));
    assert.throws(() => addon!.reduceBlock(x, out, 3, 2000, 2, 1), /smaller than its shape/);
  });
});

describe(`native BatchMatMul (GEMM: ${nativeGemmPath()}), Transpose and broadcasting Add/Sub/Multiply/RealDiv agree with the cpu backend`, () => {
  const skip = nativeKernels() ? false : 'native addon not built (native/build.mjs needs g++)';
  const values = (shape: number[], seed: number) => {
    const v = new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1));
    return () => tf.tensor(v, shape);
  };
  const close = async (what: string, f: () => tf.Tensor) => {
    await agree(f, 1e-4, what);
    assert.ok(nativeKernelsActive(), 'the wasm backend runs the native kernels');
  };
  const mm: [number[], number[], boolean, boolean][] = [
    [[4, 3], [3, 5], false, false],
    [[3, 4], [3, 5], true, false],
    [[4, 3], [5, 3], false, true],
    [[3, 4], [5, 3], true, true],
    [[2, 3, 4, 5], [2, 3, 5, 2], false, false],
    [[6, 4, 5], [5, 3], false, false], // a batch against one matrix
    [[1, 4, 5], [6, 5, 3], false, false],
    [[2, 1, 4, 5], [3, 5, 2], false, false], // mixed broadcast: stock kernel
  ];
  for (const [as, bs, ta, tb] of mm) {
    it(`matMul [${as}]${ta ? 'ᵀ' : ''} x [${bs}]${tb ? 'ᵀ' : ''}`, { skip }, async () => {
      const a = values(as, 1);
      const b = values(bs, 2);
      await close('matMul', () => tf.matMul(a(), b(), ta, tb));
    });
  }
  const perms: [number[], number[]][] = [
    [
      [3, 4],
      [1, 0],
    ],
    [
      [2, 3, 4, 5],
      [0, 3, 1, 2],
    ],
    [
      [2, 3, 2, 4, 2, 3],
      [0, 1, 3, 5, 2, 4],
    ], // the max-pool gradient's window transpose
    [
      [2, 1, 4, 5],
      [3, 1, 0, 2],
    ],
    [
      [2, 3, 4],
      [0, 1, 2],
    ],
  ];
  for (const [shape, perm] of perms) {
    it(`transpose [${shape}] by [${perm}]`, { skip }, async () => {
      const x = values(shape, 3);
      await close('transpose', () => tf.transpose(x(), perm));
    });
  }
  const pairs: [number[], number[]][] = [
    [
      [4, 5, 6],
      [4, 5, 6],
    ],
    [[4, 5, 6], [6]],
    [[6], [4, 5, 6]],
    [
      [4, 5, 6, 3],
      [4, 5, 6, 1],
    ],
    [
      [4, 1, 6],
      [1, 5, 1],
    ],
    [[3, 4], []],
    [[], []],
    [
      [2, 3, 1, 4],
      [3, 5, 1],
    ],
  ];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ];
  for (const [as, bs] of pairs) {
    it(`add, sub, mul, div of [${as}] and [${bs}]`, { skip }, async () => {
      const a = values(as, 4);
      const b = values(bs, 5);
      for (const [name, op] of ops) await close(name, () => op(a(), b()));
    });
  }
  it('int32 arithmetic keeps the stock kernels', { skip }, async () => {
    await close('int add', () => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.scalar(4, 'int32')));
  });
});

describe('native sgemm, every implementation of this build, against a float64 reference', () => {
  const addon = nativeKernels();
  const skip = addon ? false : 'native addon not built (native/build.mjs needs g++)';
  const impls = addon ? addon.gemmKernels() : [];
  // One case: C = alpha op(A) op(B) + beta C with padded leading dimensions (lda, ldb, ldc wider than
  // the matrices): every element of C within the float32 bound of its float64 value, the padding untouched.
  const check = (
    impl: string,
    [m, n, k]: [number, number, number],
    ta: boolean,
    tb: boolean,
    alpha: number,
    beta: number,
    seed: number,
  ) => {
    const rng = new Rng(seed);
    const lda = (ta ? m : k) + 3;
    const ldb = (tb ? k : n) + 1;
    const ldc = n + 2;
    const a = new Float32Array(rng.normalArray((ta ? k : m) * lda));
    const b = new Float32Array(rng.normalArray((tb ? n : k) * ldb));
    // beta 0 must not read C: NaN there would otherwise show in the result.
    const c0 = new Float32Array(beta === 0 ? new Array<number>(m * ldc).fill(NaN) : rng.normalArray(m * ldc));
    const c = c0.slice();
    addon!.sgemm(impl, a, b, c, [m, n, k, lda, ldb, ldc, ta ? 1 : 0, tb ? 1 : 0], alpha, beta);
    const what = `${impl} m${m} n${n} k${k} ta ${ta} tb ${tb} alpha ${alpha} beta ${beta}`;
    // A float32 sum of k products is within about k units of rounding of the sum of their magnitudes.
    const u = 2 ** -24;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const got = c[i * ldc + j];
        if (j >= n) {
          assert.ok(Object.is(got, c0[i * ldc + j]), `${what}: padding (${i}, ${j}) written`);
          continue;
        }
        let s = 0;
        let mag = 0;
        for (let p = 0; p < k; p++) {
          const v = (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
          s += v;
          mag += Math.abs(v);
        }
        const old = beta === 0 ? 0 : beta * c0[i * ldc + j];
        const want = alpha * s + old;
        const tol = 2 * (k + 2) * u * (Math.abs(alpha) * mag + Math.abs(old));
        assert.ok(Math.abs(got - want) <= tol, `${what} (${i}, ${j}): ${got} vs ${want}`);
      }
    }
  };
  it('lists its implementations, the kernels use the best one, and bad calls throw', { skip }, () => {
    assert.ok(impls.includes('generic'), `${impls}`);
    const path = addon!.gemmPath();
    const own = impls.filter((x) => x !== 'openblas');
    assert.ok(
      path === 'openblas' ? impls.includes('openblas') : path === `own-${own[own.length - 1]}`,
      `${path} / ${impls}`,
    );
    assert.equal(nativeGemmPath(), path);
    const one = () => new Float32Array(4);
    assert.throws(
      () => addon!.sgemm('nope', one(), one(), one(), [2, 2, 2, 2, 2, 2, 0, 0], 1, 0),
      /'nope' is not one of gemmKernels/,
    );
    assert.throws(
      () => addon!.sgemm(impls[0], one(), one(), new Float32Array(3), [2, 2, 2, 2, 2, 2, 0, 0], 1, 0),
      /smaller than its shape/,
    );
    assert.throws(
      () => addon!.sgemm(impls[0], one(), one(), one(), [2, 2, 2, 1, 2, 2, 0, 0], 1, 0),
      /leading dimension is too small/,
    );
  });
  // Sizes around the register tiles (6 x 8, 6 x 16, 6 x 64) and primes; (transA, transB, beta) cycle
  // over their eight combinations through the grid.
  const sizes = [1, 2, 5, 7, 12, 13, 16, 17, 31, 33, 61, 70];
  for (const impl of impls) {
    it(`${impl}: m, n, k in 1..70, both transposes, beta 0 and 1`, { skip }, () => {
      let q = 0;
      for (const m of sizes)
        for (const n of sizes)
          for (const k of sizes) {
            check(impl, [m, n, k], (q & 1) === 1, (q & 2) === 2, 1, q & 4 ? 1 : 0, q);
            q++;
          }
    });
    it(`${impl}: across the cache blocks, other alpha and beta, and k = 0`, { skip }, () => {
      // kc is 192 or 256, mc 144, nc 2048: each crossed at least once, with a ragged last block. The
      // narrow path (n up to 512, A read in place except a transposed A under a long row of tiles, as in
      // the 512-wide cases) has its own kc block, up to 65536 / n rounded up: the 2000-deep case crosses
      // it; n 512 and 513 sit on the edge between the two paths.
      const big: [number, number, number][] = [
        [150, 70, 300],
        [7, 33, 520],
        [13, 2100, 5],
        [290, 3, 17],
        [30, 40, 2000],
        [25, 512, 40],
        [13, 513, 200],
        [150, 600, 300], // the packed path across its mc and kc blocks
        [64, 70, 9],
        // the small-product path (n <= 8): long dot products with a ragged tail, and rank-1 updates
        // over several 16-row blocks and a partial one
        [40, 5, 700],
        [300, 8, 33],
      ];
      let q = 0;
      for (const shape of big)
        for (let t = 0; t < 8; t++)
          check(impl, shape, (t & 1) === 1, (t & 2) === 2, t < 4 ? 1 : -0.75, [0, 1, 0.5, -2][t & 3], q++);
      check(impl, [5, 7, 0], false, false, 1, 0.5, q++);
      check(impl, [5, 7, 0], true, true, 1, 0, q++);
    });
  }
});

describe('wasm Identity and same-dtype Cast share the buffer', () => {
  it('a clone outlives its source, and the buffer is freed with the last reference', async () => {
    await initEngine({ backend: 'wasm' });
    const before = tf.memory().numBytes;
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    assert.deepEqual(Array.from(await b.data()), [1, 2, 3]);
    const c0 = tf.cast(b, 'float32');
    b.dispose();
    const c = tf.add(c0, 1);
    c0.dispose();
    const f = tf.tensor1d([1.7, -2.5]);
    const i = tf.cast(f, 'int32');
    assert.deepEqual(Array.from(await i.data()), [1, -2]); // a real cast still converts
    tf.dispose([f, i]);
    assert.deepEqual(Array.from(await c.data()), [2, 3, 4]);
    c.dispose();
    assert.equal(tf.memory().numBytes, before);
  });

  it('a gradient that saves its input through Identity stays right after the input is gone', async () => {
    await initEngine({ backend: 'wasm' });
    const x = tf.tensor1d([0.5, -1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, v)))(x);
    x.dispose();
    assert.deepEqual(Array.from(await g.data()), [1, -2, 4]);
    g.dispose();
  });
});

describe('max-pool gradient with the native routing agrees with the cpu backend', () => {
  const skip = nativeKernels() ? false : 'native addon not built (native/build.mjs needs g++)';
  for (const [shape, k] of [
    [[2, 6, 6, 3], 2],
    [[2, 7, 5, 4], 2], // floor pooling drops the last row and column
    [[1, 9, 9, 2], 3],
  ] as [number[], number][]) {
    it(`maxPool ${k}x${k} of [${shape}], with ties`, { skip }, async () => {
      const size = shape.reduce((a, b) => a * b, 1);
      // Values on a coarse grid so that windows hold ties: the first maximum takes the gradient.
      const xv = new Rng(7).uniformArray(size).map((v) => Math.round(v * 4) / 4);
      const f = () => {
        const x = tf.tensor4d(xv, shape as [number, number, number, number]);
        return tf.grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.maxPool(t as tf.Tensor4D, k, k, 'valid'),
              new Rng(8).normalTensor([
                shape[0],
                Math.floor(shape[1] / k),
                Math.floor(shape[2] / k),
                shape[3],
              ]),
            ),
          ),
        )(x);
      };
      await agree(f, 1e-5);
    });
  }
});

describe('native conv gradients (filter and input) agree with the cpu backend', () => {
  const skip = nativeKernels() ? false : 'native addon not built (native/build.mjs needs g++)';
  // Stride 1 takes the input gradient as a forward convolution of dy with the flipped filter (while the
  // padding is narrower than the filter); the others scatter through col2im.
  const cases: [number[], number[], number, 'same' | 'valid' | tf.backend_util.ExplicitPadding][] = [
    [[3, 9, 9, 1], [3, 3, 1, 4], 1, 'same'], // one input channel (a first layer)
    [[2, 8, 7, 5], [3, 3, 5, 6], 1, 'valid'],
    [[2, 8, 9, 3], [2, 3, 3, 4], 1, 'same'], // even filter height: padding 0 top, 1 bottom
    [
      [2, 7, 7, 2],
      [3, 3, 2, 3],
      1,
      [
        [0, 0],
        [0, 2],
        [1, 0],
        [0, 0],
      ],
    ],
    [
      [1, 5, 5, 2],
      [3, 3, 2, 2],
      1,
      [
        [0, 0],
        [3, 1],
        [3, 3],
        [0, 0],
      ],
    ], // padding as wide as the filter
    [[2, 9, 9, 3], [3, 3, 3, 4], 2, 'same'],
  ];
  for (const [xs, ws, stride, pad] of cases) {
    it(`x [${xs}] * w [${ws}], stride ${stride}, pad ${JSON.stringify(pad)}`, { skip }, async () => {
      const rng = new Rng(21);
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const xv = rng.normalArray(size(xs));
      const wv = rng.normalArray(size(ws));
      const f = () => {
        const x = tf.tensor4d(xv, xs as [number, number, number, number]);
        const w = tf.tensor4d(wv, ws as [number, number, number, number]);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.sin(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))),
        )([x, w]);
        return tf.concat([tf.reshape(g[0], [-1]), tf.reshape(g[1], [-1])]);
      };
      await agree(f, 1e-4);
    });
  }
});

describe('the native max-pool forward agrees with the cpu backend', () => {
  const skip = nativeKernels() ? false : 'native addon not built (native/build.mjs needs g++)';
  // Tiling pools run natively; the overlapping and padded ones go to the stock kernel.
  for (const [shape, k, s, pad] of [
    [[3, 8, 8, 5], 2, 2, 'valid'],
    [[2, 7, 5, 64], 2, 2, 'valid'], // floor pooling drops the last row and column
    [[1, 9, 9, 3], 3, 3, 'valid'],
    [[2, 6, 6, 3], 3, 1, 'same'],
  ] as [number[], number, number, 'valid' | 'same'][]) {
    it(`maxPool ${k}x${k} stride ${s} ${pad} of [${shape}], with ties`, { skip }, async () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const xv = new Rng(12).uniformArray(size).map((v) => Math.round(v * 4) / 4 - 0.5);
      const f = () => tf.maxPool(tf.tensor4d(xv, shape as [number, number, number, number]), k, s, pad);
      const a = await on('cpu', f);
      const b = await on('wasm', f);
      assert.deepEqual(b.shape, a.shape);
      assert.deepEqual(Array.from(b.values), Array.from(a.values));
    });
  }
});

describe('second and third order through the native max-pool routing agree with the cpu backend', () => {
  const skip = nativeKernels() ? false : 'native addon not built';
  it('the routing adjoint (select) and the gradient back through it', { skip }, async () => {
    const shape: [number, number, number, number] = [2, 7, 6, 3];
    const pooled: [number, number, number, number] = [2, 3, 3, 3];
    const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const xv = new Rng(9).uniformArray(n(shape)).map((v) => Math.round(v * 4) / 4);
    const rv = new Rng(10).normalArray(n(shape));
    const vv = new Rng(11).normalArray(n(pooled));
    const f = () => {
      const x = tf.tensor4d(xv, shape);
      const v0 = tf.tensor4d(vv, pooled);
      // inner(v, r) = <d <maxPool(x), v> / dx, r>; its gradient in v selects r at each window's maximum.
      const inner = (v: tf.Tensor, r: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), v)))(x),
            r,
          ),
        );
      const select = (r: tf.Tensor) => tf.grad((v: tf.Tensor) => inner(v, r))(v0);
      const second = select(tf.tensor4d(rv, shape));
      // Third order: |select(r)|^2 differentiated in r, back through the selection (the routing again).
      const third = tf.grad((r: tf.Tensor) => tf.sum(tf.square(select(r))))(tf.tensor4d(rv, shape));
      return tf.concat([tf.reshape(second, [-1]), tf.reshape(third, [-1])]);
    };
    const { a } = await agree(f, 1e-5);
    assert.ok(
      a.values.some((v) => Math.abs(v) > 0.1),
      'the gradient is not trivially zero',
    );
  });
});

describe('native Reverse agrees with the cpu backend', () => {
  const skip = nativeKernels() ? false : 'native addon not built (native/build.mjs needs g++)';
  for (const [shape, axes] of [
    [
      [3, 3, 4, 5],
      [0, 1],
    ], // a conv filter flipped in space
    [[2, 3, 4], [2]],
    [
      [2, 3, 4],
      [0, 2],
    ],
    [[5], [0]],
    [[2, 1, 3], [1]],
    [
      [4, 3, 2],
      [0, 1, 2],
    ],
  ] as [number[], number[]][]) {
    it(`reverse [${shape}] along [${axes}]`, { skip }, async () => {
      const v = new Rng(9).normalArray(shape.reduce((a, b) => a * b, 1));
      const f = () => tf.reverse(tf.tensor(v, shape), axes);
      const a = await on('cpu', f);
      const b = await on('wasm', f);
      assert.ok(nativeKernelsActive());
      assert.deepEqual(b.shape, a.shape);
      assert.deepEqual(b.values, a.values);
    });
  }
});

describe('wasm Slice, Unpack and SplitV (views of the heap, no whole-input copy) agree with the cpu backend', () => {
  const cases: [string, number[], (x: tf.Tensor) => tf.Tensor][] = [
    ['slice a contiguous block', [4, 3, 5], (x) => tf.slice(x, [1, 0, 0], [2, -1, -1])],
    ['slice inner axes', [4, 3, 5], (x) => tf.slice(x, [1, 1, 2], [3, 2, 2])],
    ['slice a 5-d block', [2, 3, 2, 3, 4], (x) => tf.slice(x, [1, 0, 1, 1, 0], [1, 3, 1, 2, 3])],
    ['slice a 1-d range', [17], (x) => tf.slice(x, 4, 9)],
    ['slice to an empty block', [4, 3], (x) => tf.slice(x, [1, 0], [0, 3])],
    ['unstack along axis 0, restacked', [5, 3, 4], (x) => tf.stack(tf.unstack(x, 0).reverse(), 0)],
    ['unstack along a middle axis, restacked', [5, 3, 4], (x) => tf.stack(tf.unstack(x, 1).reverse(), 1)],
    ['unstack along the last axis, restacked', [5, 3, 4], (x) => tf.stack(tf.unstack(x, -1).reverse(), 0)],
    ['split the last axis in 4 (LSTM gates)', [6, 12], (x) => tf.concat(tf.split(x, 4, 1).reverse(), 0)],
    ['split axis 0 by sizes', [7, 2, 3], (x) => tf.concat(tf.split(x, [2, 4, 1], 0).reverse(), 0)],
    ['split with an inferred size', [3, 10], (x) => tf.concat(tf.split(x, [3, -1, 2], 1).reverse(), 1)],
    ['int32 slice', [4, 6], (x) => tf.slice(tf.cast(tf.mul(x, 10), 'int32'), [1, 2], [2, 3])],
    ['bool unstack', [3, 4], (x) => tf.cast(tf.stack(tf.unstack(tf.greater(x, 0), 1), 0), 'float32')],
  ];
  for (const [name, shape, f] of cases) {
    it(name, async () => {
      const data = new Rng(5).normalArray(shape.reduce((a, b) => a * b, 1));
      const a = await on('cpu', () => f(tf.tensor(data, shape)));
      const b = await on('wasm', () => f(tf.tensor(data, shape)));
      assert.deepEqual(b.shape, a.shape);
      assert.deepEqual(b.values, a.values);
    });
  }

  it('slicing and splitting leave no tensors behind', async () => {
    await initEngine({ backend: 'wasm' });
    const x = tf.tensor(new Rng(6).normalArray(60), [5, 3, 4]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      tf.dispose(tf.unstack(x, 1));
      tf.dispose(tf.split(x, [1, 2], 1));
      tf.dispose(tf.slice(x, [1, 1, 1], [2, 2, 2]));
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });
});

describe('native Tanh', () => {
  const skip = nativeKernels() ? false : 'native addon not built';
  it('is within 2 ulp of Math.tanh from tiny to saturated values, and keeps NaN', { skip }, async () => {
    const xs: number[] = [
      0,
      -0,
      1e-30,
      -1e-8,
      0.124999,
      0.125,
      -0.125,
      0.5,
      -3,
      9.5,
      20,
      -25,
      1e30,
      Infinity,
      -Infinity,
    ];
    const rng = new Rng(7);
    for (let i = 0; i < 2000; i++) xs.push(rng.normal() * (i % 3 === 0 ? 0.1 : 4));
    const r = await on('wasm', () => tf.tanh(tf.tensor1d([...xs, NaN])));
    xs.forEach((x, i) => {
      const want = Math.fround(Math.tanh(x));
      const got = r.values[i];
      assert.ok(Math.abs(got - want) <= 2.4e-7 * Math.abs(want) + 1e-45, `tanh(${x}): ${got} vs ${want}`);
    });
    assert.ok(Number.isNaN(r.values[xs.length]));
    assert.ok(Object.is(r.values[1], -0) || r.values[1] === 0);
  });
});
