/**
 * The maml bench workload on worker threads (Node-only: worker_threads), for `benchOurs`'s
 * `mamlWorkers` option; `metalearn bench` and bench/bench.ts pass it in.
 */
import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { disposeParams, type Params } from '../../nn/params.js';
import { adam } from '../../nn/optim.js';
import { WorkerPool } from '../../train/workers.js';
import { benchMamlLearner } from './maml_worker.js';
import { images, labels, percentile, settle, type BenchResult } from './workloads.js';

/**
 * The maml workload data-parallel: its 32 tasks shared among `workers` worker threads (one kernel thread
 * each, WorkerPool), their meta-gradients averaged, and the same Adam update on this thread. Each step
 * includes sending theta and the tasks to the workers.
 */
export async function timeMamlWorkers(variant: string, workers: number, iters: number): Promise<BenchResult> {
  const rng = new Rng(0);
  // theta as the workers' learner names it
  let params: Params = benchMamlLearner({ firstOrder: variant === 'first_order' }).init(rng);
  const opt = adam({ lr: 1e-3 });
  let state = opt.init(params);
  const last = Object.keys(params).sort().pop()!;
  const here = import.meta.url;
  const pool = await WorkerPool.create(workers, {
    backend: 'wasm',
    factoryModule: new URL(here.endsWith('.ts') ? './maml_worker.ts' : './maml_worker.js', here).href,
    factoryName: 'benchMamlLearner',
    factoryArg: { firstOrder: variant === 'first_order' },
    threads: 1,
  });
  const batches = Array.from({ length: 2 }, () =>
    Array.from({ length: 32 }, () => ({
      support: { x: images(rng, 5, 1), y: labels(1) },
      query: { x: images(rng, 5, 15), y: labels(15) },
    })),
  );
  const step = async (i: number) => {
    const { grads } = await pool.metaGrads(params, batches[i % batches.length]);
    ({ params, state } = opt.step(params, grads, state));
    disposeParams(grads);
    settle(params[last]);
  };
  const ms: number[] = [];
  try {
    await step(0); // warm-up
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      await step(i);
      ms.push(performance.now() - t0);
    }
  } finally {
    await pool.terminate();
    opt.dispose(state);
    disposeParams(params);
    for (const b of batches) for (const e of b) tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);
  }
  ms.sort((a, b) => a - b);
  return {
    workload: 'maml',
    variant,
    mode: 'workers',
    median_ms: percentile(ms, 0.5),
    p10_ms: percentile(ms, 0.1),
    p90_ms: percentile(ms, 0.9),
    iters,
  };
}
