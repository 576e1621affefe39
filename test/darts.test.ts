// Architectures as meta-parameters (issue 19): the DARTS cell search space, its derivation, the metanas
// learner (alpha in theta, first-order MAML on the weights) and the derived network as a backbone.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { TRAIN } from '../src/nn/module.js';
import { type Params, countParams, disposeParams } from '../src/nn/params.js';
import {
  ALPHA_KEY,
  DARTS_OPS,
  avgPool3x3,
  cellNet,
  deriveGenotype,
  maxPool3x3,
  parseGenotype,
} from '../src/nn/darts.js';
import { learnerEntry } from '../src/meta/registry.js';
import { metaGrads } from '../src/meta/common.js';
import { resolveConfig } from '../src/experiment/config.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { gradCheck, secondOrderCheck } from './helpers/gradcheck.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

function episode(rng: Rng, ways: number, size: number): SupportQuery {
  const set = (per: number) => ({
    x: rng.normalTensor([ways * per, size, size, 1]),
    y: tf.tensor1d(
      Array.from({ length: ways * per }, (_, i) => i % ways),
      'int32',
    ),
  });
  return { support: set(1), query: set(1) };
}
const disposeEp = (ep: SupportQuery) => tf.dispose([ep.support.x, ep.support.y, ep.query.x, ep.query.y]);

describe('DARTS cell search space', () => {
  it('3x3 stride-1 pools match tfjs pooling and have gradients to second order', () => {
    const rng = new Rng(1);
    const x = rng.normalTensor([2, 5, 4, 3]);
    const ref = tf.tidy(() => [
      tf.maxPool(x as tf.Tensor4D, 3, 1, 'same'),
      // tfjs's 'same' average does not count the padding either
      tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'),
    ]);
    const ours = [maxPool3x3(x), avgPool3x3(x)];
    for (let i = 0; i < 2; i++) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(ref[i], ours[i]))).dataSync()[0]);
      assert.ok(d < 1e-5, `pool ${i} differs from tfjs by ${d}`);
    }
    tf.dispose([...ref, ...ours]);
    const u = rng.normalTensor([2, 5, 4, 3]);
    for (const pool of [maxPool3x3, avgPool3x3]) {
      // A smooth function of the pooled map, so finite differences see what the tape differentiates.
      const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.tanh(pool(a)), u)) as tf.Scalar;
      const r1 = gradCheck(f, [x], { eps: 1e-3, seed: 2 });
      assert.ok(r1.relErr < 1e-2, `first order ${r1.analytic} vs ${r1.numeric}`);
      const r2 = secondOrderCheck(f, [x], { eps: 1e-3, seed: 3 });
      assert.ok(r2.relErr < 2e-2, `second order ${r2.analytic} vs ${r2.numeric}`);
    }
    tf.dispose([x, u]);
  });

  it('d loss / d alpha of the supernet matches finite differences', () => {
    const rng = new Rng(4);
    const net = cellNet({ hidden: 3, cells: 2, nodes: 2 });
    const p = net.init(rng);
    assert.deepEqual(p[ALPHA_KEY].shape, [3, DARTS_OPS.length]);
    const x = rng.normalTensor([4, 8, 8, 1]);
    const u = rng.normalTensor([4, net.outputDim(8, 8)]);
    const alpha0 = rng.normalTensor([3, DARTS_OPS.length], 0, 0.5);
    const f = (a: tf.Tensor) => tf.sum(tf.mul(net.apply({ ...p, [ALPHA_KEY]: a }, x, TRAIN), u)) as tf.Scalar;
    // A small step: ReLU and max are piecewise linear, and a step across a kink breaks the difference.
    const r = gradCheck(f, [alpha0], { eps: 1e-3, seed: 6 });
    assert.ok(Math.abs(r.analytic) > 1e-4, 'alpha gradient is zero');
    assert.ok(r.relErr < 1e-2, `alpha gradient ${r.analytic} vs FD ${r.numeric} (rel ${r.relErr})`);
    disposeParams(p);
    tf.dispose([x, u, alpha0]);
  });

  it('a genotype builds the plain network; derivation skips zero; bad genotypes are refused', () => {
    const rng = new Rng(6);
    const g = parseGenotype('conv3x3, max3x3,skip');
    const net = cellNet({ hidden: 4, genotype: g });
    const p = net.init(rng);
    assert.equal(ALPHA_KEY in p, false);
    // stem conv (1*9*4+4) + bn (8); 3 cells x one conv3x3 edge (4*9*4+4 + 8)
    assert.equal(countParams(p), 48 + 3 * (148 + 8));
    assert.deepEqual(
      Object.keys(p)
        .filter((k) => k.startsWith('cell0.'))
        .sort(),
      [
        'cell0.e0.conv3x3.bn.beta',
        'cell0.e0.conv3x3.bn.gamma',
        'cell0.e0.conv3x3.conv.b',
        'cell0.e0.conv3x3.conv.w',
      ],
    );
    const x = rng.normalTensor([3, 28, 28, 1]);
    const y = net.apply(p, x, TRAIN);
    assert.deepEqual(y.shape, [3, net.outputDim(28, 28)]);
    assert.equal(net.outputDim(28, 28), 4);
    tf.dispose([x, y]);
    disposeParams(p);
    const zeroBest = [
      [0, 0, 0, 0, 0, 5],
      [1, 0, 0, 0, 2, 9],
      [0, 0, 3, 0, 0, 0],
    ];
    assert.deepEqual(deriveGenotype(zeroBest), ['conv3x3', 'skip', 'max3x3']);
    assert.throws(() => parseGenotype('conv3x3,zero,skip'), /unknown operation 'zero'/);
    assert.throws(() => parseGenotype('conv3x3,skip'), /1, 3, 6, 10, \.\.\. edges .* got 2/);
    assert.throws(() => parseGenotype('conv7x7'), /unknown operation 'conv7x7'.*expected comma-separated/);
  });
});

