// The differentiable SPD solve behind R2D2 (engine/linalg.ts), its ridge head, and the implicit
// differentiation machinery behind iMAML (meta/optimization/implicit.ts).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { solveSpd } from '../src/engine/linalg.js';
import { ridgeWeights } from '../src/meta/optimization/r2d2.js';
import {
  conjugateGradient,
  crossVjp,
  gradOf,
  hvp,
  implicitGradient,
} from '../src/meta/optimization/implicit.js';
import { type Params, disposeParams } from '../src/nn/params.js';
import { gradCheck, secondOrderCheck } from './helpers/gradcheck.js';

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** M M^T + shift I for a random M [n, n]: symmetric positive-definite. */
const spd = (rng: Rng, n: number, shift = 1) =>
  tf.tidy(() => {
    const m = rng.normalTensor([n, n]);
    return tf.add(tf.matMul(m, m, false, true), tf.mul(tf.eye(n), shift));
  });

/** x = A^-1 b in float64 by Gaussian elimination with partial pivoting, the reference solve. */
function directSolve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

describe('solveSpd and the ridge head', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('solveSpd solves A X = B, with gradients checked to second order', () => {
    const rng = new Rng(1);
    const a = spd(rng, 6);
    const b = rng.normalTensor([6, 3]);
    const x = solveSpd(a, b);
    assert.ok(maxAbsDiff(tf.matMul(a, x), b) < 1e-4, 'A X differs from B');
    const ref = directSolve(
      a.arraySync() as number[][],
      (b.arraySync() as number[][]).map((r) => r[0]),
    );
    const got = (x.arraySync() as number[][]).map((r) => r[0]);
    got.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-4, `x[${i}] = ${v}, direct ${ref[i]}`));
    // f(M, B) = <solve(M M^T + I, B), W>: gradients reach the matrix through the elimination.
    const w = rng.normalTensor([6, 3]);
    const m0 = rng.normalTensor([6, 6]);
    const f = (m: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(solveSpd(tf.add(tf.matMul(m, m, false, true), tf.eye(6)), bb), w)) as tf.Scalar;
    const g1 = gradCheck(f, [m0, b], { eps: 1e-2 });
    assert.ok(g1.relErr < 1e-2, `first order: ${JSON.stringify(g1)}`);
    const g2 = secondOrderCheck(f, [m0, b], { eps: 1e-2 });
    assert.ok(g2.relErr < 2e-2, `second order: ${JSON.stringify(g2)}`);
    assert.throws(() => solveSpd(b, b), /A must be square \[n, n\], got \[6, 3\]/);
    assert.throws(() => solveSpd(a, tf.zeros([5, 2])), /B must be \[6, m\]/);
    tf.dispose([a, b, x, w, m0]);
  });

  it('ridgeWeights: the Woodbury form (n < d) equals the primal form, and is differentiable', () => {
    const rng = new Rng(2);
    const x = rng.normalTensor([4, 9]); // 4 support examples, 9 features: the n x n (Woodbury) solve
    const y = rng.normalTensor([4, 3]);
    const lam = tf.scalar(0.7);
    const w = ridgeWeights(x, y, lam);
    const primal = tf.tidy(() =>
      solveSpd(tf.add(tf.matMul(x, x, true, false), tf.mul(tf.eye(9), lam)), tf.matMul(x, y, true, false)),
    );
    assert.ok(maxAbsDiff(w, primal) < 1e-4, 'Woodbury and primal ridge weights differ');
    // n >= d takes the primal branch: the normal equations X^T (X W - Y) + lambda W = 0 hold.
    const xt = rng.normalTensor([12, 5]);
    const yt = rng.normalTensor([12, 3]);
    const wt = ridgeWeights(xt, yt, lam);
    const resid = tf.tidy(() =>
      tf.add(tf.matMul(xt, tf.sub(tf.matMul(xt, wt), yt), true, false), tf.mul(wt, lam)),
    );
    assert.ok(tf.tidy(() => tf.max(tf.abs(resid)).dataSync()[0]) < 1e-4, 'normal equations violated');
    const probe = rng.normalTensor([9, 3]);
    const f = (xx: tf.Tensor, l: tf.Tensor) =>
      tf.sum(tf.mul(ridgeWeights(xx, y, tf.exp(l)), probe)) as tf.Scalar;
    const g = gradCheck(f, [x, tf.scalar(Math.log(0.7))], { eps: 1e-2 });
    assert.ok(g.relErr < 1e-2, JSON.stringify(g));
    tf.dispose([x, y, lam, w, primal, xt, yt, wt, resid, probe]);
  });
});

