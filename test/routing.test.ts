// Routing networks with a WPL-trained per-task router (issue 19): the policy update, routes in training
// and evaluation, gradients reaching only the route taken, determinism, leaks.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { TRAIN, EVAL } from '../src/nn/module.js';
import { disposeParams } from '../src/nn/params.js';
import {
  buildBatch,
  disposeBatch,
  makeArchitecture,
  routingNet,
  trainMultiTask,
  wplUpdate,
  type MultiTaskSet,
} from '../src/multitask/index.js';
import { partialGrads } from '../src/multitask/weighting/grads.js';
import { loadBenchmark } from '../src/multitask/benchmarks.js';
import { LOSS_OF_KIND } from '../src/tasks/losses.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers/runs.js';

let set: MultiTaskSet;
before(async () => {
  await initEngine({ backend: 'cpu' });
  set = loadBenchmark('youtube-spam', { maxTasks: 3, maxRowsPerTask: 60 });
});
const spec = () => ({
  inputDim: set.inputDim,
  descriptorDim: set.tasks[0].descriptor.length,
  outDims: set.tasks.map((t) => t.outDim),
  hidden: [8, 8],
});

describe('routing (routing networks, WPL router)', () => {
  it('WPL moves probability towards the better block, damped near the simplex edge', () => {
    const p = wplUpdate([0.5, 0.5], [1, 0], 0.1, 0);
    assert.ok(Math.abs(p[0] - 0.525) < 1e-12 && Math.abs(p[1] - 0.475) < 1e-12, `${p}`);
    let pi = [1 / 3, 1 / 3, 1 / 3];
    for (let i = 0; i < 2000; i++) pi = wplUpdate(pi, [0, -1, -1], 0.1, 0.01);
    assert.ok(pi[0] > 0.97 && pi[1] >= 0.0099 && pi[2] >= 0.0099, `${pi}`);
    assert.ok(Math.abs(pi.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  });

  it("a task's loss reaches only the blocks of its route; evaluation takes the greedy route", () => {
    const net = routingNet(spec(), { blocks: 3 });
    const p = net.init(new Rng(1));
    assert.deepEqual(p['route0.b2.w'].shape, [set.inputDim, 8]);
    assert.deepEqual(p['head2.w'].shape, [8, 2]);
    const batch = buildBatch(set, [{ task: 1, rows: [0, 1, 2, 3] }]);
    const route = net.router().route[1];
    const { grads } = partialGrads(p, (q) =>
      LOSS_OF_KIND.classification.fn(net.apply(q, batch.input, TRAIN)[0], batch.targets[0]),
    );
    const blocks = Object.keys(grads)
      .filter((k) => k.startsWith('route') && k.endsWith('.w'))
      .sort();
    assert.deepEqual(blocks, route.map((k, l) => `route${l}.b${k}.w`).sort());
    assert.ok(!('head0.w' in grads) && 'head1.w' in grads);
    tf.dispose(Object.values(grads));
    // Evaluation: the most probable blocks (uniform at the start: the first).
    assert.deepEqual(net.greedyRoute(1), [0, 0]);
    const out = net.apply(p, batch.input, EVAL);
    assert.deepEqual(out[0].shape, [4, 2]);
    tf.dispose(out);
    disposeBatch(batch);
    disposeParams(p);
  });

  it('trains: policies leave uniform, same seed same policies, no tensors left', () => {
    const run = () => {
      const net = makeArchitecture('routing', spec(), { blocks: 2, policyLr: 0.5 }) as ReturnType<
        typeof routingNet
      >;
      const r = trainMultiTask(net, set, { steps: 30, batchSize: 8, lr: 1e-2, seed: 3 });
      disposeParams(r.params);
      disposeParams(r.weightingParams);
      return JSON.stringify(net.router().policy);
    };
    const before = tf.memory().numTensors;
    const a = run();
    assert.equal(a, run());
    assert.equal(tf.memory().numTensors, before);
    const pol = JSON.parse(a) as number[][][];
    assert.ok(
      pol.flat().some((pr) => Math.abs(pr[0] - 0.5) > 0.01),
      `policies stayed uniform: ${a}`,
    );
    assert.throws(() => makeArchitecture('routing', spec(), { blocks: 0 }), /option 'blocks'/);
  });

  it('the CLI runs auto-lambda, relation and routing settings in the transfer report', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-automl-'));
    try {
      const labels = ['multihead + auto-lambda', 'relationship λ=0.001', 'routing (WPL)'];
      const r = runCli([
        'transfer',
        'youtube-spam',
        '--quick',
        '--steps',
        '3',
        '--hidden',
        '8',
        '--settings',
        labels.join(','),
        '--out',
        dir,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const md = readFileSync(path.join(dir, 'youtube-spam.md'), 'utf8');
      for (const l of labels) assert.ok(md.includes(`| ${l} |`), `no row for '${l}'`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