describe('metanas learner and the cell backbone', () => {
  const opts = { ways: 2, inputShape: [16, 16, 1], hidden: 2, innerLr: 0.1, innerSteps: 1 };

  it('learns alpha in the outer loop only, and leaks nothing', () => {
    const rng = new Rng(7);
    const learner = learnerEntry('metanas').classifier(opts);
    const theta: Params = learner.init(rng);
    const key = `model.backbone.${ALPHA_KEY}`;
    assert.ok(key in theta);
    const ep = episode(rng, 2, 16);
    const before = tf.memory().numTensors;
    const phi = learner.adapt(theta, ep.support) as { params: Params };
    // The inner loop does not touch the architecture.
    assert.equal(phi.params['backbone.alpha'], theta[key]);
    assert.notEqual(phi.params['backbone.stem.conv.w'], theta['model.backbone.stem.conv.w']);
    learner.disposePhi(phi);
    const { loss, grads } = metaGrads(learner, theta, [ep]);
    assert.ok(Number.isFinite(loss));
    const ga = tf.tidy(() => tf.sum(tf.abs(grads[key])).dataSync()[0]);
    assert.ok(ga > 0, 'alpha gets no meta-gradient');
    disposeParams(grads);
    assert.equal(tf.memory().numTensors, before, 'metanas leaked tensors');
    disposeEp(ep);
    disposeParams(theta);
  });

  it('protonet and maml build on backbone cell; the config checks backbone and genotype', () => {
    const rng = new Rng(8);
    for (const name of ['protonet', 'maml'] as const) {
      const learner = learnerEntry(name).classifier({
        ...opts,
        backbone: 'cell',
        genotype: 'avg3x3,conv5x5,skip',
      });
      const theta = learner.init(rng);
      assert.ok(
        Object.keys(theta).some((k) => k.includes('cell2.e1.conv5x5.conv.w')),
        name,
      );
      const ep = episode(rng, 2, 16);
      const before = tf.memory().numTensors;
      const { grads } = metaGrads(learner, theta, [ep]);
      disposeParams(grads);
      assert.equal(tf.memory().numTensors, before, `${name} on the cell backbone leaked tensors`);
      disposeEp(ep);
      disposeParams(theta);
    }
    const ok = resolveConfig(undefined, '(defaults)', { backbone: 'cell', genotype: 'skip,conv3x3,max3x3' });
    assert.equal(ok.genotype, 'skip,conv3x3,max3x3');
    assert.throws(() => resolveConfig(undefined, 'x', { backbone: 'cell' }), /'cell' needs field 'genotype'/);
    assert.throws(
      () => resolveConfig(undefined, 'x', { backbone: 'cell', genotype: 'conv3x3,conv9x9,skip' }),
      /field 'genotype': unknown operation 'conv9x9'/,
    );
    assert.throws(
      () => resolveConfig(undefined, 'x', { learner: 'snail', backbone: 'cell', genotype: 'skip' }),
      /learner 'snail' has its own encoder, not a backbone/,
    );
    assert.throws(
      () => resolveConfig(undefined, 'x', { genotype: 'skip' }),
      /only with field 'backbone' set to 'cell'/,
    );
  });
});
