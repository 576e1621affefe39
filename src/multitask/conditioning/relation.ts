import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions, numberOption } from './options.js';
import {
  applyTrunk,
  checkSegments,
  initLinear,
  initTrunk,
  linear,
  ownerByStem,
  resolveSpec,
  sliceRows,
  trunkLastKeys,
} from './common.js';

/** Options of relationshipNet. */
export interface RelationOptions {
  /** Strength of the matrix-normal prior's term tr(W^T Omega^-1 W) / 2 (default 1e-3). */
  lambda?: number;
  /** Ridge added to the trace-1 task covariance, epsilon / T on its diagonal (default 0.1). */
  epsilon?: number;
}

/** The task-specific layers the prior ties together: both, or only the hidden one when output widths differ. */
export function priorLayers(outDims: readonly number[]): string[] {
  return new Set(outDims).size === 1 ? ['fc', 'out'] : ['fc'];
}

/** Row-major T x T matrix as an array of rows. */
export type Matrix = number[][];

/** Inverse of a small symmetric positive-definite matrix by Gauss-Jordan elimination in float64. */
export function invertMatrix(a: Matrix): Matrix {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    if (Math.abs(m[piv][c]) < 1e-300) throw new Error('invertMatrix: the matrix is singular');
    [m[c], m[piv]] = [m[piv], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      if (f !== 0) for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/** Each task's parameters of one top layer as one row: [T, D] (weights then bias, flattened). */
function stackedLayer(p: Params, T: number, layer: string): tf.Tensor2D {
  return tf.stack(
    Array.from({ length: T }, (_, t) =>
      tf.concat([tf.reshape(p[`task${t}.${layer}.w`], [-1]), tf.reshape(p[`task${t}.${layer}.b`], [-1])]),
    ),
  ) as tf.Tensor2D;
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a small symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(a: Matrix): { values: number[]; vectors: Matrix } {
  const n = a.length;
  const m = a.map((r) => r.slice());
  const v: Matrix = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i][j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(m[p][q]) < 1e-300) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p];
          const mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k];
          const mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: m.map((r, i) => r[i]), vectors: v };
}

/**
 * The closed-form task covariance of one layer given its weights W [T, D] (rows are tasks): the
 * minimiser of tr(W^T Omega^-1 W) over covariances with trace 1, Omega = (W W^T)^(1/2) / tr((W W^T)^(1/2))
 * (Zhang & Yeung 2010's multi-task relationship learning, the prior Long & Wang 2015 put on deep
 * networks' top layers), plus a ridge of `epsilon` / T on the diagonal so it stays invertible. The trace
 * constraint fixes the scale: tr(W^T Omega^-1 W) is then the squared trace norm of W, a regulariser of
 * weight-decay strength that cannot run away as the maximum-likelihood estimate W W^T / D does (whose
 * inverse grows without bound as the weights shrink).
 */
export function taskCovariance(w: ArrayLike<number>, T: number, D: number, epsilon: number): Matrix {
  const g: Matrix = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  for (let i = 0; i < T; i++) {
    for (let j = i; j < T; j++) {
      let acc = 0;
      for (let k = 0; k < D; k++) acc += w[i * D + k] * w[j * D + k];
      g[i][j] = g[j][i] = acc;
    }
  }
  const { values, vectors } = symmetricEigen(g);
  const roots = values.map((x) => Math.sqrt(Math.max(0, x)));
  const tr = roots.reduce((a, b) => a + b, 0) || 1;
  return Array.from({ length: T }, (_, i) =>
    Array.from(
      { length: T },
      (_, j) =>
        roots.reduce((a, r, k) => a + vectors[i][k] * r * vectors[j][k], 0) / tr +
        (i === j ? epsilon / T : 0),
    ),
  );
}

