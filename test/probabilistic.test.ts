// The probabilistic learners (issue 18): the latent-variable neural process, its predictive
// distribution, and the metrics that evaluate reports for it.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { classPrototypes, prototypeEpisode, sineEpisode } from './helpers/toy.js';
import { adam } from '../src/nn/optim.js';
import { disposeParams, type Params } from '../src/nn/params.js';
import { evaluate } from '../src/train/evaluate.js';
import { disposePredictive, episodePredictive } from '../src/meta/common.js';
import type { MetaLearner } from '../src/meta/types.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { diagGaussianKl, npClassifier, npRegressor } from '../src/meta/blackbox/np.js';
import { runCli } from './helpers/runs.js';
import { evaluateRun } from '../src/experiment/run.js';

const close1 = (a: number, b: number, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${a} vs ${b}`);
const disposeEp = (e: SupportQuery) => tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);

// W classes, each a fixed random D-vector plus noise; labels permuted per episode.
const W = 3;
const D = 8;
const prototypes = classPrototypes(123, W, D);
const classEpisode = (rng: Rng, shots = 2, queries = 3) =>
  prototypeEpisode(rng, prototypes, shots, queries, 0.5);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLearner = MetaLearner<any>;

function train(
  learner: AnyLearner,
  sample: (rng: Rng) => SupportQuery,
  steps: number,
  lr: number,
  seed: number,
) {
  const rng = new Rng(seed);
  let theta = learner.init(rng);
  const opt = adam({ lr });
  let state = opt.init(theta);
  const losses: number[] = [];
  let count5 = 0;
  for (let step = 1; step <= steps; step++) {
    const eps = Array.from({ length: 8 }, () => sample(rng));
    const { loss, grads } = learner.metaGrads!(theta, eps);
    ({ params: theta, state } = opt.step(theta, grads, state));
    disposeParams(grads);
    eps.forEach(disposeEp);
    losses.push(loss);
    if (step === 5) count5 = tf.memory().numTensors;
  }
  const countLast = tf.memory().numTensors;
  opt.dispose(state);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { theta, first: mean(losses.slice(0, 10)), last: mean(losses.slice(-10)), count5, countLast };
}

describe('latent-variable neural process', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('diagGaussianKl matches the closed form and is 0 for equal Gaussians', () =>
    tf.tidy(() => {
      // KL(N(1, 0.5^2) || N(0, 1)) = log(1 / 0.5) + (0.25 + 1) / 2 - 0.5 = 0.693147 + 0.125 = 0.818147; two dims sum.
      const kl = diagGaussianKl(
        tf.tensor2d([[1, 0]]),
        tf.tensor2d([[0.5, 2]]),
        tf.tensor2d([[0, 0]]),
        tf.tensor2d([[1, 2]]),
      ).dataSync();
      assert.ok(Math.abs(kl[0] - 0.818147) < 1e-5, `KL ${kl[0]}`);
      const same = diagGaussianKl(
        tf.tensor2d([[1, -2]]),
        tf.tensor2d([[0.3, 2]]),
        tf.tensor2d([[1, -2]]),
        tf.tensor2d([[0.3, 2]]),
      );
      assert.ok(Math.abs(same.dataSync()[0]) < 1e-6);
    }));

  it('regression: the ELBO falls, MSE improves, the predictive covers and nothing leaks', (t) => {
    const l = npRegressor({
      deterministicEncoder: [32, 32],
      latentEncoder: [32, 32],
      zDim: 8,
      decoder: [32, 32],
    });
    const valRng = new Rng(77);
    const val = Array.from({ length: 20 }, () => sineEpisode(valRng));
    const theta0 = l.init(new Rng(3));
    const before = evaluate(l, theta0, val).summary.mean;
    disposeParams(theta0);
    const r = train(l, (rng) => sineEpisode(rng), 100, 5e-3, 3);
    const res = evaluate(l, r.theta, val);
    t.diagnostic(
      `-ELBO ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, MSE ${before.toFixed(3)} -> ${res.summary.mean.toFixed(3)}, coverage ${res.uncertainty?.coverage95?.mean.toFixed(3)}, NLL ${res.uncertainty?.nll.mean.toFixed(3)}`,
    );
    assert.ok(
      res.summary.mean < 0.5 * before && res.summary.mean < 0.25,
      `MSE ${before} -> ${res.summary.mean}`,
    );
    assert.ok(r.last < r.first - 0.3, `-ELBO ${r.first} -> ${r.last}`);
    assert.equal(r.countLast, r.count5, 'numTensors grew during training');
    const u = res.uncertainty!;
    assert.ok(u.coverage95 && u.coverage95.mean > 0.6, `coverage ${u.coverage95?.mean}`);
    assert.ok(Number.isFinite(u.nll.mean));

    // predict is the mean of the predictive; the same phi gives the same numbers twice.
    const ep = val[0];
    const phi = l.adapt(r.theta, ep.support);
    const d = l.predictDistribution(r.theta, phi, ep.query.x);
    const p1 = l.predict(r.theta, phi, ep.query.x);
    const p2 = l.predict(r.theta, phi, ep.query.x);
    assert.deepEqual(Array.from(p1.dataSync()), Array.from(p2.dataSync()));
    assert.deepEqual(Array.from(p1.dataSync()), Array.from(d.mean.dataSync()));
    assert.deepEqual(d.components!.means.shape, [16, 10, 1]);
    // The moment-matched std is at least the mean component std's floor (minStd 0.1).
    assert.ok(Array.from(d.std.dataSync()).every((s) => s >= 0.1 - 1e-6));
    tf.dispose([p1, p2]);
    disposePredictive(d);
    l.disposePhi(phi);
    disposeParams(r.theta);
    val.forEach(disposeEp);
  });

  it('regression: metaGrads is deterministic: the z noise is a function of the episodes', () => {
    const l = npRegressor({ deterministicEncoder: null, latentEncoder: [8], zDim: 4, decoder: [8] });
    const theta = l.init(new Rng(1));
    const eps = Array.from({ length: 3 }, (_, i) => sineEpisode(new Rng(10 + i)));
    const a = l.metaGrads!(theta, eps);
    const b = l.metaGrads!(theta, eps);
    assert.equal(a.loss, b.loss);
    for (const k of Object.keys(a.grads))
      assert.deepEqual(Array.from(a.grads[k].dataSync()), Array.from(b.grads[k].dataSync()));
    disposeParams(a.grads);
    disposeParams(b.grads);
    disposeParams(theta);
    eps.forEach(disposeEp);
  });

  it('classification: learns the permuted-prototype task; predictive probabilities sum to 1', (t) => {
    const l = npClassifier({
      ways: W,
      encoder: 'flat',
      inputDim: D,
      pairEncoder: [32, 32],
      zDim: 8,
      decoder: [32],
    });
    const valRng = new Rng(55);
    const val = Array.from({ length: 20 }, () => classEpisode(valRng));
    const r = train(l, (rng) => classEpisode(rng), 80, 3e-3, 4);
    const res = evaluate(l, r.theta, val);
    t.diagnostic(
      `loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, accuracy ${res.summary.mean.toFixed(3)}, ECE ${res.uncertainty?.ece?.mean.toFixed(3)}`,
    );
    assert.ok(res.summary.mean > 0.8, `accuracy ${res.summary.mean}`);
    assert.ok(res.uncertainty!.ece && res.uncertainty!.ece.mean < 0.3, `ECE ${res.uncertainty!.ece?.mean}`);
    assert.equal(r.countLast, r.count5, 'numTensors grew during training');
    const d = episodePredictive(l, r.theta, val[0])!;
    assert.equal(d.kind, 'categorical');
    if (d.kind === 'categorical') {
      const p = d.probs.arraySync() as number[][];
      for (const row of p) assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    }
    disposePredictive(d);
    disposeParams(r.theta as Params);
    val.forEach(disposeEp);
  });

  it('attentive NP regression: each target attends to the context; learns, covers, leaks nothing', (t) => {
    const l = npRegressor({
      deterministicEncoder: [32, 32],
      latentEncoder: [32, 32],
      zDim: 8,
      decoder: [32, 32],
      crossAttention: { heads: 4 },
    });
    const valRng = new Rng(77);
    const val = Array.from({ length: 20 }, () => sineEpisode(valRng));
    const theta0 = l.init(new Rng(3));
    assert.ok('cross.q.w' in theta0 && 'xEmbed.fc0.w' in theta0, Object.keys(theta0).join(' '));
    const before = evaluate(l, theta0, val).summary.mean;
    disposeParams(theta0);
    const r = train(l, (rng) => sineEpisode(rng), 100, 5e-3, 3);
    const res = evaluate(l, r.theta, val);
    t.diagnostic(
      `-ELBO ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, MSE ${before.toFixed(3)} -> ${res.summary.mean.toFixed(3)}, coverage ${res.uncertainty?.coverage95?.mean.toFixed(3)}`,
    );
    assert.ok(
      res.summary.mean < 0.5 * before && res.summary.mean < 0.25,
      `MSE ${before} -> ${res.summary.mean}`,
    );
    assert.equal(r.countLast, r.count5, 'numTensors grew during training');
    assert.ok(res.uncertainty!.coverage95!.mean > 0.6, `coverage ${res.uncertainty!.coverage95!.mean}`);
    // phi keeps the context (x and its pair codes) instead of a mean r, and disposePhi frees it all.
    const n0 = tf.memory().numTensors;
    const phi = l.adapt(r.theta, val[0].support);
    assert.equal(phi.r, null);
    const n = val[0].support.x.shape[0];
    assert.deepEqual(phi.context!.x.shape, [1, n, 1]);
    assert.deepEqual(phi.context!.r.shape, [1, n, 32]);
    // A target's prediction depends on where it is relative to the context, not on the other targets.
    const xq = val[0].query.x;
    const alone = l.predict(r.theta, phi, tf.slice(xq, [0, 0], [1, -1]));
    const all = l.predict(r.theta, phi, xq);
    close1(alone.dataSync()[0], all.dataSync()[0]);
    tf.dispose([alone, all]);
    l.disposePhi(phi);
    assert.equal(tf.memory().numTensors, n0 + 1); // the slice of xq
    disposeParams(r.theta);
    val.forEach(disposeEp);
    assert.throws(
      () => npRegressor({ deterministicEncoder: null, crossAttention: { heads: 2 } }),
      /'crossAttention' needs the deterministic path/,
    );
    assert.throws(
      () => npRegressor({ deterministicEncoder: [30], crossAttention: { heads: 4 } }),
      /'crossAttention.heads' \(4\) must divide the representation size 30/,
    );
  });

  it('attentive NP classification: learns the permuted-prototype task; phi is freed', (t) => {
    const l = npClassifier({
      ways: W,
      encoder: 'flat',
      inputDim: D,
      pairEncoder: [32, 32],
      zDim: 8,
      decoder: [32],
      crossAttention: { heads: 4 },
    });
    const valRng = new Rng(55);
    const val = Array.from({ length: 20 }, () => classEpisode(valRng));
    const r = train(l, (rng) => classEpisode(rng), 80, 3e-3, 4);
    const res = evaluate(l, r.theta, val);
    t.diagnostic(
      `loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, accuracy ${res.summary.mean.toFixed(3)}`,
    );
    assert.ok(res.summary.mean > 0.8, `accuracy ${res.summary.mean}`);
    assert.equal(r.countLast, r.count5, 'numTensors grew during training');
    const n0 = tf.memory().numTensors;
    const phi = l.adapt(r.theta, val[0].support);
    assert.deepEqual(phi.context!.r.shape, [1, 6, 32]);
    // adapt + predict agrees with the episode's own predictive (support and query encoded apart: flat).
    const d = episodePredictive(l, r.theta, val[0])!;
    const p = l.predictDistribution!(r.theta, phi, val[0].query.x);
    if (d.kind === 'categorical' && p.kind === 'categorical') {
      const a = d.probs.dataSync();
      const b = p.probs.dataSync();
      for (let i = 0; i < a.length; i++) close1(a[i], b[i]);
    } else assert.fail('categorical predictives expected');
    disposePredictive(d);
    disposePredictive(p);
    l.disposePhi(phi);
    assert.equal(tf.memory().numTensors, n0);
    disposeParams(r.theta as Params);
    val.forEach(disposeEp);
  });

  it('the CLI trains np and eval reports NLL and 95%-interval coverage with CIs', async () => {
    const run = mkdtempSync(path.join(tmpdir(), 'metalearn-np-'));
    try {
      const t = runCli([
        'train',
        '--dataset',
        'sinusoid',
        '--learner',
        'np',
        '--shot',
        '5',
        '--query',
        '5',
        '--steps',
        '3',
        '--meta-batch',
        '2',
        '--val-every',
        '0',
        '--test-episodes',
        '8',
        '--out',
        run,
        '--overwrite',
      ]);
      assert.equal(t.status, 0, t.stderr);
      assert.match(t.stdout, /meta-test NLL -?[\d.]+ ± [\d.]+ \(95% CI, 8 episodes\); 95%-interval coverage/);
      // eval in this process (what the eval command runs, without a second start-up).
      const lines: string[] = [];
      await evaluateRun(run, { episodes: 6 }, (l) => lines.push(l));
      assert.match(lines.join('\n'), /95%-interval coverage [\d.]+% ± [\d.]+% \(95% CI, 6 episodes\)/);
      const res = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
      assert.equal(res.uncertainty.coverage95.n, 8);
      assert.ok(Number.isFinite(res.uncertainty.nll.mean));
    } finally {
      rmSync(run, { recursive: true, force: true });
    }
  });
});
