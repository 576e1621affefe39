import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import {
  batchNorm,
  conv2d,
  conv4,
  countParams,
  dense,
  disposeParams,
  layerNorm,
  loadParams,
  lstm,
  mlp,
  multiHeadAttention,
  saveParams,
  TRAIN,
  EVAL,
  type Params,
  type State,
} from '../src/index.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `index ${i}: ${a[i]} vs ${b[i]}`);
};

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`nn modules on ${backend}`, () => {
    before(async () => {
      await initEngine({ backend });
    });

    it('conv4 has the literature shape and parameter count (111,936 at 64 filters)', () => {
      const m = conv4();
      const p = m.init(new Rng(0));
      assert.equal(countParams(p), 111936);
      assert.equal(m.outputDim(28, 28), 64);
      const x = new Rng(1).uniformTensor([3, 28, 28, 1]);
      const y = m.apply(p, x, TRAIN);
      assert.deepEqual(y.shape, [3, 64]);
      tf.dispose([x, y]);
      disposeParams(p);
    });

    it('dense and mlp match a hand computation', () => {
      const d = dense(3, 2);
      const p = d.init(new Rng(0));
      const x = tf.tensor2d([[1, 2, 3]]);
      const w = p.w.arraySync() as number[][];
      const b = p.b.arraySync() as number[];
      const expect = [0, 1].map((j) => b[j] + 1 * w[0][j] + 2 * w[1][j] + 3 * w[2][j]);
      close(d.apply(p, x).dataSync(), expect);
      const m = mlp([3, 4, 2]);
      const mp = m.init(new Rng(0));
      assert.deepEqual(Object.keys(mp).sort(), ['fc0.b', 'fc0.w', 'fc1.b', 'fc1.w']);
      assert.deepEqual(m.apply(mp, tf.zeros([5, 3])).shape, [5, 2]);
      assert.deepEqual(m.apply(mp, tf.zeros([2, 5, 3])).shape, [2, 5, 2]);
    });

    it('batch norm: batch statistics in training, running statistics (PyTorch momentum) in evaluation', () => {
      const bn = batchNorm(2, { trackRunningStats: true });
      const p = bn.init(new Rng(0));
      const state = bn.initState!();
      const x = tf.tensor2d([
        [1, 10],
        [3, 14],
        [5, 18],
      ]);
      const out: State = {};
      const y = bn.apply(p, x, { training: true, state, stateOut: out });
      const col = Array.from(y.dataSync()).filter((_, i) => i % 2 === 0);
      close(col, [-Math.sqrt(1.5), 0, Math.sqrt(1.5)], 1e-4);
      close(out.mean.dataSync(), [0.1 * 3, 0.1 * 14]);
      close(out.var.dataSync(), [0.9 + 0.1 * 4, 0.9 + 0.1 * 16]); // unbiased variances 4 and 16
      const ye = bn.apply(p, x, { training: false, state: out });
      close(
        ye.dataSync(),
        [1, 10, 3, 14, 5, 18].map((v, i) => (v - [0.3, 1.4][i % 2]) / Math.sqrt([1.3, 2.5][i % 2] + 1e-5)),
        1e-4,
      );
      assert.throws(() => bn.apply(p, x, EVAL), /running statistics/);
      tf.dispose([x, y, ye]);
      disposeParams(out);
    });

    it('layer norm normalises the last axis', () => {
      const ln = layerNorm(4);
      const y = ln.apply(ln.init(new Rng(0)), tf.tensor2d([[1, 2, 3, 4]]));
      const v = y.dataSync();
      close([Array.from(v).reduce((a, b) => a + b, 0)], [0], 1e-5);
    });

    it('lstm equals tfjs-layers LSTM with the same weights (a second implementation)', () => {
      const m = lstm(3, 4);
      const p = m.init(new Rng(3));
      const x = new Rng(4).normalTensor([2, 5, 3]);
      const ours = m.apply(p, x);
      const ref = tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' });
      (ref.apply(x) as tf.Tensor).dispose(); // builds the layer
      ref.setWeights([p.wx, p.wh, p.b]);
      const theirs = ref.apply(x) as tf.Tensor;
      assert.deepEqual(ours.shape, [2, 5, 4]);
      close(ours.dataSync(), theirs.dataSync(), 1e-5);
      ref.dispose();
    });

    it('attention: one head equals softmax(QK^T/sqrt d)V, and causal masking hides the future', () => {
      const att = multiHeadAttention(4, 1);
      const p = att.init(new Rng(5));
      const x = new Rng(6).normalTensor([1, 3, 4]);
      const y = att.apply(p, x);
      const proj = (k: string) => tf.add(tf.matMul(tf.reshape(x, [3, 4]), p[`${k}.w`]), p[`${k}.b`]);
      const a = tf.softmax(tf.div(tf.matMul(proj('q'), proj('k'), false, true), 2));
      const manual = tf.add(tf.matMul(tf.matMul(a, proj('v')), p['o.w']), p['o.b']);
      close(y.dataSync(), manual.dataSync(), 1e-4);

      const causal = multiHeadAttention(4, 2, { causal: true });
      const cp = causal.init(new Rng(7));
      const x2 = tf.concat([tf.slice(x, [0, 0, 0], [1, 2, 4]), tf.ones([1, 1, 4])], 1);
      const y1 = causal.apply(cp, x).arraySync() as number[][][];
      const y2 = causal.apply(cp, x2).arraySync() as number[][][];
      close(y1[0][0].concat(y1[0][1]), y2[0][0].concat(y2[0][1]), 1e-5);
      assert.ok(Math.abs(y1[0][2][0] - y2[0][2][0]) > 1e-4, 'the last position should see its own change');
    });

    it('cross-attention with separate keys: softmax(q(query) k(keys)^T / sqrt d) v(memory); shapes checked', () => {
      const att = multiHeadAttention(4, 1, { memoryDim: 3, keyDim: 2 });
      const p = att.init(new Rng(8));
      const r = new Rng(9);
      const query = r.normalTensor([1, 2, 4]);
      const keys = r.normalTensor([1, 5, 2]);
      const memory = r.normalTensor([1, 5, 3]);
      const y = att.apply(p, { query, keys, memory });
      assert.deepEqual(y.shape, [1, 2, 4]);
      const proj = (k: string, t: tf.Tensor, d: number) =>
        tf.add(tf.matMul(tf.reshape(t, [t.shape[1]!, d]), p[`${k}.w`]), p[`${k}.b`]);
      const a = tf.softmax(tf.div(tf.matMul(proj('q', query, 4), proj('k', keys, 2), false, true), 2));
      const manual = tf.add(tf.matMul(tf.matMul(a, proj('v', memory, 3)), p['o.w']), p['o.b']);
      close(y.dataSync(), manual.dataSync(), 1e-4);
      assert.throws(
        () => att.apply(p, { query, keys: r.normalTensor([1, 4, 2]), memory }),
        /expected keys \[1, 5, 2\] \(one per memory row\), got \[1, 4, 2\]/,
      );
    });

    it('clear errors at the edges', () => {
      assert.throws(
        () => conv2d(1, 8, 3, { stride: [2, 2] as unknown as number }),
        /'stride' must be a positive integer/,
      );
      assert.throws(() => conv2d(1, 8, 3, { padding: 'full' as 'same' }), /'padding'/);
      const c = conv4();
      const p = c.init(new Rng(0));
      assert.throws(
        () => c.apply(p, tf.zeros([2, 28, 28, 3]), TRAIN),
        /conv4: expected input of shape \[\*, \*, \*, 1\], got \[2, 28, 28, 3\]/,
      );
      assert.throws(() => c.apply(p, tf.zeros([2, 8, 8, 1]), TRAIN), /too small/);
      assert.throws(
        () => dense(3, 2).apply(dense(3, 2).init(new Rng(0)), tf.zeros([1, 4])),
        /expected last dimension 3/,
      );
      assert.throws(() => multiHeadAttention(6, 4), /divisible/);
      disposeParams(p);
    });

    it('params save to the tfjs weights format and load back; damage is reported with the file name', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-io-'));
      try {
        const m = conv4({ hidden: 8 });
        const p = m.init(new Rng(9));
        await saveParams(dir, p, { module: 'conv4', hidden: 8 });
        const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
        // tfjs's own decoder reads our files.
        const bin = readFileSync(path.join(dir, 'weights.bin'));
        const decoded = tf.io.decodeWeights(
          bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
          json.weightsManifest[0].weights,
        );
        const loaded = await loadParams(dir);
        assert.deepEqual(loaded.metadata, { module: 'conv4', hidden: 8 });
        for (const k of Object.keys(p)) {
          close(loaded.params[k].dataSync(), p[k].dataSync(), 0);
          close(decoded[k].dataSync(), p[k].dataSync(), 0);
        }
        writeFileSync(path.join(dir, 'weights.bin'), bin.subarray(0, 100));
        await assert.rejects(
          loadParams(dir),
          /model\.json: the weights file holds 100 bytes but the manifest describes/,
        );
        rmSync(path.join(dir, 'weights.bin'));
        await assert.rejects(loadParams(dir), /weights\.bin: cannot read the weights file/);
        disposeParams(p);
        disposeParams(loaded.params as Params);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
