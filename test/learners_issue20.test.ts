// Issue 20's few-shot learners: relation networks, R2D2, MAML++, iMAML. Each learns the toy task, leaves
// no tensor behind in metaGrads, and MAML++'s switches reduce it to MAML.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { conv4, dense, sequential, disposeParams, type Params } from '../src/index.js';
import { relationNet } from '../src/meta/metric/relation.js';
import { r2d2 } from '../src/meta/optimization/r2d2.js';
import { maml } from '../src/meta/optimization/maml.js';
import { mamlPlusPlus, mslWeights } from '../src/meta/optimization/maml_pp.js';
import { imaml } from '../src/meta/optimization/imaml.js';
import { metaGrads } from '../src/meta/common.js';
import { metaTrain } from '../src/train/loop.js';
import { evaluate } from '../src/train/evaluate.js';
import { adam } from '../src/nn/optim.js';
import type { MetaLearner } from '../src/meta/types.js';
import { DEFAULTS, learningRate, parseMamlppSwitches, resolveConfig } from '../src/experiment/config.js';
import { toyEpisode } from './helpers/toy.js';

const WAYS = 3;
const classifier = () =>
  sequential([
    ['backbone', conv4({ hidden: 8 })],
    ['head', dense(8, WAYS)],
  ]);
const dispose = (ep: ReturnType<typeof toyEpisode>) =>
  tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);

function trainAndEvaluate(learner: MetaLearner, steps: number, lr: number, metaBatch: number) {
  const rng = new Rng(3);
  const theta = learner.init(rng);
  const episodes = () => {
    const r = new Rng(99);
    return Array.from({ length: 20 }, () => toyEpisode(r, WAYS, 1, 5));
  };
  const before = evaluate(learner, theta, episodes(), { dispose: true });
  const res = metaTrain({
    learner,
    theta,
    rng,
    steps,
    metaBatch,
    sample: (r) => toyEpisode(r, WAYS, 1, 5),
    optimizer: adam({ lr }),
  });
  const after = evaluate(learner, res.last, episodes(), { dispose: true });
  disposeParams(res.last);
  disposeParams(res.best);
  return { before: before.summary.mean, after: after.summary.mean };
}

const maxDiff = (a: Params, b: Params) =>
  Math.max(...Object.keys(a).map((k) => tf.tidy(() => tf.max(tf.abs(tf.sub(a[k], b[k]))).dataSync()[0])));

describe('issue 20 learners learn the toy task (3-way 1-shot, 20 fixed validation episodes)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });
  // [name, learner, steps, lr, meta-batch]: sized to meta-learn in a few seconds each.
  const cases: [string, () => MetaLearner, number, number, number][] = [
    ['relation', () => relationNet({ ways: WAYS, hidden: 8 }), 40, 5e-3, 2],
    ['r2d2', () => r2d2({ embed: conv4({ hidden: 8 }), ways: WAYS }), 30, 5e-3, 1],
    ['mamlpp', () => mamlPlusPlus({ model: classifier(), innerSteps: 2, innerLr: 0.4 }), 30, 5e-3, 1],
    [
      'imaml',
      () => imaml({ model: classifier(), innerSteps: 2, innerLr: 0.2, lambda: 1, cgSteps: 2 }),
      30,
      5e-3,
      1,
    ],
  ];
  for (const [name, make, steps, lr, metaBatch] of cases) {
    it(`${name}: validation accuracy rises well above chance (1/3), no tensor leaked`, () => {
      const n0 = tf.memory().numTensors;
      const { before, after } = trainAndEvaluate(make(), steps, lr, metaBatch);
      assert.ok(
        after > 0.75 && after > before + 0.05,
        `${name}: accuracy ${before.toFixed(3)} -> ${after.toFixed(3)}`,
      );
      assert.equal(tf.memory().numTensors, n0, 'tensors leaked during training and evaluation');
    });
  }

  it('metaGrads of each leaves no tensor behind (MAML++ early, mid-annealing and after)', () => {
    const ep = toyEpisode(new Rng(5), WAYS, 1, 2);
    for (const [name, make] of cases) {
      const l = make();
      const theta = l.init(new Rng(1));
      for (const progress of [{ step: 1, steps: 30 }, { step: 2, steps: 30 }, undefined]) {
        const n0 = tf.memory().numTensors;
        const r = metaGrads(l, theta, [ep, ep], progress);
        assert.deepEqual(Object.keys(r.grads).sort(), Object.keys(theta).sort(), name);
        disposeParams(r.grads);
        assert.equal(tf.memory().numTensors, n0, `${name} metaGrads leaks`);
      }
      disposeParams(theta);
    }
    dispose(ep);
  });
});