/**
 * Deep relationship network (Long & Wang 2015; Long, Cao, Wang & Yu 2017, multilinear relationship
 * networks): a shared trunk (every hidden layer but the last), then task-specific top layers (the last
 * hidden layer and the output layer of each task) whose weights have a matrix-normal prior
 * W ~ MN(0, I_D, Omega) across tasks, Omega the T x T task covariance. The top layers of all tasks start
 * from the same weights. Training alternates, as in the
 * paper, a closed-form update of Omega from the current weights (taskCovariance, recomputed at every
 * step from the weights' values, no gradient through it) and a gradient step on the weights with the
 * prior's negative log-likelihood lambda/2 tr(W^T Omega^-1 W) added to the loss. Tasks that Omega
 * finds related pull each other's top layers together; unrelated ones are left alone. Feature and class
 * covariances stay at the identity (the paper learns them too). When tasks have output layers of
 * different widths, only the task-specific hidden layer has the prior.
 */
export function relationshipNet(spec: ArchSpec, opts: RelationOptions = {}): MultiTaskNet {
  const who = 'relation';
  checkOptions(opts, ['lambda', 'epsilon'], who);
  const s = resolveSpec(spec, who);
  const lambda = numberOption(opts.lambda ?? 1e-3, 'lambda', who, 0);
  const epsilon = numberOption(opts.epsilon ?? 0.1, 'epsilon', who, 1e-6);
  const T = s.outDims.length;
  const L = s.hidden.length;
  // Output layers of different widths (tasks with different class counts) cannot share a covariance.
  const tied = priorLayers(s.outDims);
  const shared = s.hidden.slice(0, L - 1);
  const top = s.hidden[L - 1];
  const topIn = shared.length > 0 ? shared[shared.length - 1] : s.inputDim;
  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (rng) => {
      const p: Params = shared.length > 0 ? initTrunk(rng, 'trunk', s.inputDim, shared) : {};
      // Every task's top layers start from the same weights, as the paper's start from one pre-trained
      // network: their units then correspond, so covariances between tasks' weights mean something.
      const first = initLinear(rng, 'fc', topIn, top);
      if (tied.includes('out')) Object.assign(first, initLinear(rng, 'out', top, s.outDims[0]));
      else s.outDims.forEach((d, t) => Object.assign(p, initLinear(rng, `task${t}.out`, top, d)));
      for (let t = 0; t < T; t++) for (const k of Object.keys(first)) p[`task${t}.${k}`] = tf.clone(first[k]);
      tf.dispose(Object.values(first));
      return p;
    },
    apply: (p, input) => {
      checkSegments(input, T, who);
      return tf.tidy(() => {
        const h = applyTrunk(p, 'trunk', input.x, shared.length);
        return input.segments.map((seg) =>
          linear(p, `task${seg.task}.out`, tf.relu(linear(p, `task${seg.task}.fc`, sliceRows(h, seg)))),
        );
      });
    },
    owner: ownerByStem(['task']),
    lastShared: shared.length > 0 ? trunkLastKeys('trunk', shared.length) : [],
    penalty: (p) => {
      if (lambda === 0 || T < 2) return null;
      return tf.tidy(() => {
        const terms = tied.map((layer) => {
          const w = stackedLayer(p, T, layer);
          const D = w.shape[1];
          const inv = invertMatrix(taskCovariance(w.dataSync(), T, D, epsilon));
          // tr(W^T Omega^-1 W) with Omega^-1 a constant of this step.
          return tf.sum(tf.mul(tf.matMul(tf.tensor2d(inv.flat(), [T, T]), w), w));
        });
        return tf.mul(tf.addN(terms), lambda / 2) as tf.Scalar;
      });
    },
  };
}

function sameWidth(p: Params, T: number): boolean {
  return new Set(Array.from({ length: T }, (_, t) => p[`task${t}.out.w`].shape[1])).size === 1;
}

/** The learned task covariance of each top layer of trained relationshipNet params, and their correlations. */
export function relationCovariances(
  params: Params,
  numTasks: number,
  epsilon = 0.1,
): { layer: string; covariance: Matrix; correlation: Matrix }[] {
  const layers = ['fc', ...(`task0.out.w` in params && sameWidth(params, numTasks) ? ['out'] : [])];
  return layers.map((layer) => {
    const w = tf.tidy(() => stackedLayer(params, numTasks, layer));
    const values = w.dataSync();
    const D = w.shape[1];
    w.dispose();
    const c = taskCovariance(values, numTasks, D, epsilon);
    const corr = c.map((row, i) => row.map((v, j) => v / Math.sqrt(c[i][i] * c[j][j])));
    return { layer, covariance: c, correlation: corr };
  });
}
