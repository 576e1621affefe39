// Implicit hypergradients (issue 19; Lorraine et al. 2020): on a convex inner problem (ridge regression
// with per-tensor L2 strengths) the implicit hypergradient equals the closed form, the unrolled one of a
// long inner loop run to convergence, and finite differences of the validation loss at the optimum.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { type Params, disposeParams } from '../src/nn/params.js';
import { hypergradient, type InnerHyperparams } from '../src/meta/optimization/hyper.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

// Features split into two parameter tensors 'a' (columns 0-1) and 'b' (columns 2-3), each with its own
// L2 strength: L_train = ||X w - y||^2 / 2n + sum_k lambda_k / 2 ||w_k||^2.
const D = 4;
const block = (j: number) => (j < 2 ? 0 : 1);

function data(rng: Rng, n: number): { x: number[][]; y: number[] } {
  const wTrue = [1, -2, 0.5, 3];
  const x = Array.from({ length: n }, () => Array.from(rng.normalArray(D)));
  const y = x.map((r) => r.reduce((s, v, j) => s + v * wTrue[j], 0) + 0.5 * rng.normalArray(1)[0]);
  return { x, y };
}

/** Solve M z = r (small dense, float64, Gaussian elimination with partial pivoting). */
function solve(m: number[][], r: number[]): number[] {
  const a = m.map((row, i) => [...row, r[i]]);
  const n = r.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
    [a[c], a[p]] = [a[p], a[c]];
    for (let i = c + 1; i < n; i++) {
      const f = a[i][c] / a[c][c];
      for (let j = c; j <= n; j++) a[i][j] -= f * a[c][j];
    }
  }
  const z = Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = a[i][n];
    for (let j = i + 1; j < n; j++) s -= a[i][j] * z[j];
    z[i] = s / a[i][i];
  }
  return z;
}

/** The ridge solution w*(lambda) and the validation loss there, in float64. */
function closedForm(tr: { x: number[][]; y: number[] }, va: { x: number[][]; y: number[] }, lam: number[]) {
  const n = tr.y.length;
  const A = Array.from({ length: D }, (_, i) =>
    Array.from(
      { length: D },
      (_, j) => tr.x.reduce((s, r) => s + r[i] * r[j], 0) / n + (i === j ? lam[block(i)] : 0),
    ),
  );
  const c = Array.from({ length: D }, (_, i) => tr.x.reduce((s, r, t) => s + r[i] * tr.y[t], 0) / n);
  const w = solve(A, c);
  const m = va.y.length;
  const res = va.x.map((r, t) => r.reduce((s, v, j) => s + v * w[j], 0) - va.y[t]);
  const val = res.reduce((s, e) => s + e * e, 0) / (2 * m);
  // d val / d lambda_k = -g^T A^-1 E_k w (A symmetric), g = X_v^T res / m.
  const g = Array.from({ length: D }, (_, j) => va.x.reduce((s, r, t) => s + r[j] * res[t], 0) / m);
  const u = solve(A, g);
  const grad = [0, 1].map((k) => -u.reduce((s, v, j) => s + (block(j) === k ? v * w[j] : 0), 0));
  return { w, val, grad };
}

function setup() {
  const rng = new Rng(11);
  const tr = data(rng, 24);
  const va = data(rng, 16);
  const xt = tf.tensor2d(tr.x);
  const yt = tf.tensor2d(tr.y, [tr.y.length, 1]);
  const xv = tf.tensor2d(va.x);
  const yv = tf.tensor2d(va.y, [va.y.length, 1]);
  const predict = (p: Params, x: tf.Tensor) =>
    tf.add(tf.matMul(tf.slice(x, [0, 0], [-1, 2]), p.a), tf.matMul(tf.slice(x, [0, 2], [-1, 2]), p.b));
  const mse = (p: Params, x: tf.Tensor, y: tf.Tensor) =>
    tf.tidy(() => tf.div(tf.mean(tf.square(tf.sub(predict(p, x), y))), 2) as tf.Scalar);
  const trainLoss = (p: Params) => mse(p, xt, yt);
  const valLoss = (p: Params) => mse(p, xv, yv);
  const phi0: Params = { a: tf.zeros([2, 1]), b: tf.zeros([2, 1]) };
  const dispose = () => {
    tf.dispose([xt, yt, xv, yv]);
    disposeParams(phi0);
  };
  return { tr, va, trainLoss, valLoss, phi0, dispose };
}

const LAMBDA = [0.3, 0.8];
const settings =
  (steps: number, momentum = 0) =>
  (h: Params): InnerHyperparams => ({
    steps,
    lr: () => h.lr,
    momentum,
    weightDecay: (k) => h[`wd.${k}`],
  });
