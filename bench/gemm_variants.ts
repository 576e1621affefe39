// Each compiled sgemm variant (generic, avx2, avx512) on the GEMM shapes of the Conv4 and MANN steps, one kernel
// thread (METALEARN_THREADS, default 1), median of 9 calls:
//   METALEARN_THREADS=1 node --import tsx bench/gemm_variants.ts
import { nativeKernels } from '../src/engine/kernels/native.js';
import { setKernelThreads } from '../src/engine/backend.js';
const addon = nativeKernels();
if (!addon) throw new Error('native addon not built (native/build.mjs needs g++)');
const nThreads = Number(process.env.METALEARN_THREADS ?? 1);
console.log('threads', setKernelThreads(nThreads));
const shapes: [string, number, number, number, boolean, boolean][] = [
  ['conv fwd 20000x64x576', 20000, 64, 576, false, false],
  ['first layer 20000x64x27', 20000, 64, 27, false, false],
  ['B^T 20000x576x64', 20000, 576, 64, false, true],
  ['A^T 576x64x20000', 576, 64, 20000, true, false],
  ['512^3', 512, 512, 512, false, false],
  // The MANN step's first LSTM layer: the input projection and its filter gradient x^T dy.
  ['mann x w 1280x512x789', 1280, 512, 789, false, false],
  ['mann x^T dy 789x512x1280', 789, 512, 1280, true, false],
];
for (const [name, m, n, k, ta, tb] of shapes) {
  const a = new Float32Array(m * k).map(() => Math.random() - 0.5);
  const b = new Float32Array(k * n).map(() => Math.random() - 0.5);
  const c = new Float32Array(m * n);
  const row: string[] = [];
  for (const impl of addon.gemmKernels()) {
    const t: number[] = [];
    for (let r = 0; r < 9; r++) {
      const t0 = process.hrtime.bigint();
      addon.sgemm(impl, a, b, c, [m, n, k, ta ? m : k, tb ? k : n, n, ta ? 1 : 0, tb ? 1 : 0], 1, 0);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    t.sort((x, y) => x - y);
    row.push(`${impl} ${t[4].toFixed(2)} ms (${t[1].toFixed(2)}-${t[7].toFixed(2)})`);
  }
  console.log(`${name}: ${row.join('; ')}`);
}
