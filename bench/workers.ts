// Speed-up of data-parallel meta-gradients on worker threads: ms per MAML meta-iteration (Conv4, 5-way
// 1-shot, 15 queries, meta-batch 8) with 1 and 2 workers, each worker its own wasm engine.
//   node --import tsx bench/workers.ts [--iters 5] [--first-order]
import { parseArgs } from 'node:util';
import { tf, initEngine, Rng, disposeParams } from '../src/index.js';
import { WorkerPool } from '../src/train/workers.js';
import { benchMamlLearner } from '../src/experiment/bench/maml_worker.js';

const { values } = parseArgs({
  options: { iters: { type: 'string', default: '5' }, 'first-order': { type: 'boolean', default: false } },
});
const iters = Number(values.iters);
await initEngine({ backend: 'wasm' });
const arg = { firstOrder: values['first-order'] };
const learner = benchMamlLearner(arg);
const rng = new Rng(0);
const theta = learner.init(rng);
const episode = () => {
  const x = (n: number) => rng.uniformTensor([n, 28, 28, 1]);
  const y = (per: number) =>
    tf.tensor1d(
      Array.from({ length: 5 * per }, (_, i) => Math.floor(i / per)),
      'int32',
    );
  return { support: { x: x(5), y: y(1) }, query: { x: x(75), y: y(15) } };
};
const batch = Array.from({ length: 8 }, episode);
const results: Record<number, number> = {};
for (const size of [1, 2]) {
  const pool = await WorkerPool.create(size, {
    backend: 'wasm',
    factoryModule: new URL('../src/experiment/bench/maml_worker.ts', import.meta.url).href,
    factoryName: 'benchMamlLearner',
    factoryArg: arg,
  });
  disposeParams((await pool.metaGrads(theta, batch)).grads); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    disposeParams((await pool.metaGrads(theta, batch)).grads);
    ms.push(performance.now() - t0);
    console.log(
      `  ${size} worker(s): ${ms[ms.length - 1].toFixed(0)} ms, in the workers ${pool.lastWorkerMs.map((m) => m.toFixed(0)).join(' + ')} ms`,
    );
  }
  await pool.terminate();
  ms.sort((a, b) => a - b);
  results[size] = ms[Math.floor(ms.length / 2)];
  console.log(
    `${size} worker(s): median ${results[size].toFixed(0)} ms per meta-iteration (${iters} iterations)`,
  );
}
console.log(`speed-up 1 -> 2 workers: ${(results[1] / results[2]).toFixed(2)}x`);
