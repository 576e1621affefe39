// Hyperparameters as meta-parameters (issue 19): unrolled hypergradients against finite differences,
// the learner's meta-gradient through its learned init and hyperparameters, leaks, option errors.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { mlp } from '../src/nn/mlp.js';
import { TRAIN } from '../src/nn/module.js';
import { type Params, disposeParams } from '../src/nn/params.js';
import { metaGrads } from '../src/meta/common.js';
import {
  MOMENTUM_KEY,
  WEIGHT_DECAY_KEY,
  hyperMaml,
  hypergradient,
  lrKey,
  readHyperparams,
  unrolledSgd,
  disposeUnrolled,
} from '../src/meta/optimization/hyper.js';
import { mseLoss } from '../src/tasks/losses.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { gradCheck } from './helpers/gradcheck.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers/runs.js';

// tanh keeps the objective smooth, so finite differences see the same function the tape differentiates.
const net = mlp([1, 8, 1], { activation: 'tanh' });

function regressionEpisode(rng: Rng, k = 6): SupportQuery {
  const set = (n: number) => {
    const x = rng.uniformArray(n, -2, 2);
    return {
      x: tf.tensor2d(x, [n, 1]),
      y: tf.tensor2d(
        x.map((v) => Math.sin(1.5 * v)),
        [n, 1],
      ),
    };
  };
  return { support: set(k), query: set(k) };
}
const disposeEp = (ep: SupportQuery) => tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);

before(async () => {
  await initEngine({ backend: 'cpu' });
});

describe('unrolled hypergradients', () => {
  it('d L_val / d (per-step rates, weight decay, momentum) matches finite differences', () => {
    const rng = new Rng(3);
    const phi0 = net.init(rng);
    const keys = Object.keys(phi0);
    const ep = regressionEpisode(rng);
    const train = (p: Params) => mseLoss.fn(net.apply(p, ep.support.x, TRAIN), ep.support.y);
    const val = (p: Params) => mseLoss.fn(net.apply(p, ep.query.x, TRAIN), ep.query.y);
    const steps = 3;
    const names = [
      ...Array.from({ length: steps }, (_, s) => keys.map((k) => lrKey('per-layer-per-step', s, k))).flat(),
      WEIGHT_DECAY_KEY,
      MOMENTUM_KEY,
    ];
    const init = names.map((n) => tf.scalar(n === WEIGHT_DECAY_KEY ? 0.05 : n === MOMENTUM_KEY ? 0.5 : 0.1));
    const toHyper = (ts: tf.Tensor[]) => Object.fromEntries(names.map((n, i) => [n, ts[i]])) as Params;
    const settings = (h: Params) => ({
      steps,
      lr: (s: number, k: string) => h[lrKey('per-layer-per-step', s, k)],
      weightDecay: h[WEIGHT_DECAY_KEY],
      momentum: h[MOMENTUM_KEY],
    });
    const objective = (...ts: tf.Tensor[]): tf.Scalar => {
      const run = unrolledSgd(phi0, keys, train, settings(toHyper(ts)));
      return val(run.params);
    };
    const before = tf.memory().numTensors;
    const r = gradCheck(objective, init, { eps: 1e-2, seed: 5 });
    assert.ok(r.relErr < 2e-3, `hypergradient vs FD: ${r.analytic} vs ${r.numeric} (rel ${r.relErr})`);
    assert.ok(Math.abs(r.analytic) > 1e-4, `the check is vacuous: directional derivative ${r.analytic}`);

    // The public API gives the same gradient and frees what the inner loop made.
    const hg = hypergradient(toHyper(init), phi0, keys, train, val, settings);
    const viaTape = tf.tidy(() =>
      tf
        .grads(objective)(init)
        .map((g) => g.dataSync()[0]),
    );
    names.forEach((n, i) =>
      assert.ok(
        Math.abs(hg.grads[n].dataSync()[0] - viaTape[i]) < 1e-6 + 1e-4 * Math.abs(viaTape[i]),
        `${n}: ${hg.grads[n].dataSync()[0]} vs ${viaTape[i]}`,
      ),
    );
    assert.ok(Number.isFinite(hg.value) && hg.value > 0);
    disposeParams(hg.grads);
    assert.equal(tf.memory().numTensors, before, 'hypergradient left tensors behind');
    tf.dispose(init);
    disposeParams(phi0);
    disposeEp(ep);
  });

  it('weight decay and momentum change the weights as SGD with heavy-ball momentum does', () => {
    const phi0 = { w: tf.tensor1d([1, -2]) };
    // L = 0.5 * ||w||^2 has gradient w; with lr 0.1, wd 0.5, mu 0.9 by hand:
    // v0 = 1.5 w0, w1 = w0 - 0.15 w0 = 0.85 w0; v1 = 0.9 v0 + 1.5 w1 = 1.35 w0 + 1.275 w0 = 2.625 w0;
    // w2 = 0.85 w0 - 0.2625 w0 = 0.5875 w0.
    const run = unrolledSgd(phi0, ['w'], (p) => tf.mul(tf.sum(tf.square(p.w)), 0.5) as tf.Scalar, {
      steps: 2,
      lr: () => 0.1,
      weightDecay: 0.5,
      momentum: 0.9,
    });
    const w = Array.from(run.params.w.dataSync());
    assert.ok(Math.abs(w[0] - 0.5875) < 1e-6 && Math.abs(w[1] + 1.175) < 1e-6, `got ${w}`);
    assert.deepEqual(run.losses.length, 2);
    disposeUnrolled(run);
    disposeParams(phi0);
  });
});

