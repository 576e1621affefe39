import { nativeKernels } from '../src/engine/kernels/native.js';
const addon = nativeKernels()!;
const B = 128, T = 10, H = 128, G = 4 * H;
const f = (n: number, s = 1) => new Float32Array(n).map(() => (Math.random() - 0.5) * s);
const bth = B * T * H;
const args = [f(4 * bth, 0.5).map((v) => v + 0.5), f(bth), f(bth), f(B * H), f(B * H), f(H * G, 0.2), f(bth), f(bth), f(4 * bth), f(H * G), f(G), f(B * H), f(B * H)];
const fw = [f(4 * bth, 4), f(H * G, 0.2), f(G), f(B * H), f(B * H), f(bth), f(bth), f(4 * bth)];
const med = (fn: () => void, n = 40) => { const t: number[] = []; for (let i = 0; i < n; i++) { const t0 = process.hrtime.bigint(); fn(); t.push(Number(process.hrtime.bigint() - t0) / 1e6); } t.sort((a, b) => a - b); return t[Math.floor(n / 4)]; };
const A = f(B * T * G), Wt = f(G * H), C = f(B * H), Hp = f(B * T * H), dW = f(H * G);
for (let rep = 0; rep < 3; rep++) {
  const full = med(() => (addon.lstmSeqGrad as any)(...args, [B, T, H]));
  const fwd = med(() => (addon.lstmSeq as any)(...fw, [B, T, H]));
  const rec = med(() => { for (let t = 0; t < T; t++) addon.sgemm('avx2', A.subarray(t * G), Wt, C, [B, H, G, T * G, H, H, 0, 0], 1, 0); });
  const dwh = med(() => addon.sgemm('avx2', Hp, A, dW, [H, G, B * T, H, G, G, 1, 0], 1, 0));
  console.log(`lstmSeqGrad ${full.toFixed(2)} ms; lstmSeq ${fwd.toFixed(2)}; 10 recurrent products ${rec.toFixed(2)}; dwh ${dwh.toFixed(2)}`);
}
