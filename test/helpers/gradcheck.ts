import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';

export interface GradCheckResult {
  analytic: number;
  numeric: number;
  relErr: number;
}

/**
 * Directional central-difference check of tf.grads(f) at xs: compares <grad f, v> with
 * (f(x + eps v) - f(x - eps v)) / 2 eps for a random direction v. Float32 engines limit how small eps
 * and the tolerance can be; callers pick both per function.
 */
export function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  opts: { eps?: number; seed?: number } = {},
): GradCheckResult {
  const eps = opts.eps ?? 1e-2;
  const rng = new Rng(opts.seed ?? 7);
  return tf.tidy(() => {
    const vs = xs.map((x) => rng.normalTensor(x.shape));
    const grads = tf.grads((...a: tf.Tensor[]) => f(...a))(xs);
    let analytic = 0;
    for (let i = 0; i < xs.length; i++) analytic += tf.sum(tf.mul(grads[i], vs[i])).dataSync()[0];
    const shifted = (s: number) => f(...xs.map((x, i) => tf.add(x, tf.mul(vs[i], s)))).dataSync()[0];
    // Richardson extrapolation of two central differences: O(eps^4) truncation error, so curvature
    // does not dominate the comparison at the step sizes float32 allows.
    const central = (h: number) => (shifted(h) - shifted(-h)) / (2 * h);
    const numeric = (4 * central(eps / 2) - central(eps)) / 3;
    const relErr = Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(analytic), Math.abs(numeric));
    return { analytic, numeric, relErr };
  });
}

/**
 * Second-order check: h(xs) = <grad f(xs), u> for a fixed random u, then gradCheck(h). The analytic side
 * differentiates through tfjs's backward pass, which is what MAML's outer gradient does.
 */
export function secondOrderCheck(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  opts: { eps?: number; seed?: number } = {},
): GradCheckResult {
  const rng = new Rng((opts.seed ?? 7) + 1000);
  const us = xs.map((x) => rng.normalTensor(x.shape));
  const h = (...a: tf.Tensor[]): tf.Scalar => {
    const g = tf.grads((...b: tf.Tensor[]) => f(...b))(a);
    let s: tf.Tensor = tf.scalar(0);
    for (let i = 0; i < a.length; i++) s = tf.add(s, tf.sum(tf.mul(g[i], us[i])));
    return s as tf.Scalar;
  };
  try {
    return gradCheck(h, xs, opts);
  } finally {
    tf.dispose(us);
  }
}
