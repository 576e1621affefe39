// Small dense linear algebra in float64 on plain arrays, for weightings that solve a problem on the
// K x K Gram matrix of the task gradients (K tasks, so every problem here is tiny).

/** A vector of numbers; Float64Array or a plain array. */
export type Vec = ArrayLike<number>;

/** Plain K x K matrix, row-major. */
export type Mat = number[][];

export function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Vec): number {
  return Math.sqrt(dot(a, a));
}

/** Four dot products of a with b0..b3 in one pass over a (Float64Array only: a monomorphic loop). */
function dot4(
  a: Float64Array,
  b0: Float64Array,
  b1: Float64Array,
  b2: Float64Array,
  b3: Float64Array,
  out: number[],
): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    s0 += v * b0[i];
    s1 += v * b1[i];
    s2 += v * b2[i];
    s3 += v * b3[i];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

/**
 * G Gᵀ for the rows of G. With Float64Array rows (what aggregationStep passes) four columns are summed
 * per pass over a row, which reads each row a quarter as often; every entry is still one plain
 * left-to-right sum, so the result is the same to the last bit as `dot`.
 */
export function gramOf(G: readonly Vec[]): Mat {
  const K = G.length;
  const M: Mat = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  const typed = G.every((g) => g instanceof Float64Array);
  const four = [0, 0, 0, 0];
  for (let i = 0; i < K; i++) {
    let j = i;
    if (typed) {
      const Gi = G[i] as Float64Array;
      for (; j + 3 < K; j += 4) {
        dot4(
          Gi,
          G[j] as Float64Array,
          G[j + 1] as Float64Array,
          G[j + 2] as Float64Array,
          G[j + 3] as Float64Array,
          four,
        );
        for (let c = 0; c < 4; c++) {
          M[i][j + c] = four[c];
          M[j + c][i] = four[c];
        }
      }
    }
    for (; j < K; j++) {
      const v = dot(G[i], G[j]);
      M[i][j] = v;
      M[j][i] = v;
    }
  }
  return M;
}

/** Σ_t c_t G_t as a new Float64Array. */
export function combine(G: readonly Vec[], c: readonly number[]): Float64Array {
  const d = G.length > 0 ? G[0].length : 0;
  const out = new Float64Array(d);
  G.forEach((g, t) => {
    const w = c[t];
    if (w === 0) return;
    for (let i = 0; i < d; i++) out[i] += w * g[i];
  });
  return out;
}

export function matVec(M: Mat, x: readonly number[]): number[] {
  return M.map((row) => dot(row, x));
}

/** x such that A x = b, by Gaussian elimination with partial pivoting; a singular A is an error. */
export function solve(A: Mat, b: readonly number[]): number[] {
  const n = A.length;
  const a = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (a[p][c] === 0 || !Number.isFinite(a[p][c])) throw new Error('solve: singular matrix');
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      if (f !== 0) for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: values sorted descending and
 * the matching unit eigenvectors as the columns of `vectors`.
 */
export function symEig(A: Mat): { values: number[]; vectors: Mat } {
  const n = A.length;
  const a = A.map((r) => r.slice());
  const v: Mat = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
    if (off === 0 || off < 1e-300) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
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
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i]);
  return {
    values: order.map((i) => a[i][i]),
    vectors: v.map((row) => order.map((i) => row[i])),
  };
}

/** Euclidean projection onto the probability simplex (sort-based; Held et al. 1974). */
export function projectSimplex(y: readonly number[]): number[] {
  const u = y.slice().sort((a, b) => b - a);
  let cs = 0;
  let theta = 0;
  for (let i = 0; i < u.length; i++) {
    cs += u[i];
    const t = (cs - 1) / (i + 1);
    if (u[i] - t > 0) theta = t;
  }
  return y.map((v) => Math.max(v - theta, 0));
}

/**
 * min ½ xᵀMx + qᵀx subject to x ≥ 0, for symmetric positive definite M, by the primal active-set
 * method of Lawson & Hanson (1974) carried over from least squares to a quadratic. Exact up to rounding
 * and finite: every inner step frees or fixes one coordinate.
 */
export function nonnegQP(M: Mat, q: readonly number[], tol = 1e-14): number[] {
  const n = q.length;
  const x = new Array<number>(n).fill(0);
  const free = new Array<boolean>(n).fill(false);
  const scale = Math.max(1e-300, ...q.map(Math.abs), ...M.map((r, i) => Math.abs(r[i])));
  const subSolve = (): number[] => {
    const idx = free.flatMap((f, i) => (f ? [i] : []));
    const z = new Array<number>(n).fill(0);
    if (idx.length === 0) return z;
    const sol = solve(
      idx.map((i) => idx.map((j) => M[i][j])),
      idx.map((i) => -q[i]),
    );
    idx.forEach((i, k) => (z[i] = sol[k]));
    return z;
  };
  for (let outer = 0; outer < 10 * n + 10; outer++) {
    const w = matVec(M, x).map((v, i) => -(v + q[i]));
    let j = -1;
    for (let i = 0; i < n; i++) if (!free[i] && w[i] > tol * scale && (j < 0 || w[i] > w[j])) j = i;
    if (j < 0) return x;
    free[j] = true;
    for (let inner = 0; inner <= n; inner++) {
      const z = subSolve();
      if (free.every((f, i) => !f || z[i] > 0)) {
        for (let i = 0; i < n; i++) x[i] = z[i];
        break;
      }
      let alpha = Infinity;
      for (let i = 0; i < n; i++) {
        if (free[i] && z[i] <= 0) alpha = Math.min(alpha, x[i] / (x[i] - z[i]));
      }
      for (let i = 0; i < n; i++) {
        x[i] += alpha * (z[i] - x[i]);
        if (free[i] && x[i] <= tol * Math.max(1, Math.abs(z[i]))) {
          free[i] = false;
          x[i] = 0;
        }
      }
    }
  }
  return x;
}
