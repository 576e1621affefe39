// The memory-augmented network with LRUA heads (Santoro et al. 2016): the label offset, gradients
// against finite differences, a learning test and the per-presentation accuracy.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { adam } from '../src/nn/optim.js';
import { disposeParams } from '../src/nn/params.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { mannMemory, presentationAccuracy } from '../src/meta/blackbox/mann_memory.js';
import { gradCheck } from './helpers/gradcheck.js';

const disposeEp = (e: SupportQuery) => tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);

const W = 3;
const D = 8;
const protoRng = new Rng(321);
const prototypes = Array.from({ length: W }, () => protoRng.normalArray(D));
function classEpisode(rng: Rng, shots: number, queries: number): SupportQuery {
  const perm = rng.shuffle(Array.from({ length: W }, (_, i) => i));
  const make = (n: number) => {
    const x = new Float32Array(W * n * D);
    const y = new Int32Array(W * n);
    for (let c = 0; c < W; c++) {
      for (let i = 0; i < n; i++) {
        const row = c * n + i;
        y[row] = c;
        for (let j = 0; j < D; j++) x[row * D + j] = prototypes[perm[c]][j] + 0.3 * rng.normal();
      }
    }
    return { x: tf.tensor2d(x, [W * n, D]), y: tf.tensor1d(y, 'int32') };
  };
  return { support: make(shots), query: make(queries) };
}

describe('MANN with LRUA memory', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('presentationAccuracy scores the k-th appearance of each class', () => {
    // One sequence of labels 0 1 0 0 1 (2 ways); predictions (argmax) 1 1 0 1 1.
    const logits = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1];
    const r = presentationAccuracy(logits, [0, 1, 0, 0, 1], 1, 5, 2, 3);
    // 1st: steps 0 (wrong) and 1 (right); 2nd: steps 2 (right) and 4 (right); 3rd: step 3 (wrong).
    assert.deepEqual(r.total, [2, 2, 1]);
    assert.deepEqual(r.correct, [1, 2, 0]);
  });

  it('the label is presented one step late: step t does not see label t, step t + 1 does', () =>
    tf.tidy(() => {
      const l = mannMemory({ ways: 2, inputDim: 3, controller: 6, slots: 5, slotSize: 3, heads: 2 });
      const theta = l.init(new Rng(1));
      const x = new Rng(2).normalTensor([1, 4, 3]);
      const a = l
        .sequenceLogits(theta, x, tf.tensor2d([[0, 1, 0, 1]], [1, 4], 'int32'))
        .arraySync() as number[][][];
      const b = l
        .sequenceLogits(theta, x, tf.tensor2d([[0, 1, 1, 1]], [1, 4], 'int32'))
        .arraySync() as number[][][];
      // Label 2 changed: steps 0..2 identical, step 3 differs.
      for (let t = 0; t < 3; t++) assert.deepEqual(a[0][t], b[0][t], `step ${t}`);
      assert.notDeepEqual(a[0][3], b[0][3]);
    }));

  it('gradients through the controller, heads and memory match finite differences', () => {
    const l = mannMemory({ ways: 2, inputDim: 3, controller: 5, slots: 4, slotSize: 3, heads: 2 });
    const theta = l.init(new Rng(4));
    const names = Object.keys(theta);
    const x = new Rng(5).normalTensor([2, 5, 3]);
    const y = tf.tensor2d(
      [
        [0, 1, 1, 0, 1],
        [1, 0, 0, 1, 1],
      ],
      [2, 5],
      'int32',
    );
    const u = new Rng(6).normalTensor([2, 5, 2]);
    const f = (...ts: tf.Tensor[]) => {
      const p: Record<string, tf.Tensor> = {};
      names.forEach((n, i) => (p[n] = ts[i]));
      return tf.sum(tf.mul(l.sequenceLogits(p, x, y), u)) as tf.Scalar;
    };
    const r = gradCheck(
      f,
      names.map((n) => theta[n]),
      { eps: 1e-2 },
    );
    assert.ok(r.relErr < 2e-2, `analytic ${r.analytic} vs numeric ${r.numeric} (rel ${r.relErr})`);
    tf.dispose([x, y, u]);
    disposeParams(theta);
  });

  it('training lowers the sequence loss on a fixed meta-batch, without leaking tensors', (t) => {
    // A tiny learning test: a few Adam steps on the same episodes must fit them (the full task needs
    // the paper's 10^5 episodes, far beyond a unit test).
    const l = mannMemory({ ways: W, inputDim: D, controller: 24, slots: 12, slotSize: 6, heads: 1 });
    const rng = new Rng(7);
    let theta = l.init(rng);
    const opt = adam({ lr: 1e-2 });
    let state = opt.init(theta);
    const eps = Array.from({ length: 4 }, () => classEpisode(rng, 1, 2));
    const losses: number[] = [];
    let count3 = 0;
    for (let s = 1; s <= 20; s++) {
      const { loss, grads } = l.metaGrads!(theta, eps);
      ({ params: theta, state } = opt.step(theta, grads, state));
      disposeParams(grads);
      losses.push(loss);
      if (s === 3) count3 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, count3, 'numTensors grew during training');
    t.diagnostic(`loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`);
    assert.ok(
      losses[losses.length - 1] < 0.6 * losses[0],
      `loss ${losses[0]} -> ${losses[losses.length - 1]}`,
    );
    opt.dispose(state);
    disposeParams(theta);
    eps.forEach(disposeEp);
  });
});
