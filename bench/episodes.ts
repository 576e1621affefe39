// Episode sampling speed on cached Omniglot (Vinyals trainval: 4,800 rotated classes).
//   node --import tsx bench/episodes.ts [--episodes 1000] [--way 5] [--shot 1] [--query 15] [--backend cpu]
// Prints: load time, index sampling (sampleSpec), pixel gathering into Float32Arrays (with rotation),
// and tensor creation, separately and in total.
import { parseArgs } from 'node:util';
import { initEngine, type BackendName } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { Rng } from '../src/engine/rng.js';
import { loadOmniglotVinyals } from '../src/data/omniglot.js';
import { EpisodeSampler, type EpisodeSpec } from '../src/tasks/episodes.js';
import { disposeSupportQuery } from '../src/tasks/types.js';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '1000' },
    way: { type: 'string', default: '5' },
    shot: { type: 'string', default: '1' },
    query: { type: 'string', default: '15' },
    backend: { type: 'string', default: 'cpu' },
    'data-dir': { type: 'string' },
  },
});
const count = Number(values.episodes);
const opts = { nWay: Number(values.way), kShot: Number(values.shot), nQuery: Number(values.query) };

const ms = (t0: number) => `${(performance.now() - t0).toFixed(1)} ms`;

let t0 = performance.now();
const ds = loadOmniglotVinyals('trainval', {
  dataDir: values['data-dir'],
  onProgress: (d, n) => d === n && console.log(`decoded ${n} images`),
});
console.log(`load (cache or decode) ${ds.name}: ${ds.numClasses} classes in ${ms(t0)}`);
await initEngine({ backend: values.backend as BackendName });

const sampler = new EpisodeSampler(ds, opts);
// Warm-up so JIT compilation is not counted.
for (let i = 0; i < 50; i++) sampler.gather(sampler.sampleSpec(new Rng(i)));

const rng = new Rng(0);
t0 = performance.now();
const specs: EpisodeSpec[] = [];
for (let i = 0; i < count; i++) specs.push(sampler.sampleSpec(rng));
const tSpec = performance.now() - t0;

// Gather and upload one episode at a time (as training does), timing each phase; keeping 1,000 episodes'
// arrays alive at once would measure the garbage collector instead.
let tGather = 0;
let tTensor = 0;
const shape = ds.exampleShape;
for (const s of specs) {
  t0 = performance.now();
  const a = sampler.gather(s);
  const t1 = performance.now();
  const ts = [
    tf.tensor(a.sx, [a.sy.length, ...shape], 'float32'),
    tf.tensor1d(a.sy, 'int32'),
    tf.tensor(a.qx, [a.qy.length, ...shape], 'float32'),
    tf.tensor1d(a.qy, 'int32'),
  ];
  tTensor += performance.now() - t1;
  tGather += t1 - t0;
  tf.dispose(ts);
}

t0 = performance.now();
const rng2 = new Rng(1);
for (let i = 0; i < count; i++) disposeSupportQuery(sampler.sample(rng2));
const tAll = performance.now() - t0;

const per = (t: number) => `${((t / count) * 1000).toFixed(1)} us/episode`;
console.log(
  `${count} episodes, ${opts.nWay}-way ${opts.kShot}-shot, ${opts.nQuery} queries/class, backend ${tf.getBackend()}`,
);
console.log(`  sampling indices (sampleSpec): ${tSpec.toFixed(1)} ms  (${per(tSpec)})`);
console.log(`  gathering pixels:              ${tGather.toFixed(1)} ms  (${per(tGather)})`);
console.log(`  creating tensors:              ${tTensor.toFixed(1)} ms  (${per(tTensor)})`);
console.log(`  sample() end to end:           ${tAll.toFixed(1)} ms  (${per(tAll)})`);
