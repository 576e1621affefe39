// MMoE, CGC and PLE (src/multitask/conditioning/experts.ts): output shapes, gates that sum to one,
// gradient reaching every expert and gate a task's path uses, ownership of keys, no tensor leaks, and
// training with a gradient-manipulation weighting.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { disposeParams } from '../src/nn/params.js';
import {
  makeArchitecture,
  trainMultiTask,
  type MultiTaskInput,
  type MultiTaskSet,
} from '../src/multitask/index.js';
import { expertGate } from '../src/multitask/conditioning/experts.js';
import { dselectWeights, smoothStep } from '../src/multitask/conditioning/dselect.js';
import { partialGrads } from '../src/multitask/weighting/grads.js';

const SPEC = { inputDim: 5, descriptorDim: 3, outDims: [2, 3, 1], hidden: [6, 4] };

function batch(rng: Rng): MultiTaskInput {
  const sizes = [3, 2, 4];
  const n = sizes.reduce((a, b) => a + b, 0);
  let start = 0;
  const segments = sizes.map((size, task) => {
    const s = { task, start, size };
    start += size;
    return s;
  });
  return {
    x: tf.tensor2d(rng.normalArray(n * 5), [n, 5]),
    z: tf.zeros([n, 3]),
    segments,
  };
}

