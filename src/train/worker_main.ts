// A meta-gradient worker: its own tfjs engine in a worker thread, running metaGrads on the episodes it is
// sent with the theta it is sent. Started by WorkerPool (workers.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { tf } from '../engine/tf.js';
import { initEngine, kernelThreads, type BackendName } from '../engine/backend.js';
import { metaGrads } from '../meta/common.js';
import type { MetaLearner, TrainProgress } from '../meta/types.js';
import type { SupportQuery } from '../tasks/types.js';
import type { Params } from '../nn/params.js';
import type { WireEpisode, WireTensor, WorkerInit } from './workers.js';

const init = workerData as WorkerInit;
await initEngine({ backend: init.backend as BackendName | undefined, threads: init.threads });
const mod = (await import(init.factoryModule)) as Record<string, (arg: unknown) => MetaLearner>;
const factory = mod[init.factoryName];
if (typeof factory !== 'function') throw new Error(`${init.factoryModule}: no export '${init.factoryName}'`);
const learner = factory(init.factoryArg);

const toTensor = (w: WireTensor) => tf.tensor(w.data, w.shape, w.dtype);

parentPort!.on(
  'message',
  (msg: { theta: Record<string, WireTensor>; episodes: WireEpisode[]; progress?: TrainProgress }) => {
    const t0 = performance.now();
    const theta: Params = {};
    for (const [k, w] of Object.entries(msg.theta)) theta[k] = toTensor(w);
    const episodes: SupportQuery[] = msg.episodes.map((e) => ({
      support: { x: toTensor(e.sx), y: toTensor(e.sy) },
      query: { x: toTensor(e.qx), y: toTensor(e.qy) },
    }));
    const { loss, grads } = metaGrads(learner, theta, episodes, msg.progress);
    const out: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [k, g] of Object.entries(grads)) {
      const data = g.dataSync() as Float32Array;
      out[k] = { data, shape: g.shape, dtype: 'float32' };
      transfer.push(data.buffer as ArrayBuffer);
    }
    tf.dispose([...Object.values(theta), ...Object.values(grads)]);
    for (const e of episodes) tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);
    parentPort!.postMessage({ loss, n: episodes.length, grads: out, ms: performance.now() - t0 }, transfer);
  },
);
parentPort!.postMessage({ ready: true, threads: kernelThreads() });
