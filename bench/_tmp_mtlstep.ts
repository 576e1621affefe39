import { initEngine } from '../src/engine/backend.js';
import { nativeKernels } from '../src/engine/kernels/native.js';
import { benchOurs } from '../src/experiment/bench/workloads.js';
await initEngine({ backend: 'wasm' });
const addon = nativeKernels() as unknown as Record<string, (...a: unknown[]) => unknown>;
const acc: Record<string, [number, number]> = {};
let on = false;
for (const k of Object.keys(addon)) {
  const f = addon[k];
  if (typeof f !== 'function') continue;
  addon[k] = (...a: unknown[]) => {
    if (!on) return f(...a);
    const t0 = process.hrtime.bigint();
    const r = f(...a);
    const e = acc[k] ?? (acc[k] = [0, 0]);
    e[0] += Number(process.hrtime.bigint() - t0) / 1e6; e[1]++;
    return r;
  };
}
const w = process.argv[2] ?? 'mtl:train_bmm';
await benchOurs({ workloads: [w], iters: 5, mamlIters: 1, warmup: 3, threads: 1, log: () => {} });
on = true;
const iters = 100;
const [r] = await benchOurs({ workloads: [w], iters, mamlIters: 1, warmup: 0, threads: 1, log: () => {} });
on = false;
let tot = 0;
for (const [k, [ms, n]] of Object.entries(acc).sort((a, b) => b[1][0] - a[1][0])) { tot += ms; console.log(`${k.padEnd(16)} ${(ms / iters).toFixed(3)} ms/step  ${(n / iters).toFixed(1)} calls/step`); }
console.log(`native total ${(tot / iters).toFixed(2)} ms/step; step median ${r.median_ms.toFixed(2)} ms`);
