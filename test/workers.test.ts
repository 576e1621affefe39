import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine, kernelThreads, setKernelThreads } from '../src/engine/backend.js';
import { nativeKernels } from '../src/engine/kernels/native.js';
import { Rng } from '../src/engine/rng.js';
import { metaGrads } from '../src/meta/common.js';
import { disposeParams } from '../src/nn/params.js';
import { WorkerPool } from '../src/train/workers.js';
import { toyMaml } from './helpers/worker_learner.js';
import { toyEpisode } from './helpers/toy.js';

describe('meta-gradients on worker threads', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('2 workers give the same second-order MAML meta-gradient as one process', async () => {
    const pool = await WorkerPool.create(2, {
      backend: 'wasm',
      factoryModule: new URL('./helpers/worker_learner.ts', import.meta.url).href,
      factoryName: 'toyMaml',
      factoryArg: { ways: 3 },
    });
    try {
      const learner = toyMaml({ ways: 3 });
      const rng = new Rng(4);
      const theta = learner.init(rng);
      const episodes = Array.from({ length: 5 }, () => toyEpisode(rng, 3, 1, 4));
      const local = metaGrads(learner, theta, episodes);
      const remote = await pool.metaGrads(theta, episodes);
      assert.ok(
        Math.abs(local.loss - remote.loss) < 1e-5 * Math.max(1, Math.abs(local.loss)),
        `${local.loss} vs ${remote.loss}`,
      );
      for (const k of Object.keys(theta)) {
        const a = local.grads[k].dataSync();
        const b = remote.grads[k].dataSync();
        let num = 0;
        let den = 0;
        a.forEach((v, i) => ((num += (v - b[i]) ** 2), (den += v * v)));
        assert.ok(
          Math.sqrt(num / Math.max(den, 1e-30)) < 1e-4,
          `${k}: relative difference ${Math.sqrt(num / den)}`,
        );
      }
      disposeParams(local.grads);
      disposeParams(remote.grads);
      disposeParams(theta);
      for (const e of episodes) tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);
    } finally {
      await pool.terminate();
    }
  });

  it(
    "workers share out the kernel threads: workers x threads stays at the creating thread's",
    {
      skip: nativeKernels() ? false : 'native addon not built',
    },
    async () => {
      const before = kernelThreads();
      setKernelThreads(4);
      const init = {
        backend: 'wasm',
        factoryModule: new URL('./helpers/worker_learner.ts', import.meta.url).href,
        factoryName: 'toyMaml',
        factoryArg: { ways: 3 },
      };
      const pools: WorkerPool[] = [];
      try {
        pools.push(await WorkerPool.create(2, init));
        assert.deepEqual(pools[0].workerThreads, [2, 2]);
        pools.push(await WorkerPool.create(3, init));
        assert.deepEqual(pools[1].workerThreads, [1, 1, 1]);
        pools.push(await WorkerPool.create(2, { ...init, threads: 3 }));
        assert.deepEqual(pools[2].workerThreads, [3, 3]);
      } finally {
        setKernelThreads(before);
        await Promise.all(pools.map((p) => p.terminate()));
      }
    },
  );
});
