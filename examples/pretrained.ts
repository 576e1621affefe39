// A shipped Omniglot model on characters it never saw, with no data set to download:
//   npx tsx examples/pretrained.ts [model folder]
// The model (models/omniglot-protonet-vinyals by default) was meta-trained on Omniglot; the characters here
// are the library's procedurally drawn SyntheticAlphabet (white ink on black, 28x28, as Omniglot is read).
import { fileURLToPath } from 'node:url';
import {
  initEngine,
  Rng,
  conv4,
  protoNet,
  evaluate,
  loadParams,
  SyntheticAlphabet,
  EpisodeSampler,
  tf,
} from '../src/index.js';

const modelDir =
  process.argv[2] ?? fileURLToPath(new URL('../models/omniglot-protonet-vinyals', import.meta.url));
await initEngine();
const { params } = await loadParams(modelDir);
const learner = protoNet({ embed: conv4({ hidden: 64 }), ways: 5 });

// One episode by hand: adapt on the support set (the prototypes), then label the queries.
const sampler = new EpisodeSampler(new SyntheticAlphabet({ seed: 3, numClasses: 50 }), {
  nWay: 5,
  kShot: 1,
  nQuery: 5,
});
const rng = new Rng(0);
const { support, query } = sampler.sample(rng);
const phi = learner.adapt(params, support);
const labels = tf.tidy(() => tf.argMax(learner.predict(params, phi, query.x), -1));
console.log(`predicted ${labels.dataSync().join(' ')}\ntrue      ${query.y.dataSync().join(' ')}`);
tf.dispose([labels, phi, support.x, support.y, query.x, query.y]);

// And 100 episodes with a 95% interval.
const result = evaluate(
  learner,
  params,
  Array.from({ length: 100 }, () => sampler.sample(rng)),
  { dispose: true },
);
console.log(result.summary); // { mean, ci95, n }
