// Issue 16, case 10: adapt/predict (and episodeOutputs) of every registered learner, called in a
// loop as an inference service would, leave no tensor behind.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { disposeParams } from '../src/nn/params.js';
import { LEARNER_NAMES, learnerEntry } from '../src/meta/registry.js';
import type { MetaLearner } from '../src/meta/types.js';
import type { SupportQuery } from '../src/tasks/types.js';

const WAYS = 3;
const CALLS = 5;

function classificationEpisode(rng: Rng): SupportQuery {
  const x = (n: number) =>
    tf.tensor4d(
      Array.from({ length: n * 28 * 28 }, () => rng.uniform()),
      [n, 28, 28, 1],
    );
  const y = (n: number) =>
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % WAYS),
      'int32',
    );
  return { support: { x: x(WAYS), y: y(WAYS) }, query: { x: x(2 * WAYS), y: y(2 * WAYS) } };
}

function regressionEpisode(rng: Rng): SupportQuery {
  const x = (n: number) =>
    tf.tensor2d(
      Array.from({ length: n }, () => rng.uniform() * 10 - 5),
      [n, 1],
    );
  return {
    support: { x: x(5), y: tf.tensor2d([0, 1, 2, 3, 4], [5, 1]) },
    query: { x: x(4), y: tf.tensor2d([0, 1, 2, 3], [4, 1]) },
  };
}

/** Tensors left after `CALLS` rounds of adapt/predict/disposePhi and episodeOutputs (after one warm-up). */
function leaked(learner: MetaLearner, ep: SupportQuery): number {
  const theta = learner.init(new Rng(1));
  const round = () => {
    const phi = learner.adapt(theta, ep.support);
    tf.dispose(learner.predict(theta, phi, ep.query.x));
    learner.disposePhi(phi);
    if (learner.episodeOutputs) tf.dispose(learner.episodeOutputs(theta, ep));
  };
  round();
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < CALLS; i++) round();
  const n1 = tf.memory().numTensors;
  disposeParams(theta);
  return n1 - n0;
}

const dispose = (ep: SupportQuery) => tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);

describe('no learner leaks tensors in adapt/predict (issue 16, case 10)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });
  for (const name of LEARNER_NAMES) {
    const entry = learnerEntry(name);
    it(`${name}: classifier`, () => {
      const learner = entry.classifier({
        ways: WAYS,
        inputShape: [28, 28, 1],
        hidden: 4,
        innerLr: 0.1,
        innerSteps: 1,
      });
      const ep = classificationEpisode(new Rng(2));
      assert.equal(leaked(learner, ep), 0, `${name} leaks over ${CALLS} calls`);
      dispose(ep);
    });
    const regressor = entry.regressor;
    if (regressor) {
      it(`${name}: regressor`, () => {
        const ep = regressionEpisode(new Rng(3));
        assert.equal(
          leaked(regressor({ innerLr: 0.01, innerSteps: 1 }), ep),
          0,
          `${name} leaks over ${CALLS} calls`,
        );
        dispose(ep);
      });
    }
  }
});
