// Deep relationship networks (issue 19): the closed-form task covariance, the prior's gradient, the
// learned relations on tasks built to be related and anti-related, shapes, leaks, the heat map.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { disposeParams } from '../src/nn/params.js';
import {
  heatmapSvg,
  invertMatrix,
  makeArchitecture,
  relationCovariances,
  taskCovariance,
  trainMultiTask,
  type MultiTaskSet,
  type MultiTaskTask,
} from '../src/multitask/index.js';
import { loadBenchmark } from '../src/multitask/benchmarks.js';

let base: MultiTaskSet;
before(async () => {
  await initEngine({ backend: 'cpu' });
  base = loadBenchmark('youtube-spam', { maxTasks: 1, maxRowsPerTask: 120 });
});

describe('relation (deep relationship networks)', () => {
  it('inverts and computes the task covariance in closed form', () => {
    const a = [
      [4, 1, 0],
      [1, 3, 1],
      [0, 1, 2],
    ];
    const inv = invertMatrix(a);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const v = a[i].reduce((s, x, k) => s + x * inv[k][j], 0);
        assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-12);
      }
    // W rows (tasks) [1, 0] and [1, 1]: W W^T = [[1, 1], [1, 2]] has the square root
    // [[2, 1], [1, 3]] / sqrt(5), trace sqrt(5); so Omega = [[0.4, 0.2], [0.2, 0.6]] + 0.1 / 2 I.
    const c = taskCovariance([1, 0, 1, 1], 2, 2, 0.1);
    assert.deepEqual(
      c.map((r) => r.map((v) => Number(v.toFixed(6)))),
      [
        [0.45, 0.2],
        [0.2, 0.65],
      ],
    );
    // A 4 x 4 case: Omega - ridge squared, times the trace squared, is W W^T again.
    const rng = new Rng(9);
    const w = Array.from({ length: 4 * 7 }, () => rng.normal());
    const o = taskCovariance(w, 4, 7, 0);
    const tr = o.reduce((a, r, i) => a + r[i], 0);
    assert.ok(Math.abs(tr - 1) < 1e-9, `trace ${tr}`);
    const o2 = o.map((r) => r.map((_, j) => r.reduce((a, x, k) => a + x * o[k][j], 0)));
    const g = (i: number, j: number) =>
      w.slice(i * 7, i * 7 + 7).reduce((a, x, k) => a + x * w[j * 7 + k], 0);
    const scale = g(0, 0) / o2[0][0];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        assert.ok(Math.abs(o2[i][j] * scale - g(i, j)) < 1e-8 * Math.abs(scale), `${i},${j}`);
  });

  it("the prior's gradient is lambda Omega^-1 W with Omega the step's closed-form covariance", () => {
    const spec = { inputDim: base.inputDim, descriptorDim: 1, outDims: [2, 2, 2], hidden: [6, 4] };
    const lambda = 0.3;
    const net = makeArchitecture('relationship', spec, { lambda });
    const p = net.init(new Rng(2));
    // Move the tasks apart so Omega is not the start's all-equal matrix.
    const rng = new Rng(3);
    for (const k of Object.keys(p))
      if (k.startsWith('task')) {
        const old = p[k];
        p[k] = tf.add(old, tf.mul(rng.normalTensor(old.shape), 0.1));
        old.dispose();
      }
    assert.deepEqual(p['task1.fc.w'].shape, [6, 4]);
    assert.deepEqual(p['task2.out.w'].shape, [4, 2]);
    const keys = Object.keys(p).filter((k) => k.startsWith('task'));
    const grads = tf.grads((...ts: tf.Tensor[]) =>
      net.penalty!({ ...p, ...Object.fromEntries(keys.map((k, i) => [k, ts[i]])) })!,
    )(keys.map((k) => p[k]));
    const g = Object.fromEntries(keys.map((k, i) => [k, grads[i]]));
    for (const layer of ['fc', 'out']) {
      const rows = [0, 1, 2].map((t) =>
        Float64Array.from([...p[`task${t}.${layer}.w`].dataSync(), ...p[`task${t}.${layer}.b`].dataSync()]),
      );
      const D = rows[0].length;
      const inv = invertMatrix(
        taskCovariance(
          rows.flatMap((r) => [...r]),
          3,
          D,
          0.1,
        ),
      );
      for (let t = 0; t < 3; t++) {
        const want = rows[0].map((_, k) => lambda * rows.reduce((s, r, u) => s + inv[t][u] * r[k], 0));
        const got = [...g[`task${t}.${layer}.w`].dataSync(), ...g[`task${t}.${layer}.b`].dataSync()];
        const err = Math.max(...want.map((w, k) => Math.abs(w - got[k])));
        const scale = Math.max(...want.map(Math.abs));
        assert.ok(err < 1e-4 * scale, `task ${t} ${layer}: max error ${err} of ${scale}`);
      }
    }
    tf.dispose(grads);
    disposeParams(p);
    const uneven = makeArchitecture('relationship', { ...spec, outDims: [2, 3, 2] });
    const pu = uneven.init(new Rng(1));
    assert.deepEqual(pu['task1.out.w'].shape, [4, 3]);
    assert.deepEqual(
      relationCovariances(pu, 3).map((c) => c.layer),
      ['fc'],
    );
    tf.dispose(uneven.penalty!(pu)!);
    disposeParams(pu);
    assert.throws(
      () => makeArchitecture('relationship', spec, { lamda: 1 } as never),
      /unknown option 'lamda'/,
    );
  });

  it('learns a positive relation between copies of a task and a negative one to its label-flipped copy', () => {
    const t0 = base.tasks[0];
    const flip = (rows: MultiTaskTask['train']) => ({ ...rows, y: rows.y.map((v) => 1 - v) });
    const tasks: MultiTaskTask[] = [
      { ...t0, id: 'A' },
      { ...t0, id: 'A again' },
      { ...t0, id: 'A flipped', train: flip(t0.train), test: flip(t0.test) },
    ];
    const set: MultiTaskSet = { ...base, name: 'relation-test', tasks };
    const spec = {
      inputDim: set.inputDim,
      descriptorDim: t0.descriptor.length,
      outDims: [2, 2, 2],
      hidden: [16, 8],
    };
    const before = tf.memory().numTensors;
    const r = trainMultiTask(makeArchitecture('relationship', spec, { lambda: 1e-3 }), set, {
      steps: 60,
      batchSize: 16,
      lr: 1e-2,
      seed: 1,
    });
    const [, out] = relationCovariances(r.params, 3);
    disposeParams(r.params);
    disposeParams(r.weightingParams);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(out.layer, 'out');
    const c = out.correlation;
    assert.ok(c[0][1] > 0.7, `copies: correlation ${c[0][1]}`);
    assert.ok(c[0][2] < c[0][1] - 0.2, `flipped copy: correlation ${c[0][2]} vs copies ${c[0][1]}`);
    const svg = heatmapSvg(c, { title: 'task correlation <out>', labels: tasks.map((t) => t.id) });
    assert.match(svg, /^<svg /);
    assert.match(svg, /task correlation &lt;out&gt;/);
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 9);
    assert.throws(() => heatmapSvg([[1, 2]], { title: 't', labels: ['a'] }), /square matrix/);
  });
});
