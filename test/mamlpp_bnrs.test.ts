// MAML++'s per-step batch-norm running statistics (BNRS, Antoniou et al. 2019): kept per inner step in
// theta, moved in training by each pass's batch statistics (not by the optimiser), used at evaluation.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { conv4, dense, sequential, disposeParams, type Params } from '../src/index.js';
import { mamlPlusPlus, type MamlPlusPlusPhi } from '../src/meta/optimization/maml_pp.js';
import { metaGrads } from '../src/meta/common.js';
import { metaTrain } from '../src/train/loop.js';
import { adam } from '../src/nn/optim.js';
import { mlp } from '../src/nn/mlp.js';
import { parseMamlppSwitches } from '../src/experiment/config.js';
import type { MetaLearner } from '../src/meta/types.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { toyEpisode } from './helpers/toy.js';

const WAYS = 3;
const STEPS = 2;
const classifier = (track: boolean) =>
  sequential([
    ['backbone', conv4({ hidden: 8, ...(track ? { batchNorm: { trackRunningStats: true } } : {}) })],
    ['head', dense(8, WAYS)],
  ]);
const make = (bnrs: boolean) =>
  mamlPlusPlus({ model: classifier(bnrs), innerSteps: STEPS, innerLr: 0.3, perStepBnStats: bnrs });
