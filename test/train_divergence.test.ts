// Issue 16, cases 1 and 2 at the library level: the loop checks the updated params and optimiser state
// of every learner, so a diverged step is never validated, checkpointed or handed out as best.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { conv4, dense, sequential, type Params } from '../src/index.js';
import { protoNet } from '../src/meta/metric/protonet.js';
import { matchingNet } from '../src/meta/metric/matching.js';
import { maml } from '../src/meta/optimization/maml.js';
import { reptile } from '../src/meta/optimization/reptile.js';
import { metaTrain, TrainingDivergedError, type Checkpoint } from '../src/train/loop.js';
import { adam } from '../src/nn/optim.js';
import type { MetaLearner } from '../src/meta/types.js';
import { toyEpisode } from './helpers/toy.js';

const WAYS = 3;
const classifier = () =>
  sequential([
    ['backbone', conv4({ hidden: 8 })],
    ['head', dense(8, WAYS)],
  ]);

const finite = (p: Params) => Object.values(p).every((t) => t.dataSync().every((v) => Number.isFinite(v)));

describe('diverged training is caught before anything sees the params', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  const learners: [string, () => MetaLearner][] = [
    ['protonet', () => protoNet({ embed: conv4({ hidden: 8 }), ways: WAYS })],
    ['matching', () => matchingNet({ embed: conv4({ hidden: 8 }), ways: WAYS })],
    ['maml', () => maml({ model: classifier(), innerLr: 0.4 })],
    ['reptile', () => reptile({ model: classifier(), innerLr: 0.1, innerSteps: 2 })],
  ];
  for (const [name, make] of learners) {
    it(`${name}: a rate of 1e30 from step 3 stops at the step whose update is non-finite; checkpoints and best stay finite; no leaks`, () => {
      const learner = make();
      const rng = new Rng(3);
      const theta = learner.init(rng);
      const before = tf.memory().numTensors - Object.keys(theta).length;
      const saved: number[] = [];
      const bests: number[] = [];
      let err: unknown;
      try {
        metaTrain({
          learner,
          theta,
          rng,
          steps: 8,
          sample: (r) => toyEpisode(r, WAYS, 1, 2),
          optimizer: adam({ lr: (t) => (t >= 3 ? 1e30 : 1e-3) }),
          valEvery: 1,
          validation: () => {
            const r = new Rng(9);
            return Array.from({ length: 2 }, () => toyEpisode(r, WAYS, 1, 2));
          },
          checkpointEvery: 1,
          onCheckpoint: (c: Checkpoint) => {
            assert.ok(finite(c.theta) && finite(c.optTensors), `checkpoint of step ${c.step} is not finite`);
            saved.push(c.step);
          },
          onBest: (b, step) => {
            assert.ok(finite(b), `best of step ${step} is not finite`);
            bests.push(step);
          },
        });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof TrainingDivergedError, `expected divergence, got ${String(err)}`);
      // At 1e30 Adam moves each weight by about 1e30: still finite at step 3, NaN within a step or two.
      assert.ok(err.step >= 3 && err.step <= 5, `diverged at step ${err.step}`);
      assert.deepEqual(
        saved,
        Array.from({ length: err.step - 1 }, (_, i) => i + 1),
      );
      assert.equal(err.lastCheckpointStep, err.step - 1);
      assert.ok(bests.length > 0 && err.bestStep === bests[bests.length - 1]);
      assert.match(err.message, /training diverged at step \d: .*non-finite/);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked by the failed run');
    });
  }

  it('resuming a checkpoint saved diverged (NaN theta) is refused at once, without leaks', () => {
    const learner = protoNet({ embed: conv4({ hidden: 8 }), ways: WAYS });
    const rng = new Rng(3);
    const theta = learner.init(rng);
    const k = Object.keys(theta)[0];
    const nan = tf.fill(theta[k].shape, NaN);
    theta[k].dispose();
    theta[k] = nan;
    const opt = adam({ lr: 1e-3 });
    const optState = opt.init(theta);
    const before = tf.memory().numTensors - 3 * Object.keys(theta).length;
    assert.throws(
      () =>
        metaTrain({
          learner,
          theta,
          rng,
          steps: 4,
          sample: (r) => toyEpisode(r, WAYS, 1, 2),
          optimizer: opt as never,
          resume: { step: 2, optState },
        }),
      (e: unknown) =>
        e instanceof TrainingDivergedError &&
        e.lastCheckpointStep === 0 &&
        new RegExp(`resumed from step 2 holds non-finite values \\('${k.replace(/\./g, '\\.')}'\\)`).test(
          e.message,
        ),
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