const hyperOf = (): Params => ({
  'wd.a': tf.scalar(LAMBDA[0]),
  'wd.b': tf.scalar(LAMBDA[1]),
  lr: tf.scalar(0.4),
});

describe('implicit hypergradients', () => {
  it('equal the closed form, the long unroll and finite differences on ridge regression', () => {
    const s = setup();
    const exact = closedForm(s.tr, s.va, LAMBDA);
    // Finite differences of the validation loss at the inner optimum (float64, central).
    const h = 1e-5;
    const fd = [0, 1].map((k) => {
      const up = [...LAMBDA];
      const dn = [...LAMBDA];
      up[k] += h;
      dn[k] -= h;
      return (closedForm(s.tr, s.va, up).val - closedForm(s.tr, s.va, dn).val) / (2 * h);
    });
    const hyper = hyperOf();
    const before = tf.memory().numTensors;
    // 150 tape-free steps with momentum: a different path to the same optimum.
    const imp = hypergradient(hyper, s.phi0, ['a', 'b'], s.trainLoss, s.valLoss, settings(150, 0.5), {
      method: 'implicit',
      maxIters: 20,
      tol: 1e-7,
    });
    // 70 plain SGD steps, differentiated through every one.
    const unr = hypergradient(hyper, s.phi0, ['a', 'b'], s.trainLoss, s.valLoss, settings(70));
    const read = (g: Params) => ['wd.a', 'wd.b'].map((k) => g[k].dataSync()[0]);
    const gi = read(imp.grads);
    const gu = read(unr.grads);
    const lrImplicit = imp.grads.lr.dataSync()[0];
    disposeParams(imp.grads);
    disposeParams(unr.grads);
    assert.equal(tf.memory().numTensors, before, 'hypergradient leaked tensors');
    assert.ok(imp.cg && imp.cg.residual < 1e-4, `CG did not converge: ${JSON.stringify(imp.cg)}`);
    assert.ok(Math.abs(imp.value - exact.val) < 1e-5 * Math.max(1, exact.val));
    for (let k = 0; k < 2; k++) {
      const scale = Math.max(1e-3, Math.abs(exact.grad[k]));
      assert.ok(Math.abs(fd[k] - exact.grad[k]) < 1e-6 * Math.max(1, scale), `closed form vs FD ${k}`);
      assert.ok(
        Math.abs(gi[k] - exact.grad[k]) < 2e-3 * scale,
        `implicit ${gi[k]} vs exact ${exact.grad[k]}`,
      );
      assert.ok(
        Math.abs(gu[k] - exact.grad[k]) < 2e-3 * scale,
        `unrolled ${gu[k]} vs exact ${exact.grad[k]}`,
      );
      assert.ok(Math.abs(gi[k] - gu[k]) < 3e-3 * scale, `implicit ${gi[k]} vs unrolled ${gu[k]}`);
    }
    // At the optimum the rate no longer matters: its implicit hypergradient is exactly 0.
    assert.equal(Math.abs(lrImplicit), 0);
    // The test is not vacuous: the two strengths pull differently and are far from 0.
    assert.ok(Math.abs(exact.grad[0]) > 1e-3 && Math.abs(exact.grad[1]) > 1e-3, JSON.stringify(exact.grad));
    disposeParams(hyper);
    s.dispose();
  });

  it('differs from the unrolled one when the inner loop is stopped far from the optimum', () => {
    const s = setup();
    const hyper = hyperOf();
    const exact = closedForm(s.tr, s.va, LAMBDA);
    const short = hypergradient(hyper, s.phi0, ['a', 'b'], s.trainLoss, s.valLoss, settings(2), {
      method: 'implicit',
    });
    const g = short.grads['wd.b'].dataSync()[0];
    disposeParams(short.grads);
    assert.ok(Math.abs(g - exact.grad[1]) > 1e-2 * Math.abs(exact.grad[1]), `${g} vs ${exact.grad[1]}`);
    disposeParams(hyper);
    s.dispose();
  });

  it('refuses an unknown method', () => {
    const s = setup();
    const hyper = hyperOf();
    assert.throws(
      () =>
        hypergradient(hyper, s.phi0, ['a', 'b'], s.trainLoss, s.valLoss, settings(1), {
          method: 'newton' as 'implicit',
        }),
      /option 'method' must be 'unrolled' or 'implicit', got 'newton'/,
    );
    disposeParams(hyper);
    s.dispose();
  });
});