describe('implicit differentiation (implicit.ts)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  // A convex inner problem: ridge regression of targets b on features A, L(phi) = ||A w - b||^2 / 2n.
  const rng = new Rng(3);
  const n = 8;
  const d = 4;
  let A: tf.Tensor;
  let bvec: tf.Tensor;
  let target: tf.Tensor;
  const inner = (p: Params) =>
    tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(tf.matMul(A, p.w), bvec))), 2 * n)) as tf.Scalar;
  const outer = (p: Params) => tf.tidy(() => tf.sum(tf.square(tf.sub(p.w, target)))) as tf.Scalar;

  it('hvp equals the explicit Hessian times v; CG matches a direct solve', () => {
    A = rng.normalTensor([n, d]);
    bvec = rng.normalTensor([n, 1]);
    target = rng.normalTensor([d, 1]);
    const at = { w: rng.normalTensor([d, 1]) };
    const v = { w: rng.normalTensor([d, 1]) };
    const hv = hvp(inner, at, v);
    const h = tf.div(tf.matMul(A, A, true, false), n); // the Hessian of the ridge loss
    assert.ok(maxAbsDiff(hv.w, tf.matMul(h, v.w)) < 1e-5, 'hvp differs from H v');
    // (H + 0.5 I) x = v by CG on hvp, against a float64 direct solve.
    const damped = tf.add(h, tf.mul(tf.eye(d), 0.5));
    const cg = implicitGradient(inner, at, v, { damping: 0.5, maxIters: 20, tol: 1e-7 });
    const ref = directSolve(damped.arraySync() as number[][], Array.from(v.w.dataSync()));
    Array.from(cg.x.w.dataSync()).forEach((x, i) =>
      assert.ok(Math.abs(x - ref[i]) < 1e-4, `x[${i}] = ${x}, direct ${ref[i]}`),
    );
    assert.ok(cg.iters <= d + 1, `CG took ${cg.iters} iterations on a ${d}-dimensional problem`);
    // conjugateGradient stops early on b = 0 and leaves nothing behind.
    const n0 = tf.memory().numTensors;
    const z = { w: tf.zeros([d, 1]) };
    const zr = conjugateGradient((p) => ({ w: tf.clone(p.w) }), z);
    assert.equal(zr.iters, 0);
    disposeParams(zr.x);
    disposeParams(z);
    assert.equal(tf.memory().numTensors, n0);
    disposeParams(hv);
    disposeParams(cg.x);
    disposeParams(at);
    disposeParams(v);
    tf.dispose([h, damped]);
  });

  it("iMAML's implicit gradient equals the unrolled gradient at convergence, and the IFT form with crossVjp", () => {
    const lambda = 0.8;
    const theta = { w: rng.normalTensor([d, 1]) };
    const prox = (p: Params, th: Params) =>
      tf.tidy(() => tf.add(inner(p), tf.mul(tf.sum(tf.square(tf.sub(p.w, th.w))), lambda / 2))) as tf.Scalar;
    // Unrolled: 300 GD steps from phi = theta on the proximal objective, differentiated through.
    const unrolled = gradOf((th) => {
      let phi: tf.Tensor = th.w;
      for (let s = 0; s < 300; s++) {
        const g = tf.add(
          tf.div(tf.matMul(A, tf.sub(tf.matMul(A, phi), bvec), true, false), n),
          tf.mul(tf.sub(phi, th.w), lambda),
        );
        phi = tf.sub(phi, tf.mul(g, 0.3));
      }
      return outer({ w: phi });
    }, theta);
    // Implicit: phi* by the same GD (no tape), then (I + H / lambda)^-1 grad L_outer(phi*).
    let phi = tf.clone(theta.w);
    for (let s = 0; s < 300; s++) {
      const next = tf.tidy(() => {
        const g = gradOf((p) => prox(p, theta), { w: phi });
        return tf.sub(phi, tf.mul(g.w, 0.3));
      });
      phi.dispose();
      phi = next;
    }
    const gOut = gradOf(outer, { w: phi });
    const { x } = implicitGradient(inner, { w: phi }, gOut, { damping: lambda, maxIters: 20, tol: 1e-7 });
    const implicit = tf.mul(x.w, lambda);
    assert.ok(maxAbsDiff(implicit, unrolled.w) < 1e-4, 'implicit and unrolled meta-gradients differ');
    // The implicit function theorem in general form: -d2F/dtheta dphi (d2F/dphi2)^-1 g.
    const v = implicitGradient((p) => prox(p, theta), { w: phi }, gOut, { maxIters: 20, tol: 1e-7 });
    const ift = crossVjp(prox, { w: phi }, theta, v.x);
    assert.ok(maxAbsDiff(tf.neg(ift.w), unrolled.w) < 1e-4, 'the IFT form with crossVjp differs');
    tf.dispose([phi, implicit, A, bvec, target]);
    [unrolled, gOut, x, v.x, ift, theta].forEach(disposeParams);
  });
});
