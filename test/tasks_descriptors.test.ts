import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import {
  descriptorMatrix,
  metadataDescriptor,
  oneHotDescriptor,
  textDescriptor,
  noDescriptor,
} from '../src/tasks/descriptors.js';
import { HashingTextEmbedder } from '../src/data/text.js';
import {
  disposeSupportQuery,
  finiteTaskDistribution,
  sampleSupportQuery,
  type Task,
} from '../src/tasks/types.js';
import { crossEntropyLoss, mseLoss } from '../src/tasks/losses.js';
import { loadParkinsons, loadYoutubeSpam } from '../src/data/tabular_files.js';
import { tabularTaskDistribution } from '../src/tasks/tabular.js';
import { SinusoidTasks } from '../src/tasks/sinusoid.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('descriptors: one-hot, metadata, text; stacked into one matrix', () => {
  const a = oneHotDescriptor(2, 4);
  assert.deepEqual(Array.from(a.vector), [0, 0, 1, 0]);
  assert.throws(() => oneHotDescriptor(4, 4), /index 4 out of range \[0, 4\)/);
  const m = metadataDescriptor([63, 1], ['age', 'sex']);
  assert.equal(m.kind, 'metadata');
  assert.throws(() => metadataDescriptor([NaN], ['age']), /value 0 \('age'\) is not finite/);
  const t1 = textDescriptor('classify spam comments on a music video');
  const t2 = textDescriptor('classify spam comments on a music video');
  assert.deepEqual(t1.vector, t2.vector);
  assert.equal(t1.vector.length, 64);
  const custom = textDescriptor('x', new HashingTextEmbedder({ dim: 8 }));
  assert.equal(custom.vector.length, 8);
  assert.equal(noDescriptor().vector.length, 0);
  const z = descriptorMatrix([oneHotDescriptor(0, 3), oneHotDescriptor(2, 3)]);
  assert.deepEqual(z.shape, [2, 3]);
  assert.deepEqual(Array.from(z.dataSync()), [1, 0, 0, 0, 0, 1]);
  z.dispose();
  assert.throws(
    () => descriptorMatrix([oneHotDescriptor(0, 3), m]),
    /descriptor 1 \(metadata\) has length 2, descriptor 0 has 3/,
  );
});

test('finite task distributions: uniform or weighted', () => {
  const tasks = ['a', 'b', 'c'].map((id, i): Task => ({
    id,
    descriptor: oneHotDescriptor(i, 3),
    loss: mseLoss,
    source: new SinusoidTasks().task(1, 0).source,
  }));
  const rng = new Rng(0);
  const uniform = finiteTaskDistribution('u', tasks);
  const cu = { a: 0, b: 0, c: 0 } as Record<string, number>;
  for (let i = 0; i < 3000; i++) cu[uniform.sample(rng).id]++;
  assert.ok(
    Object.values(cu).every((n) => n > 900 && n < 1100),
    JSON.stringify(cu),
  );
  const weighted = finiteTaskDistribution('w', tasks, [0, 1, 3]);
  const cw = { a: 0, b: 0, c: 0 } as Record<string, number>;
  for (let i = 0; i < 4000; i++) cw[weighted.sample(rng).id]++;
  assert.equal(cw.a, 0);
  assert.ok(cw.c > 2.5 * cw.b && cw.c < 3.5 * cw.b, JSON.stringify(cw));
  assert.throws(() => finiteTaskDistribution('e', []), /task distribution 'e': no tasks/);
  assert.throws(() => finiteTaskDistribution('x', tasks, [1, 2]), /2 weights for 3 tasks/);
});

test('YouTube spam as tasks: stratified K-shot support and query, cross-entropy loss', () => {
  const dist = tabularTaskDistribution(loadYoutubeSpam(), 'onehot');
  assert.equal(dist.tasks!.length, 5);
  const rng = new Rng(1);
  const before = tf.memory().numTensors;
  const task = dist.tasks![2];
  assert.equal(task.id, 'LMFAO');
  assert.deepEqual(Array.from(task.descriptor.vector), [0, 0, 1, 0, 0]);
  assert.equal(task.loss, crossEntropyLoss);
  const sq = sampleSupportQuery(task.source, 4, 6, rng);
  assert.deepEqual(sq.support.x.shape, [8, 256]);
  assert.deepEqual(Array.from(sq.support.y.dataSync()), [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(sq.query.y.shape, [12]);
  const logits = tf.zeros([8, 2]);
  const l = task.loss.fn(logits, sq.support.y);
  assert.ok(Math.abs(l.dataSync()[0] - Math.log(2)) < 1e-6);
  tf.dispose([logits, l]);
  disposeSupportQuery(sq);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(
    () => task.source.supportQuery(300, 1, rng),
    /task 'LMFAO' has \d+ rows of class 0, fewer than K \+ Q = 301/,
  );
});

test('Parkinsons as tasks: per-patient regression with metadata descriptors', () => {
  const { train } = loadParkinsons();
  const dist = tabularTaskDistribution(train, 'metadata');
  const task = dist.sample(new Rng(4));
  assert.equal(task.descriptor.kind, 'metadata');
  assert.equal(task.descriptor.vector.length, 2);
  assert.equal(task.loss.name, 'mse');
  const sq = sampleSupportQuery(task.source, 10, 20, new Rng(5));
  assert.deepEqual(sq.support.x.shape, [10, 16]);
  assert.deepEqual(sq.query.y.shape, [20, 2]);
  disposeSupportQuery(sq);
  const text = tabularTaskDistribution(train, 'text');
  assert.equal(text.tasks![0].descriptor.kind, 'text');
});
