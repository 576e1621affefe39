import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { conv4, dense, sequential, type Params, disposeParams } from '../src/index.js';
import { protoNet } from '../src/meta/metric/protonet.js';
import { matchingNet } from '../src/meta/metric/matching.js';
import { maml, anil, metaSgd } from '../src/meta/optimization/maml.js';
import { reptile } from '../src/meta/optimization/reptile.js';
import { metaTrain } from '../src/train/loop.js';
import { evaluate } from '../src/train/evaluate.js';
import { adam } from '../src/nn/optim.js';
import type { MetaLearner } from '../src/meta/types.js';
import { toyEpisode } from './helpers/toy.js';

const WAYS = 3;

/** Conv4 (8 filters, 16x16 input -> 8-d embedding) with a linear head, params under backbone./head. */
const classifier = () =>
  sequential([
    ['backbone', conv4({ hidden: 8 })],
    ['head', dense(8, WAYS)],
  ]);

function trainAndEvaluate(learner: MetaLearner, steps: number, lr: number, metaBatch = 2) {
  const rng = new Rng(3);
  const theta = learner.init(rng);
  const valRng = () => new Rng(99);
  const episodes = (n: number) => {
    const r = valRng();
    return Array.from({ length: n }, () => toyEpisode(r, WAYS, 1, 5));
  };
  const before = evaluate(learner, theta, episodes(20), { dispose: true });
  const res = metaTrain({
    learner,
    theta,
    rng,
    steps,
    metaBatch,
    sample: (r) => toyEpisode(r, WAYS, 1, 5),
    optimizer: adam({ lr }),
  });
  const after = evaluate(learner, res.last, episodes(20), { dispose: true });
  disposeParams(res.last);
  disposeParams(res.best);
  return { before: before.summary.mean, after: after.summary.mean };
}

describe('meta-learners learn a toy few-shot task (3-way 1-shot, 20 fixed validation episodes)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  const learners: [string, () => MetaLearner, number, number][] = [
    ['protonet', () => protoNet({ embed: conv4({ hidden: 8 }), ways: WAYS }), 60, 1e-3],
    ['matching', () => matchingNet({ embed: conv4({ hidden: 8 }), ways: WAYS }), 60, 1e-3],
    ['maml (second order)', () => maml({ model: classifier(), innerLr: 0.4 }), 60, 3e-3],
    ['fomaml', () => maml({ model: classifier(), innerLr: 0.1, firstOrder: true }), 100, 3e-3],
    ['anil', () => anil({ model: classifier(), innerLr: 0.4, innerSteps: 2 }), 60, 3e-3],
    ['meta-sgd', () => metaSgd({ model: classifier(), innerLr: 0.4 }), 60, 3e-3],
    ['reptile', () => reptile({ model: classifier(), innerLr: 0.05, innerSteps: 5 }), 60, 3e-3],
  ];
  for (const [name, make, steps, lr] of learners) {
    it(`${name}: validation accuracy rises well above chance (1/3)`, () => {
      const n0 = tf.memory().numTensors;
      const { before, after } = trainAndEvaluate(make(), steps, lr);
      // Reptile's 5 SGD steps already adapt well from the initialisation, so "rises" is relative.
      assert.ok(
        after > 0.75 && after > before + 0.05,
        `${name}: accuracy ${before.toFixed(3)} -> ${after.toFixed(3)}`,
      );
      assert.equal(tf.memory().numTensors, n0, 'tensors leaked during training and evaluation');
    });
  }

  it('ANIL adapts the head only; MAML adapts everything', () => {
    const rng = new Rng(1);
    const ep = toyEpisode(rng, WAYS, 1, 2);
    for (const [learner, backboneMoves] of [
      [anil({ model: classifier() }), false],
      [maml({ model: classifier() }), true],
    ] as const) {
      const theta: Params = learner.init(rng);
      const phi = learner.adapt(theta, ep.support);
      const moved = (k: string) =>
        tf.tidy(() => tf.max(tf.abs(tf.sub(phi.params[k], theta[`model.${k}`]))).dataSync()[0] > 0);
      assert.equal(moved('backbone.block0.conv.w'), backboneMoves);
      assert.equal(moved('head.w'), true);
      learner.disposePhi(phi);
      disposeParams(theta);
    }
  });

  it('Meta-SGD learns its per-weight step sizes; first- and second-order MAML gradients differ', () => {
    const rng = new Rng(2);
    const ep = toyEpisode(rng, WAYS, 1, 2);
    const ms = metaSgd({ model: classifier(), innerLr: 0.1 });
    const theta = ms.init(rng);
    assert.deepEqual(theta['lr.head.w'].shape, theta['model.head.w'].shape);
    const r = metaTrain({ learner: ms, theta, rng, steps: 3, sample: (q) => toyEpisode(q, WAYS, 1, 2) });
    const lr = r.last['lr.head.w'].dataSync();
    assert.ok(
      lr.some((v) => Math.abs(v - 0.1) > 1e-4),
      'the learned step sizes did not move',
    );
    disposeParams(r.last);
    disposeParams(r.best);

    const so = maml({ model: classifier() });
    const fo = maml({ model: classifier(), firstOrder: true });
    const th = so.init(new Rng(5));
    const g2 = metaGradsOf(so, th, ep);
    const g1 = metaGradsOf(fo, th, ep);
    const diff = tf.tidy(
      () =>
        tf
          .max(tf.abs(tf.sub(g2['model.backbone.block0.conv.w'], g1['model.backbone.block0.conv.w'])))
          .dataSync()[0],
    );
    assert.ok(diff > 1e-6, 'first- and second-order gradients are identical');
    disposeParams(g1);
    disposeParams(g2);
    disposeParams(th);
  });
});

import { metaGrads } from '../src/meta/common.js';
function metaGradsOf(l: MetaLearner, theta: Params, ep: ReturnType<typeof toyEpisode>): Params {
  return metaGrads(l, theta, [ep]).grads;
}

describe('reptile', () => {
  it("reports the inner loop's loss at its last step, on support and query together", async () => {
    await initEngine({ backend: 'wasm' });
    const rng = new Rng(4);
    const ep = toyEpisode(rng, WAYS, 1, 2);
    const model = classifier();
    const learner = reptile({ model, innerLr: 0.05, innerSteps: 1 });
    const theta = learner.init(rng);
    const { loss, grads } = metaGrads(learner, theta, [ep]);
    // With one inner step the last step is the first: the loss of theta itself on all the examples.
    const want = tf.tidy(() => {
      const x = tf.concat([ep.support.x, ep.query.x], 0);
      const y = tf.concat([ep.support.y, ep.query.y], 0);
      const logits = model.apply(
        Object.fromEntries(Object.entries(theta).map(([k, v]) => [k.slice('model.'.length), v])),
        x,
        { training: true },
      );
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(y, 'int32'), WAYS), logits).dataSync()[0];
    });
    assert.ok(Math.abs(loss - want) < 1e-5, `${loss} vs ${want}`);
    disposeParams(grads);
    disposeParams(theta);
    tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);
  });
});
