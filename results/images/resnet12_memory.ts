// Why a ResNet-12 step on 80 images of 84x84x3 fails on wasm: one forward + backward pass of resnet12()
// at batch N, printing the wasm heap, the bytes of live tensors and the kernel running when it fails.
//   METALEARN_THREADS=1 nice -n 5 node --import tsx results/images/resnet12_memory.ts 80
import { tf } from '../../src/engine/tf.js';
import { initEngine } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { resnet12 } from '../../src/nn/resnet12.js';
import { TRAIN } from '../../src/nn/module.js';
import { valueAndGrads, disposeParams } from '../../src/nn/params.js';

const n = Number(process.argv[2] ?? 80);
const size = Number(process.argv[3] ?? 84);
await initEngine({ backend: 'wasm' });
const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
const gb = (b: number) => (b / 2 ** 30).toFixed(2);
const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
const orig = engine.runKernel.bind(engine);
let last = '';
let peakLive = 0;
let kernels = 0;
engine.runKernel = (...a: unknown[]) => {
  last = String(a[0]);
  kernels++;
  const r = orig(...a);
  peakLive = Math.max(peakLive, tf.memory().numBytes);
  return r;
};
const net = resnet12();
const params = net.init(new Rng(0));
const x = tf.randomUniform([n, size, size, 3]);
const t0 = Date.now();
try {
  const { value, grads } = valueAndGrads(params, (p) => tf.mean(tf.square(net.apply(p, x, TRAIN))));
  value.dispose();
  disposeParams(grads);
  console.log(
    `batch ${n} ${size}x${size}: ok in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${kernels} kernels`,
  );
} catch (e) {
  console.log(
    `batch ${n} ${size}x${size}: FAILED in kernel ${last} after ${kernels} kernels, ${((Date.now() - t0) / 1000).toFixed(1)} s: ${(e as Error).message}`,
  );
}
console.log(`wasm heap ${gb(heap())} GiB (max 4 GiB), peak live tensors ${gb(peakLive)} GiB`);
