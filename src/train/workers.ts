import { Worker } from 'node:worker_threads';
import { tf } from '../engine/tf.js';
import { kernelThreads } from '../engine/backend.js';
import type { SupportQuery } from '../tasks/types.js';
import type { Params } from '../nn/params.js';
import type { TrainProgress } from '../meta/types.js';

export interface WireTensor {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}
export interface WireEpisode {
  sx: WireTensor;
  sy: WireTensor;
  qx: WireTensor;
  qy: WireTensor;
}
/** How each worker thread builds its copy of the learner: a module, an exported factory and its argument. */
export interface WorkerInit {
  backend?: string;
  /** Module (file URL or package path) exporting a function that builds the learner in the worker. */
  factoryModule: string;
  factoryName: string;
  factoryArg: unknown;
  /** Native-kernel threads of each worker (default: the creating thread's, split among the workers). */
  threads?: number;
}

const wire = (t: tf.Tensor): WireTensor => ({
  data: t.dataSync() as Float32Array | Int32Array,
  shape: t.shape.slice(),
  dtype: t.dtype === 'int32' ? 'int32' : 'float32',
});

/**
 * The worker thread's entry beside the module at `moduleUrl` (this one): compiled, worker_main.js itself;
 * from source, worker_boot.mjs, which registers tsx in the thread before importing worker_main.ts.
 */
export function workerEntry(moduleUrl: string): URL {
  return new URL(moduleUrl.endsWith('.js') ? './worker_main.js' : './worker_boot.mjs', moduleUrl);
}

/**
 * Data-parallel meta-gradients on worker threads. The wasm backend runs on one thread in Node, so a
 * meta-batch is split across workers, each with its own engine and a copy of theta; their gradients are
 * averaged weighted by episode count, which equals metaGrads over the whole meta-batch.
 */
export class WorkerPool {
  private constructor(
    private readonly workers: Worker[],
    /** Native-kernel threads each worker runs with (1 without the native addon). */
    readonly workerThreads: number[],
  ) {}

  static async create(size: number, init: WorkerInit): Promise<WorkerPool> {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`WorkerPool: size must be a positive integer, got ${size}`);
    const url = workerEntry(import.meta.url);
    // Workers x threads stays at what this thread had: the workers share out its kernel threads.
    const threads = init.threads ?? Math.max(1, Math.floor(kernelThreads() / size));
    const workerData: WorkerInit = { ...init, threads };
    const workers = Array.from({ length: size }, () => new Worker(url, { workerData }));
    const ready = await Promise.all(
      workers.map(
        (w) =>
          new Promise<number>((resolve, reject) => {
            w.once('message', (m: { threads?: number }) => resolve(m.threads ?? 1));
            w.once('error', reject);
          }),
      ),
    );
    return new WorkerPool(workers, ready);
  }

  /** Milliseconds each worker spent on its share in the last metaGrads call (for benchmarks). */
  lastWorkerMs: number[] = [];

  get size(): number {
    return this.workers.length;
  }

  /** Mean query loss and meta-gradient of `episodes` under theta, computed on the workers. */
  async metaGrads(
    theta: Params,
    episodes: SupportQuery[],
    progress?: TrainProgress,
  ): Promise<{ loss: number; grads: Params }> {
    if (episodes.length === 0) throw new Error('WorkerPool.metaGrads: the meta-batch is empty');
    const thetaWire: Record<string, WireTensor> = {};
    for (const [k, t] of Object.entries(theta)) thetaWire[k] = wire(t);
    const shares = this.workers.map((_, i) => episodes.filter((_, j) => j % this.workers.length === i));
    const results = await Promise.all(
      this.workers.map((w, i) => {
        if (shares[i].length === 0) return null;
        const eps: WireEpisode[] = shares[i].map((e) => ({
          sx: wire(e.support.x),
          sy: wire(e.support.y),
          qx: wire(e.query.x),
          qy: wire(e.query.y),
        }));
        return new Promise<{ loss: number; n: number; grads: Record<string, WireTensor>; ms: number }>(
          (resolve, reject) => {
            const onError = (e: Error) => reject(e);
            w.once('error', onError);
            w.once('message', (m) => {
              w.off('error', onError);
              resolve(m);
            });
            w.postMessage({ theta: thetaWire, episodes: eps, progress });
          },
        );
      }),
    );
    const done = results.filter((r): r is NonNullable<typeof r> => r !== null);
    this.lastWorkerMs = done.map((r) => r.ms);
    const total = done.reduce((s, r) => s + r.n, 0);
    const grads: Params = {};
    for (const k of Object.keys(theta)) {
      const acc = new Float32Array(theta[k].size);
      for (const r of done) {
        const g = r.grads[k].data;
        const wgt = r.n / total;
        for (let i = 0; i < acc.length; i++) acc[i] += wgt * g[i];
      }
      grads[k] = tf.tensor(acc, theta[k].shape);
    }
    return { loss: done.reduce((s, r) => s + (r.loss * r.n) / total, 0), grads };
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
