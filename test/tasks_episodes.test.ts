import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import { SyntheticAlphabet } from '../src/data/synthetic.js';
import { type ClassDataset, readExample } from '../src/data/types.js';
import { EpisodeSampler, EpisodeSet } from '../src/tasks/episodes.js';
import { loadEpisodeSet, saveEpisodeSet } from '../src/tasks/episode_files.js';
import { sampleDistinct } from '../src/engine/rng.js';
import { ClassSubset } from '../src/data/views.js';
import { disposeSupportQuery } from '../src/tasks/types.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

const ds = new SyntheticAlphabet({ numClasses: 30, seed: 11 });

test('an N-way K-shot episode: shapes, class-ordered labels 0..N-1, pixels from the right examples', () => {
  const sampler = new EpisodeSampler(ds, { nWay: 5, kShot: 2, nQuery: 3 });
  const before = tf.memory().numTensors;
  const spec = sampler.sampleSpec(new Rng(1));
  const ep = sampler.build(spec);
  assert.deepEqual(ep.support.x.shape, [10, 28, 28, 1]);
  assert.deepEqual(ep.query.x.shape, [15, 28, 28, 1]);
  assert.equal(ep.support.x.dtype, 'float32');
  assert.equal(ep.support.y.dtype, 'int32');
  assert.deepEqual(Array.from(ep.support.y.dataSync()), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(Array.from(ep.query.y.dataSync()), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
  assert.equal(new Set(ep.classes).size, 5);
  assert.deepEqual(
    ep.classNames,
    ep.classes.map((c) => ds.className(c)),
  );
  assert.deepEqual([ep.nWay, ep.kShot, ep.nQuery], [5, 2, 3]);
  const sx = ep.support.x.dataSync();
  const qx = ep.query.x.dataSync();
  spec.classes.forEach((c, j) => {
    assert.equal(
      new Set([...spec.support[j], ...spec.query[j]]).size,
      5,
      'support and query examples are distinct',
    );
    spec.support[j].forEach((i, s) =>
      assert.deepEqual(sx.subarray((j * 2 + s) * 784, (j * 2 + s + 1) * 784), readExample(ds, c, i)),
    );
    spec.query[j].forEach((i, q) =>
      assert.deepEqual(qx.subarray((j * 3 + q) * 784, (j * 3 + q + 1) * 784), readExample(ds, c, i)),
    );
  });
  disposeSupportQuery(ep);
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
});

test('same seed, same episodes; different seed, different episodes', () => {
  const sampler = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 15 });
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 20; i++) assert.deepEqual(sampler.sampleSpec(a), sampler.sampleSpec(b));
  const e1 = sampler.sample(new Rng(7));
  const e2 = sampler.sample(new Rng(7));
  assert.deepEqual(e1.query.x.dataSync(), e2.query.x.dataSync());
  assert.notDeepEqual(sampler.sampleSpec(new Rng(8)), sampler.sampleSpec(new Rng(7)));
  for (const e of [e1, e2]) disposeSupportQuery(e);
});

test('every class and example gets drawn (no bias to low ids)', () => {
  const sampler = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 1 });
  const rng = new Rng(3);
  const classCount = new Array(30).fill(0);
  const exCount = new Array(20).fill(0);
  for (let i = 0; i < 3000; i++) {
    const s = sampler.sampleSpec(rng);
    s.classes.forEach((c) => classCount[c]++);
    exCount[s.support[0][0]]++;
  }
  // 3000 * 5 / 30 = 500 expected per class; 3000 / 20 = 150 per example index.
  assert.ok(Math.min(...classCount) > 400 && Math.max(...classCount) < 600, `${classCount}`);
  assert.ok(Math.min(...exCount) > 100 && Math.max(...exCount) < 200, `${exCount}`);
  assert.deepEqual(sampleDistinct(5, 5, new Rng(0)).sort(), [0, 1, 2, 3, 4]);
  assert.throws(() => sampleDistinct(3, 4, new Rng(0)), /cannot draw 4 distinct items from 3/);
});

test('a batch of episodes stacks on a leading axis', () => {
  const sampler = new EpisodeSampler(ds, { nWay: 3, kShot: 2, nQuery: 4 });
  const batch = sampler.sampleBatch(new Rng(2), 6);
  assert.deepEqual(batch.support.x.shape, [6, 6, 28, 28, 1]);
  assert.deepEqual(batch.query.y.shape, [6, 12]);
  const one = sampler.build(batch.specs[4]);
  const qx = batch.query.x.dataSync();
  assert.deepEqual(qx.subarray(4 * 12 * 784, 5 * 12 * 784), one.query.x.dataSync());
  assert.deepEqual(Array.from(batch.support.y.dataSync().subarray(6 * 4, 6 * 5)), [0, 0, 1, 1, 2, 2]);
  disposeSupportQuery(batch);
  disposeSupportQuery(one);
});