const dispose = (ep: SupportQuery) => tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('MAML++ per-step batch-norm running statistics (bnrs)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('theta holds mean and var per batch-norm layer and pass 0..S, marked as running statistics', () => {
    const l = make(true);
    const theta = l.init(new Rng(1));
    const stats = Object.keys(theta).filter((k) => k.startsWith('bnrs.'));
    assert.equal(stats.length, (STEPS + 1) * 4 * 2, stats.join(' '));
    for (const k of ['bnrs.step0.backbone.block0.bn.mean', `bnrs.step${STEPS}.backbone.block3.bn.var`])
      assert.ok(stats.includes(k), k);
    assert.ok(l.isRunningStat!('bnrs.step1.backbone.block2.bn.mean'));
    assert.ok(!l.isRunningStat!('model.head.w') && !l.isRunningStat!('bn.step0.backbone.block0.bn.gamma'));
    // Off (the default), theta and the learner are as before.
    const off = mamlPlusPlus({ model: classifier(true), innerSteps: STEPS, innerLr: 0.3 });
    const t0 = off.init(new Rng(1));
    assert.ok(!Object.keys(t0).some((k) => k.startsWith('bnrs.')) && off.isRunningStat === undefined);
    assert.deepEqual(
      Object.keys(t0).sort(),
      Object.keys(theta)
        .filter((k) => !k.startsWith('bnrs.'))
        .sort(),
    );
    assert.equal(parseMamlppSwitches(undefined).perStepBnStats, false);
    assert.equal(parseMamlppSwitches('msl,bnrs').perStepBnStats, true);
    assert.throws(
      () => mamlPlusPlus({ model: mlp([1, 8, 1]), loss: 'mse', perStepBnStats: true }),
      /mamlpp: option 'perStepBnStats' needs a model with batch-norm running statistics/,
    );
    disposeParams(theta);
    disposeParams(t0);
  });

  it("metaGrads: the trained params' gradient is unchanged; pass 0's statistics move by the mean batch statistics", () => {
    const on = make(true);
    const off = make(false);
    const theta = on.init(new Rng(2));
    const eps = [toyEpisode(new Rng(3), WAYS, 1, 2), toyEpisode(new Rng(4), WAYS, 2, 2)];
    const n0 = tf.memory().numTensors;
    const g = metaGrads(on, theta, eps, { step: 5, steps: 10 });
    const trained: Params = {};
    for (const k of Object.keys(theta)) if (!k.startsWith('bnrs.')) trained[k] = theta[k];
    const gOff = metaGrads(off, trained, eps, { step: 5, steps: 10 });
    assert.deepEqual(Object.keys(g.grads).sort(), Object.keys(theta).sort());
    assert.ok(Math.abs(g.loss - gOff.loss) < 1e-6, `${g.loss} vs ${gOff.loss}`);
    for (const k of Object.keys(gOff.grads)) assert.ok(maxDiff(g.grads[k], gOff.grads[k]) < 1e-5, k);

    // Pass 0 is the support pass with theta's own params: the first layer's batch statistics are those
    // of conv(x); slot 0 moves from (0, 1) by momentum 0.1 toward their mean over the two episodes.
    const [mean, unbiased] = tf.tidy(() => {
      const ms: tf.Tensor[] = [];
      const vs: tf.Tensor[] = [];
      for (const ep of eps) {
        const h = tf.add(
          tf.conv2d(
            ep.support.x as tf.Tensor4D,
            theta['model.backbone.block0.conv.w'] as tf.Tensor4D,
            1,
            'same',
          ),
          theta['model.backbone.block0.conv.b'],
        );
        const m = tf.moments(h, [0, 1, 2]);
        const n = h.size / 8;
        ms.push(m.mean);
        vs.push(tf.mul(m.variance, n / (n - 1)));
      }
      return [tf.div(tf.addN(ms), 2), tf.div(tf.addN(vs), 2)];
    });
    const expMean = tf.mul(mean, 0.1);
    const expVar = tf.tidy(() => tf.add(tf.mul(unbiased, 0.1), 0.9));
    assert.ok(maxDiff(g.grads['bnrs.step0.backbone.block0.bn.mean'], expMean) < 1e-5);
    assert.ok(maxDiff(g.grads['bnrs.step0.backbone.block0.bn.var'], expVar) < 1e-4);
    // The later passes see other params (pass S: the adapted params on the query set), so other statistics.
    assert.ok(
      maxDiff(
        g.grads['bnrs.step0.backbone.block1.bn.mean'],
        g.grads[`bnrs.step${STEPS}.backbone.block1.bn.mean`],
      ) > 1e-4,
    );
    tf.dispose([mean, unbiased, expMean, expVar]);
    disposeParams(g.grads);
    disposeParams(gOff.grads);
    assert.equal(tf.memory().numTensors, n0, 'metaGrads with bnrs leaks');
    disposeParams(theta);
    eps.forEach(dispose);
  });

  it("evaluation uses each pass's running statistics: a query is classified alone as in its batch", () => {
    const ep = toyEpisode(new Rng(5), WAYS, 1, 3);
    const predictions = (l: MetaLearner<MamlPlusPlusPhi>, theta: Params) => {
      const phi = l.adapt(theta, ep.support);
      const all = l.predict(theta, phi, ep.query.x);
      const x0 = tf.slice(ep.query.x, [0], [1]);
      const one = l.predict(theta, phi, x0);
      x0.dispose();
      l.disposePhi(phi);
      return { all, one };
    };
    const on = make(true);
    const theta = on.init(new Rng(6));
    const n0 = tf.memory().numTensors;
    const a = predictions(on, theta);
    // Non-transductive: the first query's logits do not depend on the other queries.
    const firstVsAlone = (r: { all: tf.Tensor; one: tf.Tensor }) =>
      tf.tidy(() => maxDiff(tf.slice(r.all, [0], [1]), r.one));
    assert.ok(firstVsAlone(a) < 1e-5);
    // Without bnrs (batch statistics) they do, so the check above can fail.
    const off = make(false);
    const b = predictions(off, theta);
    assert.ok(firstVsAlone(b) > 1e-3);
    // Adaptation reads slot 0 (and 1); prediction reads slot S: changing either changes the logits.
    for (const key of ['bnrs.step0.backbone.block0.bn.mean', `bnrs.step${STEPS}.backbone.block2.bn.var`]) {
      const moved = { ...theta, [key]: tf.add(theta[key], 0.5) };
      const c = predictions(on, moved);
      assert.ok(maxDiff(c.all, a.all) > 1e-4, `${key} is not used at evaluation`);
      tf.dispose([c.all, c.one, moved[key]]);
    }
    tf.dispose([a.all, a.one, b.all, b.one]);
    assert.equal(tf.memory().numTensors, n0, 'adapt/predict with bnrs leak');
    disposeParams(theta);
    dispose(ep);
  });

  it('meta-training assigns the statistics (no optimiser state for them) and trains the rest as without bnrs, no leak', () => {
    const train = (bnrs: boolean) => {
      const l = make(bnrs);
      const rng = new Rng(3);
      const theta = l.init(rng);
      let optKeys: string[] = [];
      const res = metaTrain({
        learner: l,
        theta,
        rng,
        steps: 6,
        metaBatch: 2,
        sample: (r) => toyEpisode(r, WAYS, 1, 2),
        optimizer: adam({ lr: 5e-3 }),
        checkpointEvery: 6,
        onCheckpoint: (c) => (optKeys = Object.keys(c.optTensors)),
      });
      disposeParams(res.best);
      return { last: res.last, optKeys };
    };
    const n0 = tf.memory().numTensors;
    const on = train(true);
    const off = train(false);
    assert.ok(on.optKeys.length > 0 && !on.optKeys.some((k) => k.includes('bnrs.')), on.optKeys.join(' '));
    assert.deepEqual([...on.optKeys].sort(), [...off.optKeys].sort());
    // Same seed, same episodes, same gradients of the trained params: the same trained params.
    for (const k of Object.keys(off.last)) assert.ok(maxDiff(on.last[k], off.last[k]) < 1e-5, k);
    // Each statistic moved from its initial value (mean 0, var 1) by six meta-batches.
    for (const k of Object.keys(on.last).filter((key) => key.startsWith('bnrs.'))) {
      const init = k.endsWith('.var') ? 1 : 0;
      const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(on.last[k], init))).dataSync()[0]);
      assert.ok(moved > 1e-3, `${k} never moved`);
    }
    disposeParams(on.last);
    disposeParams(off.last);
    assert.equal(tf.memory().numTensors, n0, 'tensors leaked in training');
  });
});
