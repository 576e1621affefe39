import { nativeKernels } from '../src/engine/kernels/native.js';
const addon = nativeKernels()!;
console.log(addon.gemmPath(), addon.gemmKernels());
const shapes: [string, number, number, number, boolean, boolean][] = [
  ['mann fwd 1280x512x789', 1280, 512, 789, false, false],
  ['mann dW 789x512x1280 (A^T)', 789, 512, 1280, true, false],
  ['fwd1 640x256x784', 640, 256, 784, false, false],
  ['fwd2 640x256x256', 640, 256, 256, false, false],
  ['dW1 784x256x640 (A^T)', 784, 256, 640, true, false],
  ['dW2 256x256x640 (A^T)', 256, 256, 640, true, false],
  ['dH1 640x256x256 (B^T)', 640, 256, 256, false, true],
];
for (const [name, m, n, k, ta, tb] of shapes) {
  const a = new Float32Array(m * k).map(() => Math.random() - 0.5);
  const b = new Float32Array(k * n).map(() => Math.random() - 0.5);
  const c = new Float32Array(m * n);
  const res: Record<string, number[]> = {};
  const impls = addon.gemmKernels().filter((x) => x !== 'generic');
  for (let r = 0; r < 60; r++) for (const impl of impls) {
    const t0 = process.hrtime.bigint();
    addon.sgemm(impl, a, b, c, [m, n, k, ta ? m : k, tb ? k : n, n, ta ? 1 : 0, tb ? 1 : 0], 1, 0);
    (res[impl] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const row = impls.map((i) => { const t = res[i].sort((x, y) => x - y); const gf = (2 * m * n * k) / t[5] / 1e6; return `${i} ${t[5].toFixed(3)} ms ${gf.toFixed(0)} GF/s`; });
  console.log(`${name}: ${row.join('; ')}`);
}
