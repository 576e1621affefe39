import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import { SyntheticAlphabet } from '../src/data/synthetic.js';
import { SinusoidTasks } from '../src/tasks/sinusoid.js';
import { readExample } from '../src/data/types.js';
import { disposeSupportQuery, sampleSupportQuery } from '../src/tasks/types.js';
import { EpisodeSampler } from '../src/tasks/episodes.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('sinusoid tasks: MAML ranges, y = A sin(x - phase), metadata descriptor, MSE loss', () => {
  const dist = new SinusoidTasks();
  const rng = new Rng(0);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) {
    const task = dist.sample(rng);
    assert.ok(task.amplitude >= 0.1 && task.amplitude <= 5);
    assert.ok(task.phase >= 0 && task.phase <= Math.PI);
    assert.equal(task.descriptor.kind, 'metadata');
    assert.deepEqual(Array.from(task.descriptor.vector), [
      Math.fround(task.amplitude),
      Math.fround(task.phase),
    ]);
    assert.equal(task.loss.name, 'mse');
    const sq = sampleSupportQuery(task.source, 10, 5, rng);
    assert.deepEqual(sq.support.x.shape, [10, 1]);
    assert.deepEqual(sq.query.y.shape, [5, 1]);
    const x = sq.support.x.dataSync();
    const y = sq.support.y.dataSync();
    for (let k = 0; k < 10; k++) {
      assert.ok(x[k] >= -5 && x[k] <= 5);
      assert.ok(Math.abs(y[k] - task.amplitude * Math.sin(x[k] - task.phase)) < 1e-5);
    }
    const l = task.loss.fn(sq.support.y, sq.support.y);
    assert.equal(l.dataSync()[0], 0);
    l.dispose();
    disposeSupportQuery(sq);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('sinusoid batches: shapes and seeded reproducibility', () => {
  const dist = new SinusoidTasks();
  const a = dist.sampleBatch(new Rng(5), 4, 10, 7);
  const b = dist.sampleBatch(new Rng(5), 4, 10, 7);
  assert.deepEqual(a.support.x.shape, [4, 10, 1]);
  assert.deepEqual(a.query.y.shape, [4, 7, 1]);
  assert.deepEqual(a.query.y.dataSync(), b.query.y.dataSync());
  assert.deepEqual(a.amplitudes, b.amplitudes);
  disposeSupportQuery(a);
  disposeSupportQuery(b);
  assert.throws(() => new SinusoidTasks({ amplitude: [5, 0.1] }), /option amplitude must be a range/);
});

function corr(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

test('synthetic alphabet: deterministic glyphs in [0, 1], independent of read order', () => {
  const a = new SyntheticAlphabet({ numClasses: 30, seed: 3 });
  const b = new SyntheticAlphabet({ numClasses: 30, seed: 3, cache: false });
  assert.deepEqual(a.exampleShape, [28, 28, 1]);
  assert.equal(a.examplesOf(7), 20);
  const x = readExample(b, 29, 19); // read the last one first
  for (let c = 0; c < 30; c += 7)
    for (let i = 0; i < 20; i += 6) assert.deepEqual(readExample(a, c, i), readExample(b, c, i));
  assert.deepEqual(readExample(a, 29, 19), x);
  assert.ok(x.every((v) => v >= 0 && v <= 1));
  assert.ok(
    x.some((v) => v === 1),
    'strokes reach full ink',
  );
  assert.notDeepEqual(
    readExample(new SyntheticAlphabet({ numClasses: 30, seed: 4 }), 0, 0),
    readExample(a, 0, 0),
  );
  assert.equal(a.className(12), 'glyph0012');
  assert.throws(() => new SyntheticAlphabet({ numClasses: 0 }), /option numClasses must be an integer >= 1/);
});

test('synthetic alphabet: drawings of one character look alike, other characters do not', () => {
  const ds = new SyntheticAlphabet({ numClasses: 40, seed: 1 });
  let same = 0;
  let diff = 0;
  for (let c = 0; c < 40; c++) {
    same += corr(readExample(ds, c, 0), readExample(ds, c, 1));
    diff += corr(readExample(ds, c, 0), readExample(ds, (c + 1) % 40, 0));
  }
  same /= 40;
  diff /= 40;
  assert.ok(same > diff + 0.2, `within-class correlation ${same}, between-class ${diff}`);
  assert.ok(same < 0.98, 'drawings must vary');
  // Pixel nearest-neighbour, 5-way 1-shot: well above chance (0.2), below perfect.
  const acc = (ds: SyntheticAlphabet) => {
    const s = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 5 });
    const rng = new Rng(0);
    let ok = 0;
    for (let e = 0; e < 40; e++) {
      const { sx, qx, qy } = s.gather(s.sampleSpec(rng));
      for (let q = 0; q < 25; q++) {
        let best = -1;
        let bd = Infinity;
        for (let c = 0; c < 5; c++) {
          let d = 0;
          for (let j = 0; j < 784; j++) d += (qx[q * 784 + j] - sx[c * 784 + j]) ** 2;
          if (d < bd) {
            bd = d;
            best = c;
          }
        }
        ok += best === qy[q] ? 1 : 0;
      }
    }
    return ok / 1000;
  };
  const easy = acc(ds);
  const hard = acc(new SyntheticAlphabet({ numClasses: 40, seed: 1, jitter: 2 }));
  assert.ok(easy > 0.6 && easy < 0.97, `1-NN accuracy ${easy}`);
  assert.ok(hard < easy - 0.1 && hard > 0.3, `1-NN accuracy with jitter 2: ${hard}`);
  // jitter 0: every drawing is the same image.
  const fixed = new SyntheticAlphabet({ numClasses: 2, jitter: 0 });
  assert.deepEqual(readExample(fixed, 1, 0), readExample(fixed, 1, 5));
});
