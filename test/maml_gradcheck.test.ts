import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { moments, sparseSoftmaxCrossEntropy } from '../src/engine/ops.js';
import { conv4 } from '../src/nn/conv4.js';
import { dense } from '../src/nn/layers.js';
import { type Params, subParams, withPrefix } from '../src/nn/params.js';
import { TRAIN } from '../src/nn/module.js';
import { gradCheck } from './helpers/gradcheck.js';

/*
 * MAML's objective L_q(theta - a grad L_s(theta)) through ReLU and max-pool is only piecewise smooth,
 * and its inner gradient jumps wherever an activation pattern changes, so finite differences of the
 * real objective straddle thousands of jumps. The check is therefore done in two exact steps:
 *   1. a second implementation of the same network whose ReLU masks and pooling choices are frozen at
 *      the current point (plain multiplications; smooth, same value and derivatives there) is checked
 *      against finite differences;
 *   2. the library's second-order gradient (registered ReLU, max-pool, conv gradients) must equal that
 *      second implementation's gradient at the point.
 */
const HIDDEN = 6;
const WAYS = 5;
const backbone = conv4({ hidden: HIDDEN });
const head = dense(HIDDEN, WAYS);
const libraryModel = (p: Params, x: tf.Tensor) =>
  head.apply(subParams(p, 'head'), backbone.apply(subParams(p, 'backbone'), x, TRAIN), TRAIN);

type Masks = { relu: tf.Tensor[]; pool: tf.Tensor[] };
const constant = (t: tf.Tensor) => tf.tensor(t.dataSync(), t.shape);

/** Conv4 + head written independently of src/nn, with activation patterns recorded or replayed. */
function frozenModel(p: Params, x: tf.Tensor, masks: Masks, record: boolean): tf.Tensor {
  let h = x as tf.Tensor4D;
  for (let i = 0; i < 4; i++) {
    const w = p[`backbone.block${i}.conv.w`] as tf.Tensor4D;
    let z = tf.add(tf.conv2d(h, w, 1, 'same'), p[`backbone.block${i}.conv.b`]);
    const { mean, variance } = moments(z, [0, 1, 2]);
    z = tf.add(
      tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))), p[`backbone.block${i}.bn.gamma`]),
      p[`backbone.block${i}.bn.beta`],
    );
    if (record) masks.relu[i] = tf.keep(constant(tf.cast(tf.greater(z, 0), 'float32')));
    const a = tf.mul(z, masks.relu[i]) as tf.Tensor4D;
    const [n, hh, ww, c] = a.shape;
    const ho = Math.floor(hh / 2);
    const wo = Math.floor(ww / 2);
    const cut = tf.slice(a, [0, 0, 0, 0], [n, ho * 2, wo * 2, c]);
    const win = tf.reshape(tf.transpose(tf.reshape(cut, [n, ho, 2, wo, 2, c]), [0, 1, 3, 5, 2, 4]), [
      n,
      ho,
      wo,
      c,
      4,
    ]);
    if (record) {
      const idx = tf.argMax(win, -1).dataSync();
      const oh = new Float32Array(idx.length * 4);
      idx.forEach((k, j) => (oh[j * 4 + k] = 1));
      masks.pool[i] = tf.keep(tf.tensor(oh, win.shape));
    }
    h = tf.sum(tf.mul(win, masks.pool[i]), -1) as tf.Tensor4D;
  }
  const emb = tf.reshape(h, [h.shape[0], -1]);
  return tf.add(tf.matMul(emb, p['head.w']), p['head.b']);
}

type Task = { xs: tf.Tensor; xq: tf.Tensor; ys: number[]; yq: number[] };

function mamlObjective(
  names: string[],
  task: Task,
  model: (p: Params, x: tf.Tensor, support: boolean) => tf.Tensor,
  firstOrder = false,
  innerLr = 0.4,
) {
  const toParams = (ts: tf.Tensor[]) => {
    const p: Params = {};
    names.forEach((n, i) => (p[n] = ts[i]));
    return p;
  };
  return (...theta: tf.Tensor[]): tf.Scalar => {
    const g = tf.grads((...t: tf.Tensor[]) =>
      sparseSoftmaxCrossEntropy(model(toParams(t), task.xs, true), task.ys),
    )(theta);
    const adapted = theta.map((t, i) => tf.sub(t, tf.mul(firstOrder ? constant(g[i]) : g[i], innerLr)));
    return sparseSoftmaxCrossEntropy(model(toParams(adapted), task.xq, false), task.yq);
  };
}

function analyticGrads(f: (...t: tf.Tensor[]) => tf.Scalar, theta: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() =>
    tf
      .grads(f)(theta)
      .map((g) => g.dataSync() as Float32Array),
  );
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`second-order MAML through Conv4 on ${backend}`, () => {
    before(async () => {
      await initEngine({ backend });
    });

    it('matches finite differences (frozen patterns) and equals the library gradient', () => {
      const rng = new Rng(2024);
      const params: Params = {
        ...withPrefix('backbone', backbone.init(rng)),
        ...withPrefix('head', head.init(rng)),
      };
      const names = Object.keys(params);
      const theta = names.map((n) => params[n]);
      const task: Task = {
        xs: rng.uniformTensor([WAYS, 28, 28, 1]),
        xq: rng.uniformTensor([2 * WAYS, 28, 28, 1]),
        ys: [0, 1, 2, 3, 4],
        yq: [0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
      };
      const ms: Masks = { relu: [], pool: [] };
      const mq: Masks = { relu: [], pool: [] };
      let recording = true;
      const frozen = (p: Params, x: tf.Tensor, support: boolean) =>
        frozenModel(p, x, support ? ms : mq, recording);
      // Record the patterns at theta (support pass, then query pass at the adapted parameters).
      const fFrozen = mamlObjective(names, task, frozen);
      const fLib = mamlObjective(names, task, (p, x) => libraryModel(p, x));
      const vFrozen = tf.tidy(() => fFrozen(...theta).dataSync()[0]);
      recording = false;
      const vLib = tf.tidy(() => fLib(...theta).dataSync()[0]);
      assert.ok(
        Math.abs(vFrozen - vLib) < 1e-4 * Math.max(1, Math.abs(vLib)),
        `values differ: ${vFrozen} vs ${vLib}`,
      );

      const second = gradCheck(fFrozen, theta, { eps: 1e-3, seed: 1 });
      const first = gradCheck(mamlObjective(names, task, frozen, true), theta, { eps: 1e-3, seed: 1 });
      assert.ok(
        second.relErr < 1e-2,
        `second order vs FD: ${second.analytic} vs ${second.numeric} (rel ${second.relErr})`,
      );
      assert.ok(
        first.relErr > 5 * second.relErr,
        `first-order MAML was not distinguishable: rel ${first.relErr}`,
      );

      const gLib = analyticGrads(fLib, theta);
      const gFrozen = analyticGrads(fFrozen, theta);
      let num = 0;
      let den = 0;
      gLib.forEach((g, i) =>
        g.forEach((v, j) => ((num += (v - gFrozen[i][j]) ** 2), (den += gFrozen[i][j] ** 2))),
      );
      const rel = Math.sqrt(num / den);
      tf.dispose([...theta, task.xs, task.xq, ...ms.relu, ...ms.pool, ...mq.relu, ...mq.pool]);
      assert.ok(rel < 1e-4, `library gradient differs from the independent one: relative L2 ${rel}`);
    });
  });
}