test('bad episode requests fail naming the dataset or class', () => {
  assert.throws(
    () => new EpisodeSampler(ds, { nWay: 31, kShot: 1, nQuery: 1 }),
    /cannot sample 31-way episodes from only 30 classes/,
  );
  assert.throws(
    () => new EpisodeSampler(ds, { nWay: 5, kShot: 10, nQuery: 11 }),
    /class 'glyph0000' \(id 0\) has 20 examples, fewer than K \+ Q = 10 \+ 11 = 21/,
  );
  // One small class among large ones is named.
  const uneven: ClassDataset = {
    name: 'uneven',
    numClasses: 3,
    exampleShape: [2],
    examplesOf: (c) => (c === 1 ? 2 : 10),
    read: (_c, _i, out, off = 0) => out.fill(0, off, off + 2),
    className: (c) => ['apple', 'pear', 'plum'][c],
  };
  assert.throws(
    () => new EpisodeSampler(uneven, { nWay: 2, kShot: 1, nQuery: 2 }),
    /uneven: class 'pear' \(id 1\) has 2 examples/,
  );
  assert.throws(
    () => new EpisodeSampler(ds, { nWay: 0, kShot: 1, nQuery: 1 }),
    /nWay must be an integer >= 1/,
  );
  assert.throws(() => new EpisodeSampler(ds, { nWay: 2, kShot: 1.5, nQuery: 1 }), /kShot must be an integer/);
  const sampler = new EpisodeSampler(ds, { nWay: 2, kShot: 1, nQuery: 1 });
  assert.throws(
    () => sampler.build({ classes: [0, 99], support: [[0], [0]], query: [[1], [1]] }),
    /class id 99 out of range/,
  );
  assert.throws(
    () => sampler.build({ classes: [0, 1], support: [[0], [0]], query: [[0], [1]] }),
    /example 0 of class 'glyph0000' is used twice/,
  );
});

test('an EpisodeSet saved to JSON replays exactly the same episodes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-eps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sampler = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 5 });
  const set = EpisodeSet.generate(sampler, 25, 1234);
  const path = join(dir, 'eval-5w1s.json');
  saveEpisodeSet(set, path);
  assert.deepEqual(readdirSync(dir), ['eval-5w1s.json']);
  const loaded = loadEpisodeSet(path);
  assert.equal(loaded.length, 25);
  assert.deepEqual([loaded.nWay, loaded.kShot, loaded.nQuery], [5, 1, 5]);
  assert.deepEqual(loaded.toJSON(), set.toJSON());
  assert.equal(loaded.toJSON().seed, 1234);
  // The same as sampling afresh with the seed.
  const rng = new Rng(1234);
  for (let i = 0; i < 25; i++) assert.deepEqual(loaded.spec(i).classes, sampler.sampleSpec(rng).classes);
  // A second model evaluated later sees the same pixels.
  const fresh = new EpisodeSampler(new SyntheticAlphabet({ numClasses: 30, seed: 11 }), {
    nWay: 5,
    kShot: 1,
    nQuery: 5,
  });
  const a = set.build(17, sampler);
  const b = loaded.build(17, fresh);
  assert.deepEqual(a.support.x.dataSync(), b.support.x.dataSync());
  assert.deepEqual(a.query.y.dataSync(), b.query.y.dataSync());
  disposeSupportQuery(a);
  disposeSupportQuery(b);
  loaded.checkDataset(fresh.dataset);
});

test('an EpisodeSet refuses the wrong dataset and malformed files, naming the field', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-eps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sampler = new EpisodeSampler(ds, { nWay: 3, kShot: 1, nQuery: 2 });
  const set = EpisodeSet.generate(sampler, 3, 0);
  // Same class count, different class order: caught by the stored class names.
  const reordered = new ClassSubset(
    ds,
    Array.from({ length: 30 }, (_, i) => 29 - i),
  );
  assert.throws(() => set.checkDataset(reordered), /episode 0 expects class \d+ to be 'glyph\d+'/);
  assert.throws(
    () => set.build(0, new EpisodeSampler(reordered, { nWay: 3, kShot: 1, nQuery: 2 })),
    /expects class/,
  );
  assert.throws(
    () => set.checkDataset(new SyntheticAlphabet({ numClasses: 10 })),
    /made from 'synthetic-alphabet\(seed=11\)' with 30 classes; 'synthetic-alphabet\(seed=0\)' has 10/,
  );
  const path = join(dir, 'bad.json');
  const json = set.toJSON();
  writeFileSync(path, JSON.stringify({ ...json, episodes: [{ ...json.episodes[0], support: [[0], [1]] }] }));
  assert.throws(
    () => loadEpisodeSet(path),
    new RegExp(
      `${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: field 'episodes\\[0\\]\\.support' should be 3 lists of 1 example indices`,
    ),
  );
  writeFileSync(path, JSON.stringify({ ...json, format: 'other' }));
  assert.throws(() => loadEpisodeSet(path), /field 'format' should be 'metalearn-episodes'/);
  writeFileSync(path, '{"format":');
  assert.throws(() => loadEpisodeSet(path), /bad\.json: not valid JSON/);
  assert.throws(() => loadEpisodeSet(join(dir, 'missing.json')), /missing\.json: cannot read episode set/);
});
