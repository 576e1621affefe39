import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { tf } from '../src/engine/tf.js';
import { disposeParams } from '../src/nn/params.js';
import {
  LEARNERS,
  LEARNER_NAMES,
  REGRESSION_LEARNERS,
  isLearnerName,
  learnerEntry,
} from '../src/meta/registry.js';
import { DEFAULTS, SCHEMA } from '../src/experiment/config.js';
import { makeLearner, makeRegressionLearner } from '../src/experiment/learners.js';

const CLOSED_FORM: readonly string[] = ['r2d2'];

describe('the learner registry', () => {
  it('the config schema accepts exactly the registered learners', () => {
    const kind = SCHEMA.learner.kind;
    assert.ok(typeof kind === 'object');
    assert.deepEqual([...kind.oneOf], [...LEARNER_NAMES]);
    assert.deepEqual([...LEARNER_NAMES], Object.keys(LEARNERS));
    assert.ok(isLearnerName('maml') && !isLearnerName('toString'));
  });

  it("each entry's family and capabilities match the learner it builds", async () => {
    await initEngine({ backend: 'cpu' });
    for (const name of LEARNER_NAMES) {
      const e = learnerEntry(name);
      const l = makeLearner({ ...DEFAULTS, learner: name, hidden: 4 }, [28, 28, 1]);
      assert.equal(l.family, e.family, name);
      // Closed-form heads (R2D2's ridge regression) are optimisation-based without inner steps.
      assert.equal(e.innerSteps, e.family === 'optimization' && !CLOSED_FORM.includes(name), name);
      if (e.secondOrder) assert.ok(e.innerSteps, `${name}: second order without an inner loop`);
      // Another way at test time: built where supported, refused naming the field elsewhere.
      const other = () => makeLearner({ ...DEFAULTS, learner: name, hidden: 4, testWay: 3 }, [28, 28, 1]);
      if (e.anyWay) other();
      else assert.throws(other, /field 'testWay' must equal 'way'/, name);
      if (e.regressor) {
        const r = makeRegressionLearner({ ...DEFAULTS, learner: name, dataset: 'sinusoid' });
        assert.equal(r.loss === 'mse' || name === 'cnp', true, name);
        disposeParams(r.init(new Rng(0)));
      } else {
        assert.throws(
          () => makeRegressionLearner({ ...DEFAULTS, learner: name }),
          new RegExp(`'${name}' does not do regression; use ${REGRESSION_LEARNERS.join(', ')}`),
        );
      }
    }
    assert.deepEqual(
      [...REGRESSION_LEARNERS],
      ['maml', 'fomaml', 'anil', 'meta-sgd', 'hyper-maml', 'reptile', 'cnp', 'np', 'anp', 'mamlpp', 'imaml'],
    );
    assert.equal(tf.memory().numTensors, 0);
  });
});
