// The Conv4 ProtoNet step's convolutions one by one (80 images of 28x28, 3x3 same padding, 64 channels):
// forward, filter gradient and input gradient of each layer, and the max-pool routing after it, called
// straight on the native addon, median of 15 calls, at METALEARN_THREADS kernel threads (default 1):
//   METALEARN_THREADS=1 node --import tsx bench/conv_layers.ts
import { nativeKernels } from '../src/engine/kernels/native.js';
import { setKernelThreads } from '../src/engine/backend.js';
const addon = nativeKernels();
if (!addon) throw new Error('native addon not built (native/build.mjs needs g++)');
console.log('threads', setKernelThreads(Number(process.env.METALEARN_THREADS ?? 1)));
const n = 80;
const layers: [number, number][] = [
  [28, 1],
  [14, 64],
  [7, 64],
  [3, 64],
];
const rand = (len: number) => new Float32Array(len).map(() => Math.random() - 0.5);
function time(f: () => void): number {
  const t: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[7];
}
let total = 0;
for (const [s, ci] of layers) {
  const co = 64;
  const x = rand(n * s * s * ci);
  const w = rand(9 * ci * co);
  const y = new Float32Array(n * s * s * co);
  const dims = [n, s, s, ci, 3, 3, co, s, s, 1, 1, 1, 1, 1, 1];
  const gflop = (2 * n * s * s * 9 * ci * co) / 1e9;
  const fwd = time(() => addon.conv2d(x, w, y, dims));
  const dw = new Float32Array(w.length);
  const fg = time(() => addon.conv2dFilterGrad(x, y, dw, dims));
  const dx = new Float32Array(x.length);
  const ig = ci > 1 ? time(() => addon.conv2dInputGrad(y, w, dx, dims)) : 0;
  const ho = Math.floor(s / 2);
  const pooled = rand(n * ho * ho * co);
  const route = new Float32Array(y.length);
  const pr = time(() => addon.poolRoute(y, pooled, route, [n, s, s, co, 2, 2, ho, ho], 0));
  total += fwd + fg + ig + pr;
  const gf = (t: number) => (t > 0 ? `${(gflop / (t / 1e3)).toFixed(0)} GF/s` : '-');
  console.log(
    `layer ${s}x${s}x${ci}: fwd ${fwd.toFixed(2)} ms (${gf(fwd)}), filterGrad ${fg.toFixed(2)} (${gf(fg)}), ` +
      `inputGrad ${ig.toFixed(2)} (${gf(ig)}), poolRoute ${pr.toFixed(2)}`,
  );
}
console.log(`total ${total.toFixed(1)} ms`);
