import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { sparseSoftmaxCrossEntropy } from '../src/engine/ops.js';
import {
  adam,
  conv4,
  dense,
  subParams,
  valueAndGrads,
  withPrefix,
  TRAIN,
  type Params,
} from '../src/index.js';

// Conv4 at reduced width (8 filters) keeps 1,000 steps quick; the graph (4 blocks of conv, batch norm,
// ReLU, max-pool, then a head, Adam) is the full one.
const backbone = conv4({ hidden: 8 });
const head = dense(8, 5);
const forward = (p: Params, x: tf.Tensor) =>
  head.apply(subParams(p, 'head'), backbone.apply(subParams(p, 'backbone'), x, TRAIN), TRAIN);

describe('tensor memory stays flat', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('1,000 Conv4 training steps with Adam', () => {
    const rng = new Rng(1);
    let params: Params = {
      ...withPrefix('backbone', backbone.init(rng)),
      ...withPrefix('head', head.init(rng)),
    };
    const opt = adam({ lr: 1e-3 });
    let state = opt.init(params);
    const x = rng.uniformTensor([10, 28, 28, 1]);
    const y = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4];
    const counts: number[] = [];
    let firstLoss = 0;
    let lastLoss = 0;
    for (let step = 0; step < 1000; step++) {
      const { value, grads } = valueAndGrads(params, (p) => sparseSoftmaxCrossEntropy(forward(p, x), y));
      if (step === 0) firstLoss = value.dataSync()[0];
      if (step === 999) lastLoss = value.dataSync()[0];
      value.dispose();
      ({ params, state } = opt.step(params, grads, state));
      tf.dispose(Object.values(grads));
      if (step === 10 || step === 999) counts.push(tf.memory().numTensors);
    }
    assert.equal(counts[1], counts[0], `numTensors grew from ${counts[0]} to ${counts[1]}`);
    assert.ok(lastLoss < firstLoss, `the loop did not train: ${firstLoss} -> ${lastLoss}`);
    opt.dispose(state);
    tf.dispose([x, ...Object.values(params)]);
  });

  it('200 second-order MAML meta-iterations', () => {
    const rng = new Rng(2);
    let params: Params = {
      ...withPrefix('backbone', backbone.init(rng)),
      ...withPrefix('head', head.init(rng)),
    };
    const opt = adam({ lr: 1e-3 });
    let state = opt.init(params);
    const xs = rng.uniformTensor([5, 28, 28, 1]);
    const xq = rng.uniformTensor([10, 28, 28, 1]);
    const ys = [0, 1, 2, 3, 4];
    const yq = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4];
    const counts: number[] = [];
    for (let it = 0; it < 200; it++) {
      const { value, grads } = valueAndGrads(params, (p) => {
        const inner = valueAndGrads(p, (q) => sparseSoftmaxCrossEntropy(forward(q, xs), ys));
        const adapted: Params = {};
        for (const k of Object.keys(p)) adapted[k] = tf.sub(p[k], tf.mul(inner.grads[k], 0.4));
        return sparseSoftmaxCrossEntropy(forward(adapted, xq), yq);
      });
      value.dispose();
      ({ params, state } = opt.step(params, grads, state));
      tf.dispose(Object.values(grads));
      if (it === 5 || it === 199) counts.push(tf.memory().numTensors);
    }
    assert.equal(counts[1], counts[0], `numTensors grew from ${counts[0]} to ${counts[1]}`);
    opt.dispose(state);
    tf.dispose([xs, xq, ...Object.values(params)]);
  });
});
