import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { sgd } from '../src/nn/optim.js';
import { type Params, disposeParams } from '../src/nn/params.js';
import {
  GroupedOptimizer,
  buildBatch,
  disposeBatch,
  dwaWeighting,
  makeArchitecture,
  makeSampler,
  makeWeighting,
  pcgradWeighting,
  sampleTasks,
  verdictOf,
  trainMultiTask,
  validateTaskSet,
  type LossOracle,
  type MultiTaskSet,
  type MultiTaskTask,
} from '../src/multitask/index.js';
import { annealedAlpha, temperatureProbabilities } from '../src/multitask/sampling.js';
import { dwaWeights } from '../src/multitask/weighting/dwa.js';
import { gradNormWeightGrads } from '../src/multitask/weighting/gradnorm.js';
import { pcgradProject } from '../src/multitask/weighting/pcgrad.js';
import { uncertaintyLoss } from '../src/multitask/weighting/uncertainty.js';
import { seedRowCI } from '../src/multitask/stats.js';

const close = (a: number, b: number, tol = 1e-5, what = '') =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} != ${b}`);

/** A small synthetic task set: task t's label is 1 when feature t is positive. */
function toySet(T = 3, n = 40, d = 6, seed = 0): MultiTaskSet {
  const rng = new Rng(seed);
  const rows = (t: number, m: number) => {
    const x = rng.normalArray(m * d);
    const y = new Float32Array(m);
    for (let i = 0; i < m; i++) y[i] = x[i * d + (t % d)] > 0 ? 1 : 0;
    return { n: m, x, y };
  };
  const tasks: MultiTaskTask[] = Array.from({ length: T }, (_, t) => {
    const z = new Float32Array(T);
    z[t] = 1;
    return {
      id: `t${t}`,
      kind: 'classification',
      outDim: 2 + (t % 2),
      descriptor: z,
      train: rows(t, n),
      test: rows(t, 10),
    };
  });
  return { name: 'toy', inputDim: d, tasks };
}

/** An oracle whose task losses are g_s · theta for one shared parameter 'theta'. */
function linearOracle(gs: number[][]): LossOracle {
  const loss = (s: number, p: Params) => tf.sum(tf.mul(p.theta, tf.tensor1d(gs[s]))) as tf.Scalar;
  return {
    numTasks: gs.length,
    tasks: gs.map((_, i) => i),
    kinds: gs.map(() => 'regression'),
    losses: (p) => gs.map((_, s) => loss(s, p)),
    lossOf: loss,
    penalty: () => null,
    modelKeys: ['theta'],
    sharedKeys: ['theta'],
    lastSharedKeys: ['theta'],
  };
}

describe('multitask maths', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it("PCGrad projects two conflicting gradients onto each other's normal planes", () => {
    // g1·g2 = -1 < 0: g1' = g1 - (g1·g2/|g2|^2) g2 = [0.5, 0.5]; g2' = g2 - (g2·g1/|g1|^2) g1 = [0, 1].
    const out = pcgradProject(
      [
        [1, 0],
        [-1, 1],
      ],
      new Rng(0),
    );
    close(out[0], 0.5, 1e-12);
    close(out[1], 1.5, 1e-12);
    // Each projected gradient no longer conflicts with the other task's.
    // Agreeing gradients are summed untouched.
    const same = pcgradProject(
      [
        [1, 2],
        [3, 1],
      ],
      new Rng(0),
    );
    assert.deepEqual(same, [4, 3]);
  });

  it('the PCGrad weighting gives the same projected gradient through tensors', () => {
    const w = pcgradWeighting();
    const init = w.init({ numTasks: 2, kinds: ['regression', 'regression'], rng: new Rng(1) });
    const params: Params = { theta: tf.tensor1d([0.3, -0.2]) };
    const r = w.step(
      params,
      linearOracle([
        [1, 0],
        [-1, 1],
      ]),
      init.state,
      { step: 0, totalSteps: 1 },
    );
    const g = Array.from(r.grads.theta.dataSync());
    close(g[0], 0.5);
    close(g[1], 1.5);
    tf.dispose([params.theta, r.grads.theta]);
  });

  it('DWA weights are K softmax(r / T) of the loss ratios', () => {
    const w = dwaWeights([1, 0.5], [2, 0.5], 2);
    const e1 = Math.exp(0.5 / 2);
    const e2 = Math.exp(1 / 2);
    close(w[0], (2 * e1) / (e1 + e2), 1e-12);
    close(w[1], (2 * e2) / (e1 + e2), 1e-12);
    close(w[0] + w[1], 2, 1e-12);
    assert.ok(w[1] > w[0], 'the task whose loss stalled gets more weight');
    assert.deepEqual(dwaWeights([1, undefined], [undefined, 1], 2), [1, 1]);
    assert.throws(() => dwaWeights([1], [1, 2], 2), /loss values/);
  });

  it('the DWA strategy averages losses over its window before taking ratios', () => {
    const dwa = dwaWeighting({ window: 1, temperature: 1 });
    let { state } = dwa.init({ numTasks: 2, kinds: ['regression', 'regression'], rng: new Rng(0) });
    const params: Params = { theta: tf.tensor1d([1, 1]) };
    // Task losses g·theta: step 1 gives [2, 2], step 2 gives [1, 2] (task 0 improves, task 1 stalls).
    const weightsSeen: number[][] = [];
    for (const gs of [
      [
        [1, 1],
        [1, 1],
      ],
      [
        [0.5, 0.5],
        [1, 1],
      ],
      [
        [0.5, 0.5],
        [1, 1],
      ],
    ]) {
      const r = dwa.step(params, linearOracle(gs), state, { step: 0, totalSteps: 3 });
      weightsSeen.push(r.weights);
      tf.dispose(Object.values(r.grads));
      state = r.state;
    }
    assert.deepEqual(weightsSeen[0], [1, 1]);
    assert.deepEqual(weightsSeen[1], [1, 1]);
    const expected = dwaWeights([1, 2], [2, 2], 1);
    close(weightsSeen[2][0], expected[0], 1e-9);
    close(weightsSeen[2][1], expected[1], 1e-9);
    params.theta.dispose();
  });

  it('uncertainty weighting has the loss sum c exp(-s) L + s/2 and its optimum at exp(s) = c L', () => {
    const losses = [tf.scalar(2), tf.scalar(3)] as tf.Scalar[];
    const s = tf.tensor1d([0.5, -1]);
    const v = uncertaintyLoss(losses, s, [0, 1], ['regression', 'classification']);
    const expected = 0.5 * Math.exp(-0.5) * 2 + 0.25 + Math.exp(1) * 3 - 0.5;
    close(v.dataSync()[0], expected, 1e-4);
    // d/ds [c e^-s L + s/2] = 0 at s = log(2 c L): sigma^2 = L for regression, 2 L for classification.
    const opt = tf.tensor1d([Math.log(2), Math.log(6)]);
    const g = tf.grad((x: tf.Tensor) => uncertaintyLoss(losses, x, [0, 1], ['regression', 'classification']))(
      opt,
    );
    for (const gi of g.dataSync()) close(gi, 0, 1e-5, 'gradient at the optimum');
    tf.dispose([...losses, s, v, opt, g]);
  });

  it('GradNorm pushes weights towards equal gradient norms scaled by training rates', () => {
    // Equal rates: target = mean G. Task 0 has the larger weighted norm, so its weight gradient is +n0.
    const g = gradNormWeightGrads([1, 1], [3, 1], [1, 1], 1.5);
    assert.deepEqual(g, [3, -1]);
    // A task that trains slower (higher loss ratio) gets a higher target, hence a negative gradient.
    const h = gradNormWeightGrads([1, 1], [1, 1], [1.5, 0.5], 1);
    assert.deepEqual(h, [-1, 1]);
  });

  it('the GradNorm strategy sends the weight gradient through K softmax(v)', () => {
    const w = makeWeighting('gradnorm', { alpha: 1.5 });
    const init = w.init({ numTasks: 2, kinds: ['regression', 'regression'], rng: new Rng(0) });
    const params: Params = { theta: tf.tensor1d([1, 1]), ...init.params };
    // Losses 3 and 1, gradient norms 3 and 1, equal weights and rates: dL/dw = [3, -1]; through
    // w = 2 softmax(v): dL/dv_j = w_j g_j - (w_j / 2) sum_i w_i g_i = [2, -2].
    const r = w.step(
      params,
      linearOracle([
        [3, 0],
        [0, 1],
      ]),
      init.state,
      { step: 0, totalSteps: 1 },
    );
    assert.deepEqual(r.weights, [1, 1]);
    assert.deepEqual(r.losses, [3, 1]);
    const gv = Array.from(r.grads['weighting.gradnorm'].dataSync());
    close(gv[0], 2);
    close(gv[1], -2);
    tf.dispose([...Object.values(params), ...Object.values(r.grads)]);
  });

  it('temperature sampling gives p_i proportional to n_i^alpha, annealed from 1 to 0.2', () => {
    const p = temperatureProbabilities([100, 400], 0.5);
    close(p[0], 1 / 3, 1e-12);
    close(p[1], 2 / 3, 1e-12);
    assert.deepEqual(makeSampler('uniform').probabilities([10, 30, 60], 0, 1), [1 / 3, 1 / 3, 1 / 3]);
    const prop = makeSampler('proportional').probabilities([10, 30, 60], 0, 1);
    [0.1, 0.3, 0.6].forEach((v, i) => close(prop[i], v, 1e-12));
    close(annealedAlpha(0, 101), 1, 1e-12);
    close(annealedAlpha(50, 101), 0.6, 1e-12);
    close(annealedAlpha(100, 101), 0.2, 1e-12);
    const ann = makeSampler('annealed');
    const last = ann.probabilities([100, 400], 99, 100);
    const tp = temperatureProbabilities([100, 400], 0.2);
    close(last[0], tp[0], 1e-12);
    assert.throws(() => temperatureProbabilities([10, 0], 1), /at least one/);
  });

  it('drawing tasks follows the sampling probabilities and never repeats a task in a step', () => {
    const rng = new Rng(3);
    const p = [0.1, 0.2, 0.7];
    const counts = [0, 0, 0];
    const N = 20000;
    for (let i = 0; i < N; i++) counts[sampleTasks(p, 1, rng)[0]]++;
    p.forEach((pi, i) => close(counts[i] / N, pi, 0.015, `task ${i} frequency`));
    for (let i = 0; i < 200; i++) {
      const two = sampleTasks(p, 2, rng);
      assert.notEqual(two[0], two[1]);
    }
    assert.throws(() => sampleTasks(p, 4, rng), /cannot draw 4 distinct tasks from 3/);
  });

  it('cross-stitch units with identity alpha are independent networks', () => {
    const set = toySet(3);
    const spec = { inputDim: 6, descriptorDim: 3, outDims: set.tasks.map((t) => t.outDim), hidden: [8, 8] };
    const cs = makeArchitecture('cross-stitch', spec, { selfWeight: 1 });
    const ind = makeArchitecture('independent', spec);
    const pc = cs.init(new Rng(5));
    const pi = ind.init(new Rng(5));
    // Same initialisation stream: column t is task t's network.
    for (const k of Object.keys(pi))
      assert.deepEqual(pc[k.replace(/^task/, 'col')].dataSync(), pi[k].dataSync(), k);
    const batch = buildBatch(
      set,
      set.tasks.map((_, t) => ({ task: t, rows: [0, 1, 2, 3, 4] })),
    );
    const a = cs.apply(pc, batch.input);
    const b = ind.apply(pi, batch.input);
    a.forEach((t, i) => {
      const x = t.dataSync();
      const y = b[i].dataSync();
      for (let j = 0; j < x.length; j++) close(x[j], y[j], 1e-5, `segment ${i}`);
    });
    // With sharing switched on the outputs move.
    const mixed = makeArchitecture('cross-stitch', spec, { selfWeight: 0.5 });
    const pm = mixed.init(new Rng(5));
    const c = mixed.apply(pm, batch.input);
    assert.ok(Math.abs(c[0].dataSync()[0] - a[0].dataSync()[0]) > 1e-6);
    tf.dispose([...a, ...b, ...c]);
    disposeParams(pc);
    disposeParams(pi);
    disposeParams(pm);
    disposeBatch(batch);
  });

  it('additive conditioning at the first layer is concatenation', () => {
    const set = toySet(3);
    const spec = { inputDim: 6, descriptorDim: 3, outDims: set.tasks.map((t) => t.outDim), hidden: [8] };
    const add = makeArchitecture('additive', spec);
    const cat = makeArchitecture('concat', spec);
    const pa = add.init(new Rng(2));
    const pc = cat.init(new Rng(2));
    // concat's first weight matrix [x rows; z rows] = [W; U].
    tf.dispose(pc['trunk.fc0.w']);
    pc['trunk.fc0.w'] = tf.concat([pa['trunk.fc0.w'], pa['cond.w']], 0);
    for (const k of ['trunk.fc0.b', 'out.w', 'out.b']) {
      tf.dispose(pc[k]);
      pc[k] = tf.clone(pa[k]);
    }
    const batch = buildBatch(
      set,
      set.tasks.map((_, t) => ({ task: t, rows: [0, 1, 2] })),
    );
    const a = add.apply(pa, batch.input);
    const b = cat.apply(pc, batch.input);
    a.forEach((t, i) => t.dataSync().forEach((v, j) => close(v, b[i].dataSync()[j], 1e-5)));
    tf.dispose([...a, ...b]);
    disposeParams(pa);
    disposeParams(pc);
    disposeBatch(batch);
  });

  it('soft sharing adds lambda * sum_t ||theta_t - mean theta||^2 over the hidden layers', () => {
    const spec = { inputDim: 2, descriptorDim: 2, outDims: [2, 2], hidden: [1] };
    const net = makeArchitecture('soft', spec, { lambda: 0.5 });
    const p: Params = {
      'task0.fc0.w': tf.tensor2d([[1], [2]]),
      'task0.fc0.b': tf.tensor1d([0]),
      'task1.fc0.w': tf.tensor2d([[3], [2]]),
      'task1.fc0.b': tf.tensor1d([4]),
    };
    // w: mean [2, 2], deviations (-1, 0) and (1, 0) -> 2; b: mean 2, deviations -2 and 2 -> 8.
    const pen = net.penalty!(p)!;
    close(pen.dataSync()[0], 0.5 * (2 + 8), 1e-5);
    assert.equal(makeArchitecture('soft', spec, { lambda: 0 }).penalty!(p), null);
    pen.dispose();
    disposeParams(p);
    // The default common start ties the hidden layers exactly (zero penalty), heads stay separate.
    const q = net.init(new Rng(4));
    const zero = net.penalty!(q)!;
    close(zero.dataSync()[0], 0, 1e-12);
    assert.deepEqual(q['task0.fc0.w'].dataSync(), q['task1.fc0.w'].dataSync());
    assert.notDeepEqual(q['task0.out.w'].dataSync(), q['task1.out.w'].dataSync());
    const sep = makeArchitecture('soft', spec, { lambda: 0.5, init: 'separate' });
    const r = sep.init(new Rng(4));
    const pos = sep.penalty!(r)!;
    assert.ok(pos.dataSync()[0] > 0);
    tf.dispose([zero, pos]);
    disposeParams(q);
    disposeParams(r);
  });

  it('intervals add the spread over test rows and over seeds', () => {
    // One seed: the usual normal interval over rows.
    const one = seedRowCI([[1, 0, 1, 1]]);
    close(one.mean, 0.75, 1e-12);
    close(one.ci95, (1.96 * Math.sqrt(0.25)) / 2, 1e-12);
    // Two seeds: row means [0.5, 1.5, 2.5] (variance 1, / 3 rows), seed means 1 and 2 (variance 0.5, / 2 seeds).
    const two = seedRowCI([
      [0, 1, 2],
      [1, 2, 3],
    ]);
    close(two.mean, 1.5, 1e-12);
    close(two.ci95, 1.96 * Math.sqrt(1 / 3 + 0.5 / 2), 1e-12);
    assert.equal(two.n, 3);
    assert.equal(verdictOf({ mean: -1, ci95: 0.5, n: 10 }), 'negative');
    assert.equal(verdictOf({ mean: 1, ci95: 0.5, n: 10 }), 'positive');
    assert.equal(verdictOf({ mean: -1, ci95: 1.5, n: 10 }), 'n.s.');
  });

  it('the grouped optimiser steps only groups that received a gradient', () => {
    const opt = new GroupedOptimizer(sgd(0.5), (k) => k[0]);
    const p: Params = { a1: tf.tensor1d([1]), a2: tf.tensor1d([1]), b: tf.tensor1d([1]) };
    const g: Params = { a1: tf.tensor1d([2]) };
    const next = opt.step(p, g);
    close(next.a1.dataSync()[0], 0, 1e-7);
    close(next.a2.dataSync()[0], 1, 1e-7);
    assert.equal(next.b, p.b);
    tf.dispose(g.a);
    disposeParams(next);
    opt.dispose();
  });

  it('training keeps tensor memory flat', () => {
    const set = toySet(3);
    const spec = { inputDim: 6, descriptorDim: 3, outDims: set.tasks.map((t) => t.outDim), hidden: [8] };
    const counts: number[] = [];
    for (const [arch, weighting] of [
      ['mtan', 'gradnorm'],
      ['sluice', 'pcgrad'],
      ['film', 'uncertainty'],
    ] as const) {
      const before = tf.memory().numTensors;
      const r = trainMultiTask(makeArchitecture(arch, spec), set, {
        steps: 40,
        batchSize: 8,
        weighting,
        seed: 1,
        tasksPerStep: 2,
        sampler: 'proportional',
        onStep: (s) => {
          if (s.step === 5 || s.step === 39) counts.push(tf.memory().numTensors);
        },
      });
      assert.equal(counts.length, 2);
      assert.equal(
        counts[1],
        counts[0],
        `${arch} + ${weighting}: numTensors grew from ${counts[0]} to ${counts[1]}`,
      );
      counts.length = 0;
      disposeParams(r.params);
      disposeParams(r.weightingParams);
      assert.equal(tf.memory().numTensors, before, `${arch} + ${weighting} left tensors behind`);
    }
  });

  it('training is reproducible from the seed', () => {
    const set = toySet(2);
    const spec = { inputDim: 6, descriptorDim: 2, outDims: set.tasks.map((t) => t.outDim), hidden: [8] };
    const run = () => {
      const r = trainMultiTask(makeArchitecture('multihead', spec), set, {
        steps: 10,
        batchSize: 4,
        seed: 7,
        tasksPerStep: 1,
        sampler: 'temperature',
      });
      const v = Array.from(r.params['trunk.fc0.w'].dataSync());
      disposeParams(r.params);
      return { v, losses: r.history.map((h) => h.losses) };
    };
    assert.deepEqual(run(), run());
  });
});

describe('multitask errors', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  const spec = { inputDim: 6, descriptorDim: 3, outDims: [2, 3, 2] };

  it('unknown names list the known ones', () => {
    assert.throws(
      () => makeArchitecture('hypernet', spec),
      /unknown architecture 'hypernet'; known architectures: concat, additive, multihead, gating, film, independent, cross-stitch, sluice, mtan, soft, relationship, routing, mmoe, cgc, ple, dselect-k/,
    );
    assert.throws(
      () => makeWeighting('forum'),
      /unknown weighting 'forum'; known weightings: equal, fixed, uncertainty, dwa, gradnorm, pcgrad, auto-lambda, mgda, gradvac, graddrop, imtl, cagrad, nash-mtl, rlw, aligned-mtl, db-mtl, famo, upgrad, gls, moco, excess-mtl, stch, fairgrad, modo, sdmgrad$/,
    );
    assert.throws(
      () => makeSampler('round-robin'),
      /unknown task sampler 'round-robin'; known samplers: uniform, proportional, temperature, annealed/,
    );
    const set = toySet(3);
    assert.throws(
      () =>
        trainMultiTask(makeArchitecture('multihead', spec), set, {
          steps: 1,
          batchSize: 2,
          weighting: 'nope' as never,
        }),
      /unknown weighting 'nope'/,
    );
  });

  it('misspelt options and bad values are errors', () => {
    assert.throws(
      () => makeArchitecture('soft', spec, { lamda: 1 } as never),
      /soft: unknown option 'lamda'; known options: lambda, tie, init/,
    );
    assert.throws(
      () => makeArchitecture('soft', spec, { lambda: -1 }),
      /'lambda' must be a number in \[0, Infinity\]/,
    );
    assert.throws(() => makeArchitecture('sluice', { ...spec, hidden: [8, 6] }), /same width/);
    assert.throws(() => makeArchitecture('concat', { ...spec, outDims: [] }), /outDims/);
    assert.throws(() => makeWeighting('fixed', { weights: [1, -1] }), /non-negative/);
    const set = toySet(3);
    assert.throws(
      () => trainMultiTask(makeArchitecture('multihead', spec), set, { steps: 0, batchSize: 2 }),
      /'steps' must be a positive integer/,
    );
    const before = tf.memory().numTensors;
    assert.throws(
      () =>
        trainMultiTask(makeArchitecture('multihead', spec), set, {
          steps: 1,
          batchSize: 2,
          weighting: makeWeighting('fixed', { weights: [1, 1] }),
        }),
      /2 weights given for 3 tasks/,
    );
    assert.equal(tf.memory().numTensors, before, 'a rejected run leaves no tensors');
    assert.throws(
      () =>
        trainMultiTask(makeArchitecture('multihead', { ...spec, outDims: [2, 2] }), set, {
          steps: 1,
          batchSize: 2,
        }),
      /built for 2 tasks, the set has 3/,
    );
  });

  it('a task with no rows is rejected by name', () => {
    const set = toySet(3);
    const empty: MultiTaskSet = {
      ...set,
      tasks: set.tasks.map((t, i) =>
        i === 1 ? { ...t, train: { n: 0, x: new Float32Array(0), y: new Float32Array(0) } } : t,
      ),
    };
    assert.throws(() => validateTaskSet(empty), /task 't1' has no training rows/);
    assert.throws(
      () => trainMultiTask(makeArchitecture('multihead', spec), empty, { steps: 1, batchSize: 2 }),
      /task 't1' has no training rows/,
    );
    const noTest: MultiTaskSet = {
      ...set,
      tasks: set.tasks.map((t, i) =>
        i === 2 ? { ...t, test: { n: 0, x: new Float32Array(0), y: new Float32Array(0) } } : t,
      ),
    };
    assert.throws(() => validateTaskSet(noTest, { needTest: true }), /task 't2' has no test rows/);
    const badLabel: MultiTaskSet = {
      ...set,
      tasks: set.tasks.map((t, i) =>
        i === 0 ? { ...t, train: { ...t.train, y: t.train.y.map(() => 5) } } : t,
      ),
    };
    assert.throws(
      () => validateTaskSet(badLabel),
      /task 't0': training row 0 has target 5, not a class in \[0, 2\)/,
    );
    assert.throws(() => validateTaskSet({ ...set, tasks: [] }), /no tasks/);
  });
});
