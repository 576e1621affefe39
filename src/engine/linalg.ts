/**
 * Small dense linear algebra built from differentiable tfjs ops. tfjs 4.22's tf.linalg has only
 * bandPart, gramSchmidt and qr (no solve, Cholesky or triangular solve), so closed-form heads that need
 * (A)^-1 B inside a gradient (R2D2's ridge regression) use the elimination below.
 */
import { tf } from './tf.js';

/**
 * X = A^-1 B for a symmetric positive-definite A [n, n] and B [n, m], by Gauss-Jordan elimination
 * without pivoting (stable for SPD matrices, as Cholesky is). Every step is one rank-1 update of the
 * augmented matrix [A | B], so the solve is n steps of a few tfjs ops, differentiable to any order
 * through tfjs's own gradients (meant for small n: a support set, ~5-100). A not positive-definite
 * gives meaningless numbers (a zero pivot gives Infinity/NaN), not an error: callers add a ridge.
 */
export function solveSpd(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== 2 || a.shape[0] !== a.shape[1])
    throw new Error(`solveSpd: A must be square [n, n], got [${a.shape.join(', ')}]`);
  if (b.rank !== 2 || b.shape[0] !== a.shape[0])
    throw new Error(`solveSpd: B must be [${a.shape[0]}, m] to match A, got [${b.shape.join(', ')}]`);
  const n = a.shape[0];
  return tf.tidy(() => {
    let m: tf.Tensor = tf.concat([a, b], 1); // [n, n + cols]
    const eye = tf.eye(n);
    for (let i = 0; i < n; i++) {
      const row = tf.slice(m, [i, 0], [1, -1]); // [1, n + cols]
      const pivot = tf.slice(row, [0, i], [1, 1]);
      const scaled = tf.div(row, pivot);
      // Row i becomes row / pivot; every other row r loses m[r, i] * that row, zeroing column i.
      const col = tf.sub(tf.slice(m, [0, i], [-1, 1]), tf.slice(eye, [0, i], [-1, 1])); // [n, 1]
      m = tf.sub(m, tf.mul(col, scaled));
    }
    return tf.slice(m, [0, n], [-1, -1]);
  });
}
