// The README's quick start, runnable: npx tsx examples/quickstart.ts
import {
  initEngine,
  Rng,
  conv4,
  protoNet,
  metaTrain,
  evaluate,
  SyntheticAlphabet,
  EpisodeSampler,
  metaSplits,
  splitClassIds,
} from '../src/index.js';

await initEngine();
// Meta-train and meta-test on disjoint characters.
const data = new SyntheticAlphabet({ numClasses: 100 });
const split = metaSplits(data, splitClassIds(data.numClasses, { train: 80, test: 20 }, new Rng(1)));
const train = new EpisodeSampler(split.train, { nWay: 5, kShot: 1, nQuery: 15 });
const test = new EpisodeSampler(split.test, { nWay: 5, kShot: 1, nQuery: 15 });

const learner = protoNet({ embed: conv4({ hidden: 32 }), ways: 5 });
const rng = new Rng(0);
const run = metaTrain({ learner, theta: learner.init(rng), rng, steps: 30, sample: (r) => train.sample(r) });
const result = evaluate(
  learner,
  run.last,
  Array.from({ length: 50 }, () => test.sample(rng)),
  { dispose: true },
);
console.log(result.summary); // { mean, ci95, n }: accuracy on 50 episodes of unseen characters
