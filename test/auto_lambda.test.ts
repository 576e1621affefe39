// Auto-Lambda (issue 19 b): the task-weight hypergradient against autodiff through the virtual step and
// finite differences, training by name, determinism, leaks.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { type Params, disposeParams } from '../src/nn/params.js';
import {
  AUTO_LAMBDA_KEY,
  autoLambdaStep,
  makeArchitecture,
  trainMultiTask,
  type MultiTaskSet,
  type Weighting,
} from '../src/multitask/index.js';
import { loadBenchmark } from '../src/multitask/benchmarks.js';
import { weightedGrads } from '../src/multitask/weighting/grads.js';
import { gradCheck } from './helpers/gradcheck.js';

let set: MultiTaskSet;
const spec = () => ({
  inputDim: set.inputDim,
  descriptorDim: set.tasks[0].descriptor.length,
  outDims: set.tasks.map((t) => t.outDim),
  hidden: [12],
});

before(async () => {
  await initEngine({ backend: 'cpu' });
  set = loadBenchmark('youtube-spam', { maxTasks: 3, maxRowsPerTask: 60 });
});

describe('auto-lambda', () => {
  for (const arch of ['multihead', 'soft'] as const) {
    it(`d L_val(theta') / d lambda is exact on ${arch} (autodiff through the virtual step, finite differences)`, () => {
      const alpha = 5;
      const lambdas = [1, 0.7, 1.3];
      let checked = false;
      // A weighting that checks the first step's hypergradient, then trains on equal weights.
      const probe: Weighting<null> = {
        name: 'probe',
        needsValidation: true,
        init: () => ({ state: null, params: {} }),
        step: (params, oracle) => {
          if (!checked) {
            checked = true;
            const r = autoLambdaStep(params, oracle, lambdas, alpha);
            const keys = oracle.modelKeys;
            const valAt = (lam: tf.Tensor): tf.Scalar => {
              const p: Params = { ...params };
              for (const k of keys) {
                let step: tf.Tensor = r.penaltyGrads[k] ?? tf.zerosLike(params[k]);
                r.taskGrads.forEach((g, s) => {
                  if (g[k]) step = tf.add(step, tf.mul(g[k], tf.reshape(tf.slice(lam, [s], [1]), [])));
                });
                p[k] = tf.sub(params[k], tf.mul(step, alpha));
              }
              return tf.addN(oracle.validationLosses!(p)) as tf.Scalar;
            };
            const lam = tf.tensor1d(lambdas);
            const viaTape = tf.tidy(() => Array.from(tf.grads(valAt)([lam])[0].dataSync()));
            r.lambdaGrads.forEach((g, s) =>
              assert.ok(
                Math.abs(g - viaTape[s]) < 1e-5 + 1e-3 * Math.abs(viaTape[s]),
                `task ${s}: ${g} vs ${viaTape[s]}`,
              ),
            );
            assert.ok(
              r.lambdaGrads.some((g) => Math.abs(g) > 1e-4),
              `vacuous: ${r.lambdaGrads}`,
            );
            const fd = gradCheck(valAt, [lam], { eps: 1e-2, seed: 3 });
            assert.ok(fd.relErr < 1e-2, `vs finite differences: ${fd.analytic} vs ${fd.numeric}`);
            assert.ok(Math.abs(r.valLoss - tf.tidy(() => valAt(lam).dataSync()[0])) < 1e-5);
            lam.dispose();
            r.taskGrads.forEach((g) => tf.dispose(Object.values(g)));
            tf.dispose(Object.values(r.penaltyGrads));
          }
          const weights = oracle.tasks.map(() => 1);
          return { ...weightedGrads(params, oracle, weights), weights, state: null };
        },
      };
      const before = tf.memory().numTensors;
      const r = trainMultiTask(makeArchitecture(arch, spec()), set, {
        steps: 2,
        batchSize: 8,
        seed: 1,
        weighting: probe,
      });
      assert.ok(checked);
      disposeParams(r.params);
      assert.equal(tf.memory().numTensors, before);
    });
  }

  it('trains by name: lambdas move from 1, the same seed gives the same lambdas, no tensors left', () => {
    const run = () => {
      const r = trainMultiTask(makeArchitecture('multihead', spec()), set, {
        steps: 25,
        batchSize: 8,
        lr: 1e-2,
        seed: 4,
        weighting: 'auto-lambda',
        weightingOptions: { virtualLr: 0.5 },
      });
      const lam = Array.from(r.weightingParams[AUTO_LAMBDA_KEY].dataSync());
      const w = r.history[r.history.length - 1].weights;
      disposeParams(r.params);
      disposeParams(r.weightingParams);
      return { lam, w };
    };
    const before = tf.memory().numTensors;
    const a = run();
    const b = run();
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(a.lam, b.lam);
    assert.ok(
      a.lam.some((v) => Math.abs(v - 1) > 1e-3),
      `lambdas did not move: ${a.lam}`,
    );
    assert.equal(a.w.length, 3);
    // metaLrScale: the same Adam steps move the weights about that many times further.
    const fast = trainMultiTask(makeArchitecture('multihead', spec()), set, {
      steps: 25,
      batchSize: 8,
      lr: 1e-2,
      seed: 4,
      weighting: 'auto-lambda',
      weightingOptions: { virtualLr: 0.5, metaLrScale: 10 },
    });
    const eff = fast.history[fast.history.length - 1].weights;
    disposeParams(fast.params);
    disposeParams(fast.weightingParams);
    const dist = (w: readonly number[]) => Math.max(...w.map((v) => Math.abs(v - 1)));
    assert.ok(dist(eff) > 3 * dist(a.w), `scaled ${eff} vs ${a.w}`);
    assert.throws(
      () =>
        trainMultiTask(makeArchitecture('multihead', spec()), set, {
          steps: 1,
          batchSize: 4,
          weighting: 'auto-lambda',
          weightingOptions: { virtualLR: 1 },
        }),
      /auto-lambda: unknown option 'virtualLR'; known options: virtualLr, init, metaLrScale/,
    );
  });
});
