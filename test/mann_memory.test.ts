// The memory-augmented network with LRUA heads (Santoro et al. 2016): the label offset, gradients
// against finite differences, a learning test and the per-presentation accuracy.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { classPrototypes, prototypeEpisode } from './helpers/toy.js';
import { adam } from '../src/nn/optim.js';
import { disposeParams } from '../src/nn/params.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { mannMemory, presentationAccuracy } from '../src/meta/blackbox/mann_memory.js';
import type { MetaLearner } from '../src/meta/types.js';
import { evaluatePresentations } from '../src/train/evaluate.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers/runs.js';
import { evaluatePresentationsRun, runExperiment } from '../src/experiment/run.js';
import { DEFAULTS } from '../src/experiment/config.js';
import { gradCheck } from './helpers/gradcheck.js';

const disposeEp = (e: SupportQuery) => tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);

const W = 3;
const D = 8;
const prototypes = classPrototypes(321, W, D);
const classEpisode = (rng: Rng, shots: number, queries: number) =>
  prototypeEpisode(rng, prototypes, shots, queries, 0.3);

describe('MANN with LRUA memory', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('presentationAccuracy scores the k-th appearance of each class', () => {
    // One sequence of labels 0 1 0 0 1 (2 ways); predictions (argmax) 1 1 0 1 1.
    const logits = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1];
    const r = presentationAccuracy(logits, [0, 1, 0, 0, 1], 1, 5, 2, 3);
    // 1st: steps 0 (wrong) and 1 (right); 2nd: steps 2 (right) and 4 (right); 3rd: step 3 (wrong).
    assert.deepEqual(r.total, [2, 2, 1]);
    assert.deepEqual(r.correct, [1, 2, 0]);
  });

  it('the label is presented one step late: step t does not see label t, step t + 1 does', () =>
    tf.tidy(() => {
      const l = mannMemory({ ways: 2, inputDim: 3, controller: 6, slots: 5, slotSize: 3, heads: 2 });
      const theta = l.init(new Rng(1));
      const x = new Rng(2).normalTensor([1, 4, 3]);
      const a = l
        .sequenceLogits(theta, x, tf.tensor2d([[0, 1, 0, 1]], [1, 4], 'int32'))
        .arraySync() as number[][][];
      const b = l
        .sequenceLogits(theta, x, tf.tensor2d([[0, 1, 1, 1]], [1, 4], 'int32'))
        .arraySync() as number[][][];
      // Label 2 changed: steps 0..2 identical, step 3 differs.
      for (let t = 0; t < 3; t++) assert.deepEqual(a[0][t], b[0][t], `step ${t}`);
      assert.notDeepEqual(a[0][3], b[0][3]);
    }));

  it('gradients through the controller, heads and memory match finite differences', () => {
    const l = mannMemory({ ways: 2, inputDim: 3, controller: 5, slots: 4, slotSize: 3, heads: 2 });
    const theta = l.init(new Rng(4));
    const names = Object.keys(theta);
    const x = new Rng(5).normalTensor([2, 5, 3]);
    const y = tf.tensor2d(
      [
        [0, 1, 1, 0, 1],
        [1, 0, 0, 1, 1],
      ],
      [2, 5],
      'int32',
    );
    const u = new Rng(6).normalTensor([2, 5, 2]);
    const f = (...ts: tf.Tensor[]) => {
      const p: Record<string, tf.Tensor> = {};
      names.forEach((n, i) => (p[n] = ts[i]));
      return tf.sum(tf.mul(l.sequenceLogits(p, x, y), u)) as tf.Scalar;
    };
    const r = gradCheck(
      f,
      names.map((n) => theta[n]),
      { eps: 1e-2 },
    );
    assert.ok(r.relErr < 2e-2, `analytic ${r.analytic} vs numeric ${r.numeric} (rel ${r.relErr})`);
    tf.dispose([x, y, u]);
    disposeParams(theta);
  });

  it('training lowers the sequence loss on a fixed meta-batch, without leaking tensors', (t) => {
    // A tiny learning test: a few Adam steps on the same episodes must fit them (the full task needs
    // the paper's 10^5 episodes, far beyond a unit test).
    const l = mannMemory({ ways: W, inputDim: D, controller: 24, slots: 12, slotSize: 6, heads: 1 });
    const rng = new Rng(7);
    let theta = l.init(rng);
    const opt = adam({ lr: 1e-2 });
    let state = opt.init(theta);
    const eps = Array.from({ length: 4 }, () => classEpisode(rng, 1, 2));
    const losses: number[] = [];
    let count3 = 0;
    for (let s = 1; s <= 20; s++) {
      const { loss, grads } = l.metaGrads!(theta, eps);
      ({ params: theta, state } = opt.step(theta, grads, state));
      disposeParams(grads);
      losses.push(loss);
      if (s === 3) count3 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, count3, 'numTensors grew during training');
    t.diagnostic(`loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`);
    assert.ok(
      losses[losses.length - 1] < 0.6 * losses[0],
      `loss ${losses[0]} -> ${losses[losses.length - 1]}`,
    );
    opt.dispose(state);
    disposeParams(theta);
    eps.forEach(disposeEp);
  });

  it('evaluatePresentations: shuffled sequences, scored at each presentation of a class', () => {
    // An oracle that knows a class once its label has been shown: at step t it answers the class of
    // x_t if that label appeared at a step before t (it reads labels[t] only to look it up), else 0.
    // So the 1st presentation is right only for class 0 (1/W of the classes), every later one is right.
    const seen: number[][] = [];
    const oracle = {
      name: 'oracle',
      sequenceLogits: (_theta, x, labels) => {
        const [b, steps] = labels.shape as [number, number];
        const y = labels.dataSync();
        const out = new Float32Array(b * steps * W);
        for (let r = 0; r < b; r++) {
          const shown = new Set<number>();
          seen.push(Array.from(y.subarray(r * steps, (r + 1) * steps)));
          for (let t = 0; t < steps; t++) {
            const c = y[r * steps + t];
            if (shown.has(c)) out[(r * steps + t) * W + c] = 1;
            shown.add(c);
          }
        }
        assert.deepEqual(x.shape, [b, steps, D]);
        return tf.tensor3d(out, [b, steps, W]);
      },
    } as Pick<MetaLearner, 'name' | 'sequenceLogits'> as MetaLearner;
    const rng = new Rng(11);
    const eps = Array.from({ length: 5 }, () => classEpisode(rng, 3, 1));
    const before = tf.memory().numTensors;
    const r = evaluatePresentations(oracle, {}, eps, { batch: 2 });
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.equal(r.presentations, 4);
    assert.equal(r.steps, 4 * W);
    assert.deepEqual(
      r.accuracy.map((a) => [a.mean, a.n]),
      [
        [1 / W, 5],
        [1, 5],
        [1, 5],
        [1, 5],
      ],
    );
    // Support and query are shuffled together (episodes come in label order), each class 4 times.
    assert.equal(seen.length, 5);
    for (const q of seen) {
      assert.notDeepEqual(
        q,
        [...q].sort((a, b) => a - b),
      );
      for (let c = 0; c < W; c++) assert.equal(q.filter((v) => v === c).length, 4);
    }
    // The same episodes give the same orders.
    const again = seen.splice(0);
    evaluatePresentations(oracle, {}, eps, { batch: 3 });
    assert.deepEqual(seen, again);
    eps.forEach(disposeEp);
  });

  it('evaluatePresentations refuses learners without sequences and unequal presentations', () => {
    const l = mannMemory({ ways: W, inputDim: D, controller: 4, slots: 4, slotSize: 2, heads: 1 });
    const theta = l.init(new Rng(3));
    const plain = { ...l, sequenceLogits: undefined, name: 'plain' } as MetaLearner;
    const ep = classEpisode(new Rng(4), 2, 1);
    assert.throws(
      () => evaluatePresentations(plain, theta, [ep]),
      /learner 'plain' does not read labelled sequences/,
    );
    const odd = {
      support: ep.support,
      query: { x: ep.query.x.slice([0, 0], [2, D]), y: ep.query.y.slice([0], [2]) },
    };
    assert.throws(() => evaluatePresentations(l, theta, [odd]), /does not present each class equally often/);
    tf.dispose([odd.query.x, odd.query.y]);
    disposeEp(ep);
    disposeParams(theta);
  });

  it('CLI: eval --presentations P reports accuracy at each of P presentations with 95% CIs', async () => {
    const run = mkdtempSync(path.join(tmpdir(), 'mann-memory-'));
    try {
      // Trained in this process (one start-up saved); the eval command runs as a user runs it.
      await runExperiment(
        {
          ...DEFAULTS,
          dataset: 'synthetic',
          learner: 'mann-memory',
          way: 3,
          shot: 1,
          query: 1,
          steps: 1,
          metaBatch: 2,
          valEvery: 1,
          valEpisodes: 2,
          testEpisodes: 2,
          out: run,
        },
        () => {},
        { overwrite: true },
      );
      const e = runCli(['eval', run, '--presentations', '3', '--episodes', '4']);
      assert.equal(e.status, 0, e.stderr);
      assert.match(e.stdout, /3-way, 3 presentations per class, 4 sequences of 9 steps/);
      assert.match(e.stdout, /presentation 3: [\d.]+% ± [\d.]+% \(95% CI, 4 episodes\)/);
      const res = JSON.parse(readFileSync(path.join(run, 'eval-presentations-3w3p.json'), 'utf8'));
      assert.equal(res.accuracy.length, 3);
      assert.equal(res.episodes, 4);
      for (const a of res.accuracy) assert.ok(a.mean >= 0 && a.mean <= 1 && a.n === 4);
      await assert.rejects(
        evaluatePresentationsRun(run, { presentations: 3, shot: 2 }),
        /--presentations replaces --shot and --query/,
      );
      await assert.rejects(evaluatePresentationsRun(run, { presentations: 1 }), /at least 2, got 1/);
    } finally {
      rmSync(run, { recursive: true, force: true });
    }
  });
});
