// Amortised Bayesian meta-learning (Ravi and Beatson 2019): the meta-gradient through the inner ELBO
// steps against finite differences, learning, the predictive distribution.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { classPrototypes, prototypeEpisode } from './helpers/toy.js';
import { mlp } from '../src/nn/mlp.js';
import { adam } from '../src/nn/optim.js';
import { disposeParams, mapParams, type Params } from '../src/nn/params.js';
import { evaluate } from '../src/train/evaluate.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { abml, weightKl } from '../src/meta/optimization/abml.js';

const disposeEp = (e: SupportQuery) => tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);
const W = 3;
const D = 6;
// Fixed class prototypes plus noise, labels permuted per episode (prototypeEpisode): only a learner
// that adapts to the support beats chance.
const prototypes = classPrototypes(99, W, D);
const episode = (rng: Rng, shots = 2, queries = 3) => prototypeEpisode(rng, prototypes, shots, queries, 0.4);

describe('ABML', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('weightKl is the closed form and 0 between equal Gaussians', () =>
    tf.tidy(() => {
      // KL(N(1, e^{2 * -0.5}) || N(0, 1)) = 0 + 0.5 + (e^{-1} + 1) / 2 - 0.5 = 0.683940.
      const kl = weightKl(
        { a: tf.tensor1d([1]) },
        { a: tf.tensor1d([-0.5]) },
        { a: tf.tensor1d([0]) },
        { a: tf.tensor1d([0]) },
      );
      assert.ok(Math.abs(kl.dataSync()[0] - 0.68394) < 1e-5, `KL ${kl.dataSync()[0]}`);
      const same = weightKl(
        { a: tf.tensor1d([2, 3]) },
        { a: tf.tensor1d([-1, 1]) },
        { a: tf.tensor1d([2, 3]) },
        { a: tf.tensor1d([-1, 1]) },
      );
      assert.ok(Math.abs(same.dataSync()[0]) < 1e-6);
    }));

  it('the second-order meta-gradient through two ELBO steps matches finite differences', () => {
    const l = abml({
      model: mlp([D, 5, W], { activation: 'tanh' }),
      innerSteps: 2,
      innerLr: 0.3,
      initLogStd: -2,
    });
    const theta = l.init(new Rng(1));
    const eps = [episode(new Rng(2)), episode(new Rng(3))];
    const { grads } = l.metaGrads!(theta, eps);
    const rng = new Rng(4);
    const v = mapParams(theta, (t) => rng.normalTensor(t.shape));
    let analytic = 0;
    for (const k of Object.keys(theta))
      analytic += tf.tidy(() => tf.sum(tf.mul(grads[k], v[k])).dataSync()[0]);
    const lossAt = (h: number) => {
      const p = mapParams(theta, (t, k) => tf.add(t, tf.mul(v[k], h)));
      const r = l.metaGrads!(p, eps);
      disposeParams(r.grads);
      disposeParams(p);
      return r.loss;
    };
    const c = (h: number) => (lossAt(h) - lossAt(-h)) / (2 * h);
    const numeric = (4 * c(5e-3) - c(1e-2)) / 3;
    const rel = Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(analytic), Math.abs(numeric));
    assert.ok(rel < 2e-2, `analytic ${analytic} vs numeric ${numeric} (rel ${rel})`);
    disposeParams(grads);
    disposeParams(v);
    disposeParams(theta);
    eps.forEach(disposeEp);
  });

  it('learns, gives probabilities that sum to 1, and leaks nothing in training', (t) => {
    const l = abml({ model: mlp([D, 16, W]), innerSteps: 1, innerLr: 0.5, samples: 3 });
    const rng = new Rng(5);
    let theta: Params = l.init(rng);
    const valRng = new Rng(6);
    const val = Array.from({ length: 10 }, () => episode(valRng));
    const before = evaluate(l, theta, val);
    const opt = adam({ lr: 1e-2 });
    let state = opt.init(theta);
    let count3 = 0;
    const losses: number[] = [];
    for (let s = 1; s <= 25; s++) {
      const eps = Array.from({ length: 4 }, () => episode(rng));
      const { loss, grads } = l.metaGrads!(theta, eps);
      losses.push(loss);
      ({ params: theta, state } = opt.step(theta, grads, state));
      disposeParams(grads);
      eps.forEach(disposeEp);
      if (s === 3) count3 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, count3, 'numTensors grew during training');
    const after = evaluate(l, theta, val);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [first, last] = [mean(losses.slice(0, 5)), mean(losses.slice(-5))];
    t.diagnostic(
      `meta-loss ${first.toFixed(3)} -> ${last.toFixed(3)}, accuracy ${before.summary.mean.toFixed(3)} -> ${after.summary.mean.toFixed(3)}, ECE ${after.uncertainty?.ece?.mean.toFixed(3)}, NLL ${after.uncertainty?.nll.mean.toFixed(3)}`,
    );
    assert.ok(last < first - 0.05, `meta-loss ${first} -> ${last}`);
    assert.ok(after.summary.mean > 0.75, `accuracy ${before.summary.mean} -> ${after.summary.mean}`);
    const phi = l.adapt(theta, val[0].support);
    const d = l.predictDistribution(theta, phi, val[0].query.x);
    for (const row of d.probs.arraySync() as number[][])
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    d.probs.dispose();
    l.disposePhi(phi);
    opt.dispose(state);
    disposeParams(theta);
    val.forEach(disposeEp);
  });
});
