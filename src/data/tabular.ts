/** The rows of one task (one video, one patient), row-major. */
export interface TabularTask {
  readonly id: string;
  readonly n: number;
  /** [n, featureDim] */
  readonly x: Float32Array;
  /** [n, targetDim]; class labels are stored as 0..numClasses-1 with targetDim 1. */
  readonly y: Float32Array;
  /** Per-task side information (e.g. age and sex of a patient). */
  readonly metadata?: Float32Array;
}

/** A named set of tabular tasks with shared features and targets. */
export interface TabularTaskSet {
  readonly name: string;
  readonly kind: 'classification' | 'regression';
  /** For classification. */
  readonly numClasses?: number;
  readonly featureNames: readonly string[];
  readonly targetNames: readonly string[];
  readonly metadataNames?: readonly string[];
  readonly tasks: readonly TabularTask[];
}

/** Per-feature mean and standard deviation, fitted on training rows and applied to every split. */
export class Standardiser {
  constructor(
    readonly mean: Float32Array,
    readonly std: Float32Array,
  ) {}

  /** Fit on every row of `tasks` (pass only meta-training tasks: test rows must not leak into the scale). */
  static fit(tasks: readonly TabularTask[], featureDim: number): Standardiser {
    const sum = new Float64Array(featureDim);
    const sq = new Float64Array(featureDim);
    let n = 0;
    for (const t of tasks) {
      for (let i = 0; i < t.n; i++) {
        for (let j = 0; j < featureDim; j++) {
          const v = t.x[i * featureDim + j];
          sum[j] += v;
          sq[j] += v * v;
        }
      }
      n += t.n;
    }
    if (n === 0) throw new Error('Standardiser.fit: no rows');
    const mean = new Float32Array(featureDim);
    const std = new Float32Array(featureDim);
    for (let j = 0; j < featureDim; j++) {
      const m = sum[j] / n;
      const v = Math.max(0, sq[j] / n - m * m);
      mean[j] = m;
      // A constant feature keeps scale 1 rather than dividing by zero.
      std[j] = v > 1e-24 ? Math.sqrt(v) : 1;
    }
    return new Standardiser(mean, std);
  }

  apply(task: TabularTask): TabularTask {
    const d = this.mean.length;
    const x = new Float32Array(task.x.length);
    for (let i = 0; i < task.x.length; i++) x[i] = (task.x[i] - this.mean[i % d]) / this.std[i % d];
    return { ...task, x };
  }
}
