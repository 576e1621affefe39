// ResNet-12 (MetaOptNet) and Conv4 on 84x84 colour images: shapes, parameters, gradients, no leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import { resnet12 } from '../src/nn/resnet12.js';
import { conv4 } from '../src/nn/conv4.js';
import { TRAIN } from '../src/nn/module.js';
import { disposeParams, valueAndGrads } from '../src/nn/params.js';

test('resnet12: 84x84x3 -> 5x5xC features (or C with average pooling), every parameter gets a gradient', () => {
  const before = tf.memory().numTensors;
  const net = resnet12({ channels: [4, 5, 6, 7] });
  const p = net.init(new Rng(0));
  // 4 blocks x (3 convs + 3 bns + shortcut conv + shortcut bn): 4 x (3 + 6 + 1 + 2) tensors.
  assert.equal(Object.keys(p).length, 48);
  assert.deepEqual(p['block1.conv1.w'].shape, [3, 3, 4, 5]);
  assert.deepEqual(p['block3.short.w'].shape, [1, 1, 6, 7]);
  assert.equal(net.outputDim(84, 84), 5 * 5 * 7);
  const x = new Rng(1).normalTensor([1, 84, 84, 3]);
  const y = net.apply(p, x, TRAIN);
  assert.deepEqual(y.shape, [1, 175]);
  const avg = resnet12({ channels: [4, 5, 6, 7], pool: 'avg' });
  assert.equal(avg.outputDim(84, 84), 7);
  const ya = avg.apply(p, x, TRAIN);
  assert.deepEqual(ya.shape, [1, 7]);
  const { value, grads } = valueAndGrads(p, (q) => tf.sum(tf.square(net.apply(q, x, TRAIN))) as tf.Scalar);
  for (const [k, g] of Object.entries(grads)) {
    assert.deepEqual(g.shape, p[k].shape, k);
    assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0, `gradient of ${k} is zero`);
  }
  const small = tf.zeros([1, 8, 8, 3]);
  assert.throws(() => net.apply(p, small, TRAIN), /too small for 4 pooling blocks/);
  tf.dispose([x, y, ya, value, small]);
  disposeParams(grads);
  disposeParams(p);
  assert.equal(tf.memory().numTensors, before);
});

test('conv4 on 84x84x3: 84 -> 42 -> 21 -> 10 -> 5, a 5x5xhidden embedding', () => {
  const net = conv4({ inChannels: 3, hidden: 6 });
  const p = net.init(new Rng(0));
  assert.equal(net.outputDim(84, 84), 5 * 5 * 6);
  const x = tf.zeros([2, 84, 84, 3]);
  const y = net.apply(p, x, TRAIN);
  assert.deepEqual(y.shape, [2, 150]);
  tf.dispose([x, y]);
  disposeParams(p);
});

test('resnet12: a wasm training pass too large for the 4 GiB heap is refused before it starts', async () => {
  const { initEngine } = await import('../src/engine/backend.js');
  const { resnet12ActivationBytes, WASM_ACTIVATION_LIMIT } = await import('../src/nn/resnet12.js');
  // 80 images of 84x84 (5-way 1-shot 15 queries) at the default widths: 3.4 GiB kept for backprop.
  assert.equal((resnet12ActivationBytes(80, 84, 84) / 2 ** 30).toFixed(2), '3.43');
  assert.ok(resnet12ActivationBytes(32, 84, 84) <= WASM_ACTIVATION_LIMIT);
  assert.ok(resnet12ActivationBytes(33, 84, 84) > WASM_ACTIVATION_LIMIT);
  const was = tf.getBackend();
  await initEngine({ backend: 'wasm' });
  const before = tf.memory().numTensors;
  const net = resnet12();
  const p = net.init(new Rng(0));
  const x = tf.zeros([80, 84, 84, 3]);
  try {
    assert.throws(
      () => valueAndGrads(p, (q) => tf.mean(net.apply(q, x, TRAIN)) as tf.Scalar),
      /resnet12: a training pass on 80 images of 84x84 keeps about 3\.4 GiB of activations, more than the wasm backend's 4 GiB memory holds .*up to 32 images of this size/,
    );
  } finally {
    x.dispose();
    disposeParams(p);
  }
  assert.equal(tf.memory().numTensors, before);
  await tf.setBackend(was);
});
