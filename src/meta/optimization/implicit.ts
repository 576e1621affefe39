/**
 * Implicit differentiation over Params records: Hessian-vector products by double backprop, conjugate
 * gradient, and the implicit-function-theorem gradient of a solution phi*(theta) of an inner problem.
 * iMAML (Rajeswaran et al. 2019) uses it for its meta-gradient; hyperparameter gradients by implicit
 * differentiation (Lorraine et al. 2020) are `implicitGradient` with their own outer and inner losses.
 *
 * tfjs has no forward-mode autodiff, so a Hessian-vector product is reverse-over-reverse:
 * H v = grad_p <grad_p f(p), v>, one backward pass through the first backward pass (the inner loss's
 * ops must have second-order gradients, as the MAML-family losses and layers here do).
 * Everything returned is owned by the caller; inputs are not disposed.
 */
import { tf } from '../../engine/tf.js';
import { type Params, disposeParams, mapParams, valueAndGrads, zipParams } from '../../nn/params.js';

/** <a, b> summed over every tensor of two Params records with the same keys. */
export function dotParams(a: Params, b: Params): number {
  const keys = Object.keys(a);
  if (keys.length === 0) return 0;
  return tf.tidy(() => tf.addN(keys.map((k) => tf.sum(tf.mul(a[k], b[k])))).dataSync()[0]);
}

/** a + s * b, a new record. */
export function addScaled(a: Params, b: Params, s: number): Params {
  return zipParams(a, b, (x, y) => tf.tidy(() => tf.add(x, tf.mul(y, s))));
}

/** Gradient of a scalar function of Params, without its value. */
export function gradOf(f: (p: Params) => tf.Scalar, at: Params): Params {
  const { value, grads } = valueAndGrads(at, f);
  value.dispose();
  return grads;
}

/** H v: the Hessian of f at `at` (over the keys of `at`) times v, by double backprop. */
export function hvp(f: (p: Params) => tf.Scalar, at: Params, v: Params): Params {
  return gradOf((p) => {
    const g = gradOf(f, p);
    const s = tf.addN(Object.keys(p).map((k) => tf.sum(tf.mul(g[k], v[k])))) as tf.Scalar;
    disposeParams(g);
    return s;
  }, at);
}

/**
 * The mixed second derivative times v: grad_h <grad_p f(p, h), v> at (p, h), the cross term of the
 * implicit function theorem for a hyperparameter h (or meta-parameters theta) of an inner objective.
 */
export function crossVjp(f: (p: Params, h: Params) => tf.Scalar, p: Params, h: Params, v: Params): Params {
  return gradOf((hh) => {
    const g = gradOf((pp) => f(pp, hh), p);
    const s = tf.addN(Object.keys(p).map((k) => tf.sum(tf.mul(g[k], v[k])))) as tf.Scalar;
    disposeParams(g);
    return s;
  }, h);
}

/** Options of conjugateGradient. */
export interface CgOptions {
  /** At most this many iterations (matrix-vector products). Default 10. */
  maxIters?: number;
  /** Stop when ||r|| <= tol * ||b||. Default 1e-6. */
  tol?: number;
}

/** conjugateGradient's solution, the iterations it took and its final relative residual ||r|| / ||b||. */
export interface CgResult {
  x: Params;
  iters: number;
  residual: number;
}

/**
 * Solve A x = b for a symmetric positive-definite A given only as `matvec` (e.g. I + H / lambda with H
 * from hvp), by conjugate gradient from x = 0 (Hestenes and Stiefel 1952). `matvec`'s results are
 * disposed here; b is not.
 */
export function conjugateGradient(matvec: (v: Params) => Params, b: Params, opts: CgOptions = {}): CgResult {
  const maxIters = opts.maxIters ?? 10;
  const tol = opts.tol ?? 1e-6;
  let x = mapParams(b, (t) => tf.zerosLike(t));
  let r = mapParams(b, (t) => tf.clone(t));
  let p = mapParams(b, (t) => tf.clone(t));
  const bNorm = Math.sqrt(dotParams(b, b));
  let rs = bNorm * bNorm;
  let iters = 0;
  if (bNorm === 0) {
    disposeParams(r);
    disposeParams(p);
    return { x, iters, residual: 0 };
  }
  while (iters < maxIters && Math.sqrt(rs) > tol * bNorm) {
    const ap = matvec(p);
    const pap = dotParams(p, ap);
    if (!(pap > 0)) {
      disposeParams(ap);
      break; // not positive-definite along p (or p = 0): stop with the current x
    }
    const alpha = rs / pap;
    const x2 = addScaled(x, p, alpha);
    const r2 = addScaled(r, ap, -alpha);
    disposeParams(ap);
    disposeParams(x);
    disposeParams(r);
    x = x2;
    r = r2;
    const rsNew = dotParams(r, r);
    const p2 = addScaled(r, p, rsNew / rs);
    disposeParams(p);
    p = p2;
    rs = rsNew;
    iters++;
  }
  disposeParams(r);
  disposeParams(p);
  return { x, iters, residual: Math.sqrt(rs) / bNorm };
}

/** Options of implicitGradient. */
export interface ImplicitGradientOptions extends CgOptions {
  /**
   * Added to the inner Hessian: solve (H + damping I) v = g. iMAML's proximal term lambda/2 ||phi -
   * theta||^2 contributes exactly lambda I. Default 0.
   */
  damping?: number;
}

/**
 * v = (H + damping I)^-1 g, with H the Hessian of `innerLoss` at its solution `phi` and g the outer
 * loss's gradient at phi: the vector the implicit function theorem multiplies by the cross term. For
 * iMAML (inner objective L(phi) + lambda/2 ||phi - theta||^2) the meta-gradient is lambda v with
 * damping lambda, i.e. (I + H / lambda)^-1 g; for a hyperparameter h of an inner objective F(phi, h),
 * dL_outer/dh = -crossVjp(F, phi, h, v) (plus any direct dependence of the outer loss on h), with
 * `innerLoss` = F(., h) and damping 0.
 */
export function implicitGradient(
  innerLoss: (phi: Params) => tf.Scalar,
  phi: Params,
  outerGrad: Params,
  opts: ImplicitGradientOptions = {},
): CgResult {
  const damping = opts.damping ?? 0;
  return conjugateGradient(
    (v) => {
      const hv = hvp(innerLoss, phi, v);
      if (damping === 0) return hv;
      const out = addScaled(hv, v, damping);
      disposeParams(hv);
      return out;
    },
    outerGrad,
    opts,
  );
}
