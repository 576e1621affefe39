import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { classPrototypes, prototypeEpisode, sineEpisode } from './helpers/toy.js';
import { oneHotF32 } from '../src/engine/onehot.js';
import { lstm } from '../src/nn/lstm.js';
import { adam } from '../src/nn/optim.js';
import { disposeParams } from '../src/nn/params.js';
import { metaGrads as defaultMetaGrads } from '../src/meta/common.js';
import { evaluate } from '../src/train/evaluate.js';
import type { MetaLearner } from '../src/meta/types.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { cnpClassifier, cnpRegressor, gaussianNll, mann, snail } from '../src/meta/blackbox/index.js';
import { lstmScan } from '../src/nn/lstm.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5, what = '') => {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what} index ${i}: ${a[i]} vs ${b[i]}`);
  }
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const disposeSupportQuery = (e: SupportQuery) => tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);

// The easy synthetic task: W classes, each a fixed random D-vector, examples are it plus noise. Which
// label a class gets is drawn anew for every episode, so only a learner that reads the support set can
// beat chance. Support and query are in label order, as the library's episodes are.
const W = 3;
const D = 16;
const prototypes = classPrototypes(123, W, D);

const classEpisode = (rng: Rng, shots = 2, queries = 2) =>
  prototypeEpisode(rng, prototypes, shots, queries, 0.5);