describe('expert-gating architectures', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  for (const name of ['mmoe', 'cgc', 'ple', 'dselect-k'] as const) {
    it(`${name}: shapes, gates sum to 1, gradient reaches every expert and gate, owners, no leaks`, () => {
      const net = makeArchitecture(name, SPEC);
      const rng = new Rng(3);
      const p = net.init(rng);
      const input = batch(rng);
      const before = tf.memory().numTensors;
      const outs = net.apply(p, input);
      assert.deepEqual(
        outs.map((o) => o.shape),
        [
          [3, 2],
          [2, 3],
          [4, 1],
        ],
      );
      tf.dispose(outs);
      assert.equal(tf.memory().numTensors, before, `${name} apply leaks`);
      const gates = Object.keys(p).filter((k) => /^l0\.gate(\d+|Shared)\.w$/.test(k));
      assert.ok(gates.length >= 3 || name === 'dselect-k');
      for (const g of gates) {
        const sums = tf.tidy(() => tf.sum(expertGate(p, g.slice(0, -2), input.x), 1).dataSync());
        for (const v of sums) assert.ok(Math.abs(v - 1) < 1e-6, `${name} ${g}: gate row sums to ${v}`);
      }
      // Every parameter is reached by the summed loss, and nothing else.
      const keys = Object.keys(p);
      const all = partialGrads(
        p,
        (q) => tf.addN(net.apply(q, input).map((o) => tf.sum(tf.square(o)))) as tf.Scalar,
      );
      for (const k of keys) {
        assert.ok(k in all.grads, `${name}: no gradient reaches ${k}`);
        const n = tf.tidy(() => tf.sum(tf.abs(all.grads[k])).dataSync()[0]);
        assert.ok(n > 0, `${name}: zero gradient on ${k}`);
      }
      tf.dispose(Object.values(all.grads));
      // Task 1's loss alone reaches no parameter owned by another task, and all of task 1's own.
      const only1 = partialGrads(p, (q) => tf.sum(net.apply(q, input)[1]) as tf.Scalar);
      for (const k of keys) {
        const owner = net.owner(k);
        if (owner !== 'shared')
          assert.equal(k in only1.grads, owner === 1, `${name}: task 1 and ${k} (owner ${owner})`);
      }
      tf.dispose(Object.values(only1.grads));
      assert.equal(net.owner('head2.w'), 2);
      if (name !== 'dselect-k') assert.equal(net.owner('l0.gate1.w'), 1);
      else assert.equal(net.owner('gate1.z.w'), 1);
      if (name === 'cgc') assert.equal(net.owner('l0.task0.e0.fc0.w'), 0);
      if (name === 'ple') {
        // Level 0's task experts feed the shared gate, so every task reaches them.
        assert.equal(net.owner('l0.task0.e0.fc0.w'), 'shared');
        assert.equal(net.owner('l1.task0.e0.fc0.w'), 0);
        assert.equal(net.owner('l0.gate0.w'), 0);
      }
      assert.equal(net.owner(name === 'dselect-k' ? 'expert0.fc0.w' : 'l0.shared0.fc0.w'), 'shared');
      for (const k of net.lastShared) assert.ok(k in p, `lastShared ${k}`);
      tf.dispose([input.x, input.z]);
      disposeParams(p);
    });
  }

  it('DSelect-k gates sum to 1, and select at most k experts once the smooth steps saturate', () => {
    const rng = new Rng(4);
    tf.tidy(() => {
      const z = tf.tensor3d(rng.normalArray(5 * 2 * 3), [5, 2, 3]);
      const alpha = tf.tensor2d(rng.normalArray(5 * 2), [5, 2]);
      const w = dselectWeights(z, alpha, 8, 1).arraySync() as number[][];
      for (const row of w) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `sum ${row}`);
      const hard = dselectWeights(tf.mul(tf.sign(z), 2), alpha, 8, 1).arraySync() as number[][];
      for (const row of hard) {
        assert.ok(row.filter((v) => v > 0).length <= 2, `more than k = 2 experts: ${row}`);
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
      }
      const st = smoothStep(tf.tensor1d([-1, -0.5, 0, 0.25, 0.5, 3]), 1).arraySync() as number[];
      [0, 0, 0.5, 0.5 - 2 / 64 + 3 / 8, 1, 1].forEach((v, i) =>
        assert.ok(Math.abs(st[i] - v) < 1e-6, `S ${i}`),
      );
    });
    assert.throws(() => makeArchitecture('dselect-k', SPEC, { experts: 6 }), /power of two/);
  });

  it('bad options are clear errors', () => {
    assert.throws(() => makeArchitecture('mmoe', SPEC, { sharedExperts: 0 }), /at least one expert/);
    assert.throws(
      () => makeArchitecture('ple', SPEC, { levels: 0 }),
      /option 'levels' must be an integer ≥ 1/,
    );
    assert.throws(() => makeArchitecture('cgc', SPEC, { levels: 2 } as never), /unknown option 'levels'/);
  });

  it('ple trains with MGDA: the loss falls, no tensors left', () => {
    const rng = new Rng(0);
    const rows = (t: number, m: number) => {
      const x = rng.normalArray(m * 5);
      const y = new Float32Array(m);
      for (let i = 0; i < m; i++) y[i] = x[i * 5 + t] > 0 ? 1 : 0;
      return { n: m, x, y };
    };
    const set: MultiTaskSet = {
      name: 'toy',
      inputDim: 5,
      tasks: [0, 1].map((t) => ({
        id: `t${t}`,
        kind: 'classification' as const,
        outDim: 2,
        descriptor: Float32Array.of(t === 0 ? 1 : 0, t),
        train: rows(t, 32),
        test: rows(t, 8),
      })),
    };
    for (const weighting of ['mgda'] as const) {
      const before = tf.memory().numTensors;
      const net = makeArchitecture('ple', { inputDim: 5, descriptorDim: 2, outDims: [2, 2], hidden: [8] });
      const r = trainMultiTask(net, set, { steps: 20, batchSize: 16, lr: 1e-2, seed: 2, weighting });
      const m = (h: typeof r.history) =>
        h.flatMap((x) => x.losses).reduce((a, b) => a + b, 0) / (2 * h.length);
      assert.ok(m(r.history.slice(-5)) < m(r.history.slice(0, 5)), `ple + ${weighting}: loss did not fall`);
      disposeParams(r.params);
      disposeParams(r.weightingParams);
      assert.equal(tf.memory().numTensors, before);
    }
  });
});