describe('MAML++ switches', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('with every switch off it is MAML; derivative annealing is first order early, second order late', () => {
    const ep = toyEpisode(new Rng(6), WAYS, 1, 2);
    const off = { multiStepLoss: false, perStepBatchNorm: false, perStepLr: false } as const;
    const pp = mamlPlusPlus({
      model: classifier(),
      innerSteps: 2,
      innerLr: 0.3,
      ...off,
      derivativeAnnealing: false,
    });
    const ppDa = mamlPlusPlus({ model: classifier(), innerSteps: 2, innerLr: 0.3, ...off });
    const so = maml({ model: classifier(), innerSteps: 2, innerLr: 0.3 });
    const fo = maml({ model: classifier(), innerSteps: 2, innerLr: 0.3, firstOrder: true });
    const theta = so.init(new Rng(7));
    assert.deepEqual(Object.keys(pp.init(new Rng(7))).sort(), Object.keys(theta).sort());
    const g = (l: MetaLearner, progress?: { step: number; steps: number }) =>
      metaGrads(l, theta, [ep], progress).grads;
    const [gpp, gso, gfo, early, late] = [
      g(pp, { step: 1, steps: 10 }),
      g(so),
      g(fo),
      g(ppDa, { step: 1, steps: 10 }),
      g(ppDa, { step: 9, steps: 10 }),
    ];
    assert.ok(maxDiff(gpp, gso) < 1e-5, 'MAML++ with its switches off differs from MAML');
    assert.ok(maxDiff(early, gfo) < 1e-5, 'annealing: early steps are not first order');
    assert.ok(maxDiff(late, gso) < 1e-5, 'annealing: late steps are not second order');
    assert.ok(maxDiff(gso, gfo) > 1e-6, 'first and second order coincide, so the checks above prove nothing');
    [gpp, gso, gfo, early, late, theta].forEach(disposeParams);
    dispose(ep);
  });

  it('per-step params: BN weights for steps 0..S, inner rates per tensor and step, and they get gradients', () => {
    const l = mamlPlusPlus({ model: classifier(), innerSteps: 2, innerLr: 0.3 });
    const theta = l.init(new Rng(8));
    const keys = Object.keys(theta);
    assert.ok(
      keys.includes('bn.step0.backbone.block0.bn.gamma') && keys.includes('bn.step2.backbone.block3.bn.beta'),
    );
    assert.ok(!keys.some((k) => k.startsWith('model.') && k.includes('.bn.')), 'BN weights left in model.*');
    assert.ok(keys.includes('lr.step0.head.w') && keys.includes('lr.step1.backbone.block0.conv.w'));
    assert.ok(!keys.includes('lr.step2.head.w'), 'an inner rate for a step that is never taken');
    const ep = toyEpisode(new Rng(9), WAYS, 1, 2);
    const { grads } = metaGrads(l, theta, [ep]);
    for (const k of [
      'lr.step0.head.w',
      'bn.step1.backbone.block0.bn.gamma',
      'bn.step2.backbone.block0.bn.gamma',
    ]) {
      assert.ok(tf.tidy(() => tf.max(tf.abs(grads[k])).dataSync()[0]) > 0, `${k} gets no gradient`);
    }
    disposeParams(grads);
    disposeParams(theta);
    dispose(ep);
  });

  it('the multi-step loss weights sum to 1, anneal toward the last step, then only the last counts', () => {
    const w1 = mslWeights(5, 0.1, { step: 1, steps: 1000 })!;
    assert.deepEqual(
      w1,
      [0.2, 0.2, 0.2, 0.2, 0.2].map((v, i) => (i === 4 ? 1 - 4 * 0.2 : v)),
    );
    const mid = mslWeights(5, 0.1, { step: 51, steps: 1000 })!;
    assert.ok(Math.abs(mid[0] - 0.1) < 1e-12 && Math.abs(mid[4] - 0.6) < 1e-12, JSON.stringify(mid));
    const w2 = mslWeights(5, 0.1, { step: 100, steps: 1000 })!;
    assert.ok(Math.abs(w2.reduce((a, b) => a + b) - 1) < 1e-12);
    assert.ok(Math.abs(w2[0] - 0.006) < 1e-9 && w2[4] > 0.97, JSON.stringify(w2)); // the 0.03/S floor
    assert.equal(mslWeights(5, 0.1, { step: 101, steps: 1000 }), null);
    assert.equal(mslWeights(5, 0.1, undefined), null);
  });

  it("the run config's switches and the cosine outer rate", () => {
    assert.deepEqual(parseMamlppSwitches(undefined), {
      multiStepLoss: true,
      perStepBatchNorm: true,
      perStepLr: true,
      derivativeAnnealing: true,
      perStepBnStats: false,
    });
    assert.deepEqual(parseMamlppSwitches('lslr, msl'), {
      multiStepLoss: true,
      perStepBatchNorm: false,
      perStepLr: true,
      derivativeAnnealing: false,
      perStepBnStats: false,
    });
    assert.equal(Object.values(parseMamlppSwitches('none')).some(Boolean), false);
    assert.throws(() => parseMamlppSwitches('msl,bnrx'), /field 'mamlpp': unknown switch 'bnrx'/);
    assert.throws(() => resolveConfig(undefined, '(defaults)', { mamlpp: 'MSL' }), /unknown switch 'MSL'/);
    const lr = learningRate({ lr: 0.01, lrSchedule: 'cosine:0.001', steps: 101 });
    assert.ok(typeof lr === 'function');
    assert.ok(
      Math.abs(lr(1) - 0.01) < 1e-12 &&
        Math.abs(lr(51) - 0.0055) < 1e-12 &&
        Math.abs(lr(101) - 0.001) < 1e-12,
    );
    const to0 = learningRate({ lr: 0.01, lrSchedule: 'cosine', steps: 11 }) as (s: number) => number;
    assert.ok(to0(11) > 0 && to0(11) < 1e-7, 'the last rate must stay positive for Adam');
    assert.throws(
      () => resolveConfig(undefined, '(defaults)', { lrSchedule: 'cosine:-1' }),
      /field 'lrSchedule': expected 'cosine' or 'cosine:min'/,
    );
    assert.equal(resolveConfig(undefined, '(defaults)', { lrSchedule: 'cosine' }).lrSchedule, 'cosine');
    assert.equal(DEFAULTS.mamlpp, undefined);
  });
});
