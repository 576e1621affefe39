import { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import type { DataSource, LabelledSet, SupportQuery, Task, TaskDistribution } from './types.js';
import { metadataDescriptor } from './descriptors.js';
import { mseLoss } from './losses.js';

// ---------------------------------------------------------------------------------------------------------
// Sinusoid regression (Finn et al. 2017, section 5.1)
// ---------------------------------------------------------------------------------------------------------

/** Ranges of the sinusoid task family. */
export interface SinusoidOptions {
  /** Default [0.1, 5]. */
  amplitude?: readonly [number, number];
  /** Default [0, pi]. */
  phase?: readonly [number, number];
  /** Input range; default [-5, 5]. */
  x?: readonly [number, number];
}

/** y = amplitude * sin(x - phase), x uniform in a range: p_i(x, y) of one sinusoid task. */
export class SinusoidSource implements DataSource {
  readonly xShape = [1] as const;
  readonly yShape = [1] as const;

  constructor(
    readonly amplitude: number,
    readonly phase: number,
    readonly xRange: readonly [number, number] = [-5, 5],
  ) {}

  f(x: number): number {
    return this.amplitude * Math.sin(x - this.phase);
  }

  /** x [n, 1], y [n, 1]. */
  sample(n: number, rng: Rng): LabelledSet {
    const x = rng.uniformArray(n, this.xRange[0], this.xRange[1]);
    const y = x.map((v) => this.f(v));
    return { x: tf.tensor2d(x, [n, 1], 'float32'), y: tf.tensor2d(y, [n, 1], 'float32') };
  }

  /** K support points and Q query points, drawn independently. */
  supportQuery(kShot: number, nQuery: number, rng: Rng): SupportQuery {
    return { support: this.sample(kShot, rng), query: this.sample(nQuery, rng) };
  }
}

/** One sinusoid task: its amplitude and phase. */
export interface SinusoidTask extends Task<SinusoidSource> {
  readonly amplitude: number;
  readonly phase: number;
}

/** A batch of sinusoid tasks stacked on a leading axis: x, y [B, K, 1] and [B, Q, 1]. */
export interface SinusoidBatch extends SupportQuery {
  readonly amplitudes: Float32Array;
  readonly phases: Float32Array;
}

/**
 * p(T) of MAML's sinusoid regression: amplitude U[0.1, 5], phase U[0, pi], x U[-5, 5], MSE loss.
 * Each task's descriptor is its (amplitude, phase) metadata, for task-conditioned baselines.
 */
export class SinusoidTasks implements TaskDistribution<SinusoidTask> {
  readonly name = 'sinusoid';
  readonly amplitude: readonly [number, number];
  readonly phase: readonly [number, number];
  readonly x: readonly [number, number];

  constructor(opts: SinusoidOptions = {}) {
    this.amplitude = opts.amplitude ?? [0.1, 5];
    this.phase = opts.phase ?? [0, Math.PI];
    this.x = opts.x ?? [-5, 5];
    for (const [k, r] of [
      ['amplitude', this.amplitude],
      ['phase', this.phase],
      ['x', this.x],
    ] as const) {
      if (!(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] <= r[1])) {
        throw new Error(`SinusoidTasks: option ${k} must be a range [lo, hi] with lo <= hi, got [${r}]`);
      }
    }
  }

  task(amplitude: number, phase: number): SinusoidTask {
    return {
      id: `sinusoid(A=${amplitude.toFixed(4)},phase=${phase.toFixed(4)})`,
      descriptor: metadataDescriptor([amplitude, phase], ['amplitude', 'phase']),
      source: new SinusoidSource(amplitude, phase, this.x),
      loss: mseLoss,
      amplitude,
      phase,
    };
  }

  sample(rng: Rng): SinusoidTask {
    const a = rng.uniform(this.amplitude[0], this.amplitude[1]);
    const p = rng.uniform(this.phase[0], this.phase[1]);
    return this.task(a, p);
  }

  /** `tasks` fresh tasks with K support and Q query points each, in four tensor calls. */
  sampleBatch(rng: Rng, tasks: number, kShot: number, nQuery: number): SinusoidBatch {
    const amplitudes = new Float32Array(tasks);
    const phases = new Float32Array(tasks);
    const sx = new Float32Array(tasks * kShot);
    const qx = new Float32Array(tasks * nQuery);
    const sy = new Float32Array(tasks * kShot);
    const qy = new Float32Array(tasks * nQuery);
    for (let b = 0; b < tasks; b++) {
      const a = (amplitudes[b] = rng.uniform(this.amplitude[0], this.amplitude[1]));
      const p = (phases[b] = rng.uniform(this.phase[0], this.phase[1]));
      for (let i = 0; i < kShot; i++) {
        const x = (sx[b * kShot + i] = rng.uniform(this.x[0], this.x[1]));
        sy[b * kShot + i] = a * Math.sin(x - p);
      }
      for (let i = 0; i < nQuery; i++) {
        const x = (qx[b * nQuery + i] = rng.uniform(this.x[0], this.x[1]));
        qy[b * nQuery + i] = a * Math.sin(x - p);
      }
    }
    return {
      support: { x: tf.tensor3d(sx, [tasks, kShot, 1]), y: tf.tensor3d(sy, [tasks, kShot, 1]) },
      query: { x: tf.tensor3d(qx, [tasks, nQuery, 1]), y: tf.tensor3d(qy, [tasks, nQuery, 1]) },
      amplitudes,
      phases,
    };
  }
}