describe('hyperMaml', () => {
  const mk = (o: Partial<Parameters<typeof hyperMaml>[0]> = {}) =>
    hyperMaml({
      model: net,
      loss: 'mse',
      innerSteps: 2,
      innerLr: 0.1,
      weightDecay: 0.01,
      momentum: 0.3,
      ...o,
    });

  it('its meta-gradient through init and hyperparameters matches finite differences; first order differs', () => {
    const learner = mk();
    const theta = learner.init(new Rng(11));
    const names = Object.keys(theta);
    assert.ok(names.includes('hyper.lr.s1.fc0.w') && names.includes(WEIGHT_DECAY_KEY));
    const rng = new Rng(12);
    const ep = regressionEpisode(rng);
    const f =
      (l: ReturnType<typeof mk>) =>
      (...ts: tf.Tensor[]) => {
        const th = Object.fromEntries(names.map((n, i) => [n, ts[i]])) as Params;
        const phi = l.adapt(th, ep.support);
        return mseLoss.fn(l.predict(th, phi, ep.query.x), ep.query.y);
      };
    const xs = names.map((n) => theta[n]);
    const second = gradCheck(f(learner), xs, { eps: 1e-2, seed: 2 });
    assert.ok(second.relErr < 2e-3, `second order vs FD: ${second.analytic} vs ${second.numeric}`);
    const first = gradCheck(f(mk({ firstOrder: true })), xs, { eps: 1e-2, seed: 2 });
    assert.ok(first.relErr > 5 * second.relErr, `first order was not distinguishable: rel ${first.relErr}`);
    disposeParams(theta);
    disposeEp(ep);
  });

  it('with learnInit false only hyperparameters move: the fixed start gets zero gradient', () => {
    const learner = mk({ learnInit: false, lrMode: 'per-layer' });
    const theta = learner.init(new Rng(4));
    assert.ok(Object.keys(theta).every((k) => k.startsWith('init.') || k.startsWith('hyper.')));
    const eps = [regressionEpisode(new Rng(5)), regressionEpisode(new Rng(6))];
    const before = tf.memory().numTensors;
    const { loss, grads } = metaGrads(learner, theta, eps);
    assert.ok(Number.isFinite(loss));
    assert.deepEqual(Object.keys(grads).sort(), Object.keys(theta).sort());
    assert.equal(
      tf.tidy(() => tf.sum(tf.abs(grads['init.fc0.w'])).dataSync()[0]),
      0,
    );
    assert.ok(tf.tidy(() => tf.abs(grads['hyper.lr.fc0.w']).dataSync()[0]) > 0);
    // Matches the hypergradient of the mean query loss computed directly.
    const direct = tf.tidy(() => {
      const g = tf.grads((wd: tf.Tensor) => {
        const th = { ...theta, [WEIGHT_DECAY_KEY]: wd };
        const ls = eps.map((ep) => {
          const phi = learner.adapt(th, ep.support);
          return mseLoss.fn(learner.predict(th, phi, ep.query.x), ep.query.y);
        });
        return tf.div(tf.addN(ls), ls.length) as tf.Scalar;
      })([theta[WEIGHT_DECAY_KEY]]);
      return g[0].dataSync()[0];
    });
    const got = grads[WEIGHT_DECAY_KEY].dataSync()[0];
    assert.ok(Math.abs(got - direct) < 1e-6 + 1e-4 * Math.abs(direct), `${got} vs ${direct}`);
    disposeParams(grads);
    assert.equal(tf.memory().numTensors, before, 'metaGrads left tensors behind');
    disposeParams(theta);
    eps.forEach(disposeEp);
  });

  it('reports its hyperparameters and rejects bad options with the option name', () => {
    const theta = mk({ lrMode: 'global' }).init(new Rng(1));
    const hp = readHyperparams(theta);
    assert.deepEqual(Object.keys(hp).sort(), ['lr', 'momentum', 'wd']);
    assert.ok(Math.abs(hp.lr - 0.1) < 1e-7 && Math.abs(hp.momentum - 0.3) < 1e-7);
    disposeParams(theta);
    const none = mk({ learn: { lr: false, weightDecay: false, momentum: false } }).init(new Rng(1));
    assert.ok(Object.keys(none).every((k) => k.startsWith('model.')));
    disposeParams(none);
    assert.throws(() => mk({ innerSteps: -1 }), /option 'innerSteps'/);
    assert.throws(() => mk({ innerLr: Number.NaN }), /option 'innerLr'/);
    assert.throws(() => mk({ lrMode: 'per-weight' as never }), /option 'lrMode'/);
  });

  it('trains from the CLI as learner hyper-maml and saves its hyperparameters in theta', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-hyper-'));
    try {
      const r = runCli([
        'train',
        '--dataset',
        'sinusoid',
        '--learner',
        'hyper-maml',
        '--shot',
        '5',
        '--query',
        '5',
        '--inner-lr',
        '0.01',
        '--inner-steps',
        '2',
        '--steps',
        '2',
        '--val-every',
        '0',
        '--test-episodes',
        '2',
        '--out',
        dir,
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /meta-test MSE/);
      const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      assert.equal(cfg.learner, 'hyper-maml');
      assert.equal(cfg.innerLr, 0.01);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
