import { initEngine } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
await initEngine({ backend: 'wasm' });
const r = (s: number[]) => tf.randomNormal(s);
const cases: [string, tf.Tensor, tf.Tensor, boolean, boolean][] = [
  ['fwd h[20,32,256] w[20,256,5]', r([20, 32, 256]), r([20, 256, 5]), false, false],
  ['dh dl[20,32,5] w^T', r([20, 32, 5]), r([20, 256, 5]), false, true],
  ['dw h^T dl', r([20, 32, 256]), r([20, 32, 5]), true, false],
  ['dx2 [640,256]x[256,256]^T', r([640, 256]), r([256, 256]), false, true],
];
for (const [name, a, b, ta, tb] of cases) {
  const t: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = process.hrtime.bigint();
    const c = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb);
    t.push(Number(process.hrtime.bigint() - t0) / 1e3);
    c.dispose();
  }
  t.sort((x, y) => x - y);
  console.log(`${name}: median ${t[100].toFixed(1)} us, p10 ${t[20].toFixed(1)}`);
}
