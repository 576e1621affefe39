// Experiment: how fast does the SNAIL sequence head learn 5-way 1-shot matching on fixed, good features
// (a trained ProtoNet's Conv4 embedding of 1,000 meta-train / 400 meta-test Omniglot classes, batch norm
// over batches of 500 images)? Meta-batch 16 episodes, 5 queries per class; accuracy on 200 fixed
// meta-test episodes every 100 steps.
//   node --import tsx bench/snail_head.ts <default|att|att2> <lr> <steps> <_> [protonet params folder]
//   node --import tsx bench/snail_head.ts att 0.001 3000 - runs/omniglot-protonet-20w1s/best
import {
  tf,
  initEngine,
  Rng,
  conv4,
  loadParams,
  subParams,
  TRAIN,
  adam,
  disposeParams,
} from '../src/index.js';
import { loadOmniglotVinyalsSplits } from '../src/data/omniglot.js';
import { snail, type SnailBlock } from '../src/meta/blackbox/snail.js';
import type { SupportQuery } from '../src/tasks/types.js';
import type { ClassDataset } from '../src/data/types.js';
await initEngine({ backend: 'wasm' });
const variant = process.argv[2] ?? 'default';
const lr = Number(process.argv[3] ?? '0.001');
const steps = Number(process.argv[4] ?? '600');
const s = loadOmniglotVinyalsSplits({}, ['train', 'test']);
const { params } = await loadParams(process.argv[5] ?? 'runs/omniglot-protonet-20w1s/best');
const embed = subParams(params, 'embed');
const net = conv4({ hidden: 64 });
function feats(ds: ClassDataset, C: number): Float32Array {
  const out = new Float32Array(C * 20 * 64);
  const buf = new Float32Array(500 * 784);
  for (let c0 = 0; c0 < C; c0 += 25) {
    const nc = Math.min(25, C - c0);
    for (let c = 0; c < nc; c++) for (let i = 0; i < 20; i++) ds.read(c0 + c, i, buf, (c * 20 + i) * 784);
    const e = tf.tidy(() =>
      net.apply(embed, tf.tensor4d(buf.subarray(0, nc * 20 * 784), [nc * 20, 28, 28, 1]), TRAIN),
    );
    out.set(e.dataSync(), c0 * 20 * 64);
    e.dispose();
  }
  return out;
}
const t0 = Date.now();
const CT = 1000,
  CE = 400;
const ftr = feats(s.train!, CT),
  fte = feats(s.test!, CE);
console.log(`features in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
function episode(f: Float32Array, C: number, rng: Rng): SupportQuery {
  const cls = rng.shuffle(Array.from({ length: C }, (_, i) => i)).slice(0, 5);
  const sx = new Float32Array(5 * 64),
    qx = new Float32Array(25 * 64);
  cls.forEach((c, k) => {
    const idx = rng.shuffle(Array.from({ length: 20 }, (_, i) => i));
    sx.set(f.subarray((c * 20 + idx[0]) * 64, (c * 20 + idx[0] + 1) * 64), k * 64);
    for (let q = 0; q < 5; q++)
      qx.set(f.subarray((c * 20 + idx[1 + q]) * 64, (c * 20 + idx[1 + q] + 1) * 64), (k * 5 + q) * 64);
  });
  return {
    support: { x: tf.tensor2d(sx, [5, 64]), y: tf.tensor1d([0, 1, 2, 3, 4], 'int32') },
    query: {
      x: tf.tensor2d(qx, [25, 64]),
      y: tf.tensor1d(
        Array.from({ length: 25 }, (_, i) => Math.floor(i / 5)),
        'int32',
      ),
    },
  };
}
const blocks: Record<string, SnailBlock[] | undefined> = {
  default: undefined,
  att: [{ kind: 'attention', dim: 64 }],
  att2: [
    { kind: 'attention', dim: 64 },
    { kind: 'attention', dim: 64 },
  ],
};
const l = snail({ ways: 5, encoder: 'flat', inputDim: 64, blocks: blocks[variant] });
const rng = new Rng(0);
let theta = l.init(rng);
const opt = adam({ lr });
let state = opt.init(theta);
const terng = new Rng(123);
const test = Array.from({ length: 200 }, () => episode(fte, CE, terng));
const acc = () => {
  let ok = 0,
    n = 0;
  for (const ep of test) {
    const p = tf.tidy(() => tf.argMax(l.episodeOutputs!(theta, ep), -1).dataSync());
    const y = ep.query.y.dataSync();
    p.forEach((v, i) => {
      ok += v === y[i] ? 1 : 0;
      n++;
    });
  }
  return ok / n;
};
const t1 = Date.now();
for (let step = 1; step <= steps; step++) {
  const eps = Array.from({ length: 16 }, () => episode(ftr, CT, rng));
  const { loss, grads } = l.metaGrads!(theta, eps);
  ({ params: theta, state } = opt.step(theta, grads, state));
  disposeParams(grads);
  for (const e of eps) tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]);
  if (step % 100 === 0)
    console.log(
      `${variant} lr ${lr} step ${step} loss ${loss.toFixed(3)} test acc ${(acc() * 100).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)} s)`,
    );
}