const smallSnailBlocks = [
  { kind: 'attention' as const, dim: 16 },
  { kind: 'tc' as const, filters: 16, dilations: [1, 2] },
  { kind: 'attention' as const, dim: 16, heads: 2 },
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLearner = MetaLearner<any>;
const flatLearners = (): [string, AnyLearner][] => [
  ['mann', mann({ ways: W, inputDim: D, hidden: 32 })],
  ['snail', snail({ ways: W, encoder: 'flat', inputDim: D, blocks: smallSnailBlocks })],
  [
    'cnpClassifier',
    cnpClassifier({ ways: W, encoder: 'flat', inputDim: D, pairEncoder: [32, 32], decoder: [32] }),
  ],
];

/**
 * Adam on `learner` for `steps` meta-batches of `batch` episodes. Returns the mean loss of the first
 * and last 10 steps, the validation score before and after, and the tensor count at step 5 and at the
 * last step (equal when nothing leaks).
 */
function train(
  learner: AnyLearner,
  sample: (rng: Rng) => SupportQuery,
  opts: { steps: number; batch: number; lr: number; seed: number },
) {
  const rng = new Rng(opts.seed);
  const valRng = new Rng(opts.seed + 1000);
  const val = Array.from({ length: 20 }, () => sample(valRng));
  let theta = learner.init(rng);
  const opt = adam({ lr: opts.lr });
  let state = opt.init(theta);
  const before = evaluate(learner, theta, val).summary.mean;
  const losses: number[] = [];
  const counts: Record<number, number> = {};
  for (let step = 1; step <= opts.steps; step++) {
    const eps = Array.from({ length: opts.batch }, () => sample(rng));
    const { loss, grads } = learner.metaGrads!(theta, eps);
    ({ params: theta, state } = opt.step(theta, grads, state));
    disposeParams(grads);
    eps.forEach(disposeSupportQuery);
    losses.push(loss);
    if (step === 5 || step === opts.steps) counts[step] = tf.memory().numTensors;
  }
  const after = evaluate(learner, theta, val).summary.mean;
  opt.dispose(state);
  disposeParams(theta);
  val.forEach(disposeSupportQuery);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    first: mean(losses.slice(0, 10)),
    last: mean(losses.slice(-10)),
    before,
    after,
    count5: counts[5],
    countLast: counts[opts.steps],
  };
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`black-box learners on ${backend}`, () => {
    before(async () => {
      await initEngine({ backend });
    });

    it('lstmScan from a zero state equals lstm().apply, and continuing from a state equals one long run', () =>
      tf.tidy(() => {
        const m = lstm(3, 4);
        const p = m.init(new Rng(3));
        const x = new Rng(4).normalTensor([2, 5, 3]);
        const full = m.apply(p, x);
        const scan = lstmScan(p, x);
        close(scan.outputs.dataSync(), full.dataSync(), 1e-6, 'outputs');
        const a = lstmScan(p, tf.slice(x, [0, 0, 0], [2, 2, 3]));
        const b = lstmScan(p, tf.slice(x, [0, 2, 0], [2, 3, 3]), a.h, a.c);
        close(b.outputs.dataSync(), tf.slice(full, [0, 2, 0], [2, 3, 4]).dataSync(), 1e-5, 'continued');
        close(b.h.dataSync(), scan.h.dataSync(), 1e-5, 'final h');
        close(b.c.dataSync(), scan.c.dataSync(), 1e-5, 'final c');
        tf.dispose([x, full, scan.outputs, scan.h, scan.c, a.outputs, a.h, a.c, b.outputs, b.h, b.c]);
        disposeParams(p);
      }));

    it('mann reads [x, one-hot label] for support items and [x, zeros] for queries', () => {
      const l = mann({ ways: W, inputDim: D, hidden: 8 });
      const theta = l.init(new Rng(0));
      const ep = classEpisode(new Rng(1));
      const { support, query } = l.items(theta, [ep]);
      assert.deepEqual(support.shape, [1, 6, D + W]);
      assert.deepEqual(query.shape, [1, 6, D + W]);
      const s = support.arraySync() as number[][][];
      const q = query.arraySync() as number[][][];
      const xs = ep.support.x.arraySync() as number[][];
      const xq = ep.query.x.arraySync() as number[][];
      const ys = Array.from(ep.support.y.dataSync());
      assert.deepEqual(ys, [0, 0, 1, 1, 2, 2]);
      for (let i = 0; i < 6; i++) {
        close(s[0][i].slice(0, D), xs[i], 0, `support ${i} features`);
        assert.deepEqual(
          s[0][i].slice(D),
          [0, 1, 2].map((c) => (c === ys[i] ? 1 : 0)),
          `support ${i} label slots`,
        );
        close(q[0][i].slice(0, D), xq[i], 0, `query ${i} features`);
        assert.deepEqual(q[0][i].slice(D), [0, 0, 0], `query ${i} label slots must be zero`);
      }
      tf.dispose([support, query]);
      disposeSupportQuery(ep);
      disposeParams(theta);
    });

    it('output shapes; adapt + predict equals episodeOutputs; parameters all get gradients; nothing leaks', () => {
      for (const [name, l] of flatLearners()) {
        const theta = l.init(new Rng(0));
        const ep = classEpisode(new Rng(2), 2, 3);
        const n0 = tf.memory().numTensors;
        const out = l.episodeOutputs!(theta, ep);
        assert.deepEqual(out.shape, [9, W], name);
        const phi = l.adapt(theta, ep.support);
        const pred = l.predict(theta, phi, ep.query.x);
        close(pred.dataSync(), out.dataSync(), 1e-5, `${name} predict vs episodeOutputs`);
        const x4 = tf.slice(ep.query.x, [4, 0], [1, D]);
        const one = l.predict(theta, phi, x4);
        assert.deepEqual(one.shape, [1, W]);
        close(one.dataSync(), out.dataSync().slice(4 * W, 5 * W), 1e-5, `${name} single query`);
        l.disposePhi(phi);
        const { loss, grads } = l.metaGrads!(theta, [ep]);
        assert.ok(
          Number.isFinite(loss) && Math.abs(loss - Math.log(W)) < 0.5,
          `${name}: initial loss ${loss}`,
        );
        assert.deepEqual(Object.keys(grads).sort(), Object.keys(theta).sort(), name);
        for (const k of Object.keys(theta)) {
          assert.deepEqual(grads[k].shape, theta[k].shape, `${name} grad ${k}`);
          const g = tf.tidy(() => tf.sum(tf.abs(grads[k])).dataSync()[0]);
          assert.ok(g > 0, `${name}: no gradient reaches ${k}`);
        }
        tf.dispose([out, pred, one, x4]);
        disposeParams(grads);
        assert.equal(tf.memory().numTensors, n0, `${name}: tensors leaked`);
        disposeParams(theta);
        disposeSupportQuery(ep);
      }
    });

    it('query outputs do not depend on query labels, nor on the other queries', () =>
      tf.tidy(() => {
        for (const [name, l] of flatLearners()) {
          const theta = l.init(new Rng(0));
          const ep = classEpisode(new Rng(3));
          const base = l.episodeOutputs!(theta, ep).dataSync();
          const relabelled = { ...ep, query: { x: ep.query.x, y: tf.tensor1d([2, 1, 0, 2, 1, 0], 'int32') } };
          close(l.episodeOutputs!(theta, relabelled).dataSync(), base, 0, `${name} with other query labels`);
          // Replace query 5 by noise: only row 5 of the outputs may change.
          const x = ep.query.x.arraySync() as number[][];
          x[5] = Array.from(new Rng(9).normalArray(D));
          const moved = { ...ep, query: { x: tf.tensor2d(x), y: ep.query.y } };
          const out = l.episodeOutputs!(theta, moved).dataSync();
          close(out.slice(0, 5 * W), base.slice(0, 5 * W), 1e-6, `${name}: other queries`);
          assert.ok(
            maxAbsDiff(out.slice(5 * W), base.slice(5 * W)) > 1e-6,
            `${name}: the changed query's output should change`,
          );
          tf.dispose([relabelled.query.y, moved.query.x]);
          disposeSupportQuery(ep);
          disposeParams(theta);
        }
      }));

    it('snail is causal: position t never sees positions after t', () =>
      tf.tidy(() => {
        const l = snail({ ways: W, encoder: 'flat', inputDim: D, blocks: smallSnailBlocks });
        const theta = l.init(new Rng(0));
        const rng = new Rng(4);
        const seq = rng.normalTensor([2, 7, l.itemDim]);
        const changed = tf.concat(
          [tf.slice(seq, [0, 0, 0], [2, 4, l.itemDim]), rng.normalTensor([2, 3, l.itemDim])],
          1,
        );
        const a = l.sequenceLogits(theta, seq).arraySync() as number[][][];
        const b = l.sequenceLogits(theta, changed).arraySync() as number[][][];
        for (let s = 0; s < 2; s++) {
          for (let t = 0; t < 4; t++) close(b[s][t], a[s][t], 1e-6, `sequence ${s} position ${t}`);
          for (let t = 4; t < 7; t++)
            assert.ok(maxAbsDiff(a[s][t], b[s][t]) > 1e-6, `position ${t} should see its own change`);
        }
        // And every earlier position matters to the last one (attention plus dilated convolutions).
        for (let t = 0; t < 6; t++) {
          const poked = tf.add(
            seq,
            tf.mul(tf.reshape(oneHotF32(tf.tensor1d([t], 'int32'), 7), [1, 7, 1]), 0.5),
          );
          const c = l.sequenceLogits(theta, poked).arraySync() as number[][][];
          assert.ok(maxAbsDiff(c[0][6], a[0][6]) > 1e-6, `the last position should see position ${t}`);
        }
        disposeParams(theta);
      }));

    it('batched metaGrads equals the one-episode-at-a-time mean, also for mixed episode shapes', () =>
      tf.tidy(() => {
        const rng = new Rng(5);
        const eps = [
          classEpisode(rng, 2, 2),
          classEpisode(rng, 2, 2),
          classEpisode(rng, 1, 3),
          classEpisode(rng, 2, 2),
        ];
        const sines = [sineEpisode(rng, 5, 4), sineEpisode(rng, 5, 4), sineEpisode(rng, 3, 6)];
        const cases: [string, AnyLearner, SupportQuery[]][] = [
          ...flatLearners().map(([n, l]) => [n, l, eps] as [string, AnyLearner, SupportQuery[]]),
          ['cnpRegressor', cnpRegressor({ pairEncoder: [16, 16], decoder: [16], trainLoss: 'mse' }), sines],
        ];
        for (const [name, l, batch] of cases) {
          const theta = l.init(new Rng(6));
          const fast = l.metaGrads!(theta, batch);
          const slow = defaultMetaGrads({ ...l, metaGrads: undefined }, theta, batch);
          assert.ok(Math.abs(fast.loss - slow.loss) < 1e-5, `${name}: loss ${fast.loss} vs ${slow.loss}`);
          for (const k of Object.keys(theta))
            close(fast.grads[k].dataSync(), slow.grads[k].dataSync(), 2e-4, `${name} ${k}`);
          disposeParams(fast.grads);
          disposeParams(slow.grads);
          disposeParams(theta);
        }
        [...eps, ...sines].forEach(disposeSupportQuery);
      }));

    it('conv4 encoders: image episodes, gradients reach the encoder', () =>
      tf.tidy(() => {
        const rng = new Rng(7);
        const img = (n: number) => ({
          x: rng.uniformTensor([W * n, 28, 28, 1]),
          y: tf.tensor1d(
            [0, 1, 2].flatMap((c) => Array(n).fill(c)),
            'int32',
          ),
        });
        const eps = [0, 1].map(() => ({ support: img(1), query: img(1) }));
        const learners: [string, AnyLearner][] = [
          ['mann', mann({ ways: W, encoder: 'conv4', conv4: { hidden: 8 }, hidden: 16 })],
          ['snail', snail({ ways: W, conv4: { hidden: 8 }, blocks: smallSnailBlocks })],
          [
            'cnpClassifier',
            cnpClassifier({ ways: W, conv4: { hidden: 8 }, pairEncoder: [16], decoder: [16] }),
          ],
        ];
        for (const [name, l] of learners) {
          const theta = l.init(new Rng(8));
          assert.ok('encoder.block0.conv.w' in theta, `${name}: conv4 params under encoder.`);
          const out = l.episodeOutputs!(theta, eps[0]);
          assert.deepEqual(out.shape, [W, W], name);
          const { loss, grads } = l.metaGrads!(theta, eps);
          assert.ok(Number.isFinite(loss), `${name}: loss ${loss}`);
          assert.ok(
            tf.sum(tf.abs(grads['encoder.block0.conv.w'])).dataSync()[0] > 0,
            `${name}: no gradient in the encoder`,
          );
          out.dispose();
          disposeParams(grads);
          disposeParams(theta);
        }
        eps.forEach(disposeSupportQuery);
      }));

    it('clear errors at the edges', () =>
      tf.tidy(() => {
        const l = mann({ ways: W, inputDim: D, hidden: 8 });
        const theta = l.init(new Rng(0));
        const bad = { x: tf.zeros([2, D]), y: tf.tensor1d([0, 3], 'int32') };
        assert.throws(() => l.adapt(theta, bad), /label 3 at index 1 is not a class index in 0\.\.2/);
        assert.throws(
          () => l.adapt(theta, { x: tf.zeros([2, 5]), y: tf.tensor1d([0, 1], 'int32') }),
          /expects 16 values per input/,
        );
        assert.throws(() => mann({ ways: 1 }), /'ways' must be at least 2/);
        assert.throws(() => snail({ ways: 3, blocks: [{ kind: 'conv' } as never] }), /blocks\[0\]/);
        assert.throws(() => cnpClassifier({ ways: 3, aggregate: 'max' as never }), /'aggregate'/);
        assert.throws(() => cnpRegressor({ minStd: 0 }), /'minStd'/);
        assert.throws(() => mann({ ways: 3, encoder: {} as never }), /'encoder'/);
        disposeParams(theta);
        tf.dispose([bad.x, bad.y]);
      }));

    it('gaussianNll is the Gaussian negative log-likelihood', () =>
      tf.tidy(() => {
        const v = gaussianNll(tf.tensor1d([0, 1]), tf.tensor1d([1, 2]), tf.tensor1d([1, 1])).dataSync()[0];
        const ref = (0.5 * Math.log(2 * Math.PI) + 0.5 + (0.5 * Math.log(2 * Math.PI) + Math.log(2))) / 2;
        assert.ok(Math.abs(v - ref) < 1e-5, `${v} vs ${ref}`);
      }));

    // Training runs (seeded): permuted-label 3-way 2-shot task, meta-batch 8, Adam. Chance is 1/3 and
    // the initial loss ln 3 = 1.10.
    const runs: [string, () => AnyLearner, number, number][] = [
      ['mann', () => mann({ ways: W, inputDim: D, hidden: 32 }), 120, 3e-3],
      ['snail', () => snail({ ways: W, encoder: 'flat', inputDim: D, blocks: smallSnailBlocks }), 60, 3e-3],
      [
        'cnpClassifier',
        () => cnpClassifier({ ways: W, encoder: 'flat', inputDim: D, pairEncoder: [32, 32], decoder: [32] }),
        80,
        3e-3,
      ],
    ];
    // The training runs are the slow part and give the same numbers on both backends: wasm only.
    for (const [name, make, steps, lr] of backend === 'wasm' ? runs : []) {
      it(`${name} learns the permuted-label task in ${steps} steps, with flat tensor memory`, (t) => {
        const r = train(make(), (rng) => classEpisode(rng), { steps, batch: 8, lr, seed: 11 });
        t.diagnostic(
          `loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, accuracy ${r.before.toFixed(2)} -> ${r.after.toFixed(2)}, numTensors ${r.count5} / ${r.countLast}`,
        );
        assert.ok(r.last < 0.7 * r.first, `${name}: loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}`);
        assert.ok(
          r.after > 0.7 && r.after > r.before + 0.2,
          `${name}: accuracy ${r.before.toFixed(2)} -> ${r.after.toFixed(2)}`,
        );
        assert.equal(r.countLast, r.count5, `${name}: numTensors grew from ${r.count5} to ${r.countLast}`);
      });
    }

    const onWasm = backend === 'wasm' ? it : () => {};
    onWasm(
      'cnpRegressor (Gaussian NLL) cuts the MSE on a tiny sinusoid family in 150 steps, with flat tensor memory',
      (t: import('node:test').TestContext) => {
        const l = cnpRegressor({ pairEncoder: [32, 32], decoder: [32, 32] });
        assert.equal(l.loss, 'mse');
        const r = train(l, (rng) => sineEpisode(rng), { steps: 150, batch: 8, lr: 5e-3, seed: 12 });
        t.diagnostic(
          `NLL ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, MSE ${r.before.toFixed(3)} -> ${r.after.toFixed(3)}, numTensors ${r.count5} / ${r.countLast}`,
        );
        assert.ok(
          r.after < 0.3 * r.before && r.after < 0.2,
          `MSE ${r.before.toFixed(3)} -> ${r.after.toFixed(3)}`,
        );
        assert.ok(r.last < r.first - 0.3, `NLL ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}`);
        assert.equal(r.countLast, r.count5, `numTensors grew from ${r.count5} to ${r.countLast}`);
      },
    );

    it('cnpRegressor predictDistribution gives a positive std bounded below by minStd', () => {
      const l = cnpRegressor({ pairEncoder: [8], decoder: [8], minStd: 0.2 });
      const theta = l.init(new Rng(0));
      const ep = sineEpisode(new Rng(1));
      const phi = l.adapt(theta, ep.support);
      const { mean, std } = l.predictDistribution(theta, phi, ep.query.x);
      assert.deepEqual(mean.shape, [10, 1]);
      assert.deepEqual(std.shape, [10, 1]);
      assert.ok(
        Array.from(std.dataSync()).every((s) => s > 0.2),
        'std must exceed minStd',
      );
      const pred = l.predict(theta, phi, ep.query.x);
      close(pred.dataSync(), mean.dataSync(), 0, 'predict is the mean');
      tf.dispose([mean, std, pred]);
      l.disposePhi(phi);
      disposeParams(theta);
      disposeSupportQuery(ep);
    });
  });
}
