// Writes the demo's ProtoNet weights (web/public/model/{model.json,weights.bin}).
//
//   npx tsx web/scripts/make-weights.ts                 quick meta-training on the synthetic alphabet
//   npx tsx web/scripts/make-weights.ts --steps 300 --hidden 32 --way 10
//   npx tsx web/scripts/make-weights.ts --from runs/omniglot-protonet-20w1s/best   copy a trained run's params
//
// The page reads the Conv4 width and depth off the weight shapes, so any protonet+conv4 run works with --from.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import {
  initEngine,
  currentBackend,
  Rng,
  conv4,
  protoNet,
  metaTrain,
  evaluate,
  adam,
  SyntheticAlphabet,
  EpisodeSampler,
  countParams,
  disposeParams,
  loadParams,
  saveParams,
  formatCI,
  type Params,
} from '../../src/index.js';
import { EPISODE_SEED } from './make-episodes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    from: { type: 'string' },
    out: { type: 'string', default: path.join(here, '..', 'public', 'model') },
    steps: { type: 'string', default: '400' },
    hidden: { type: 'string', default: '32' },
    way: { type: 'string', default: '10' },
    shot: { type: 'string', default: '1' },
    query: { type: 'string', default: '5' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string', default: '0' },
    'eval-episodes': { type: 'string', default: '100' },
  },
});
const int = (k: keyof typeof args) => {
  const v = Number(args[k]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a non-negative integer, got ${args[k]}`);
  return v;
};

/** Conv4 width and depth from the parameter shapes: embed.block{i}.conv.w is [3, 3, in, hidden]. */
export function conv4Shape(params: Params): { hidden: number; blocks: number } {
  const w0 = params['embed.block0.conv.w'];
  if (!w0 || w0.shape.length !== 4) {
    throw new Error("not a protonet+conv4 parameter set: no 4-d 'embed.block0.conv.w'");
  }
  let blocks = 0;
  while (params[`embed.block${blocks}.conv.w`]) blocks++;
  return { hidden: w0.shape[3], blocks };
}

/** 5-way 1-shot accuracy on glyphs never seen in training (the seed of the page's bundled episodes). */
function heldOut(
  theta: Params,
  hidden: number,
  blocks: number,
  episodes: number,
): ReturnType<typeof evaluate> {
  const learner = protoNet({ embed: conv4({ hidden, blocks }), ways: 5 });
  const ds = new SyntheticAlphabet({ seed: EPISODE_SEED, numClasses: 50 });
  const sampler = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 5 });
  const rng = new Rng(99);
  return evaluate(
    learner,
    theta,
    Array.from({ length: episodes }, () => sampler.sample(rng)),
    { dispose: true },
  );
}

const backend = await initEngine();
const out = path.resolve(args.out!);
let theta: Params;
let metadata: Record<string, unknown>;
if (args.from) {
  const src = path.resolve(args.from);
  const loaded = await loadParams(src);
  theta = loaded.params;
  const { hidden, blocks } = conv4Shape(theta);
  // An exported run carries its config: say on the page what the model was trained on.
  const cfg = (loaded.metadata?.config ?? {}) as Record<string, unknown>;
  const names: Record<string, string> = {
    omniglot: 'Omniglot (Vinyals split)',
    'omniglot-lake': "Omniglot (Lake's background set)",
  };
  metadata = {
    ...(loaded.metadata ?? {}),
    ...(typeof cfg.dataset === 'string'
      ? {
          trainedOn: `${names[cfg.dataset] ?? cfg.dataset}, ${cfg.way}-way ${cfg.shot}-shot`,
          // the checkpoint's step (the best one), not the run's length
          episodes: Number(loaded.metadata?.step ?? cfg.steps) * Number(cfg.metaBatch ?? 1),
        }
      : {}),
    learner: 'protonet',
    embed: 'conv4',
    hidden,
    blocks,
    copiedFrom: path.relative(process.cwd(), src),
  };
  console.log(`copied ${countParams(theta)} params (conv4, hidden ${hidden}, ${blocks} blocks) from ${src}`);
} else {
  const hidden = int('hidden');
  const way = int('way');
  const shot = int('shot');
  const query = int('query');
  const steps = int('steps');
  const seed = int('seed');
  const learner = protoNet({ embed: conv4({ hidden }), ways: way });
  // Training glyphs come from seed 0; the page's bundled episodes from EPISODE_SEED, so they are unseen.
  const train = new EpisodeSampler(new SyntheticAlphabet({ seed: 0, numClasses: 1000 }), {
    nWay: way,
    kShot: shot,
    nQuery: query,
  });
  const rng = new Rng(seed);
  const init = learner.init(rng);
  console.log(
    `meta-training protonet conv4(hidden ${hidden}), ${countParams(init)} params, ${way}-way ${shot}-shot, ` +
      `${steps} episodes on ${backend}`,
  );
  let ema = NaN;
  const run = metaTrain({
    learner,
    theta: init,
    rng,
    steps,
    optimizer: adam({ lr: Number(args.lr) }) as never,
    sample: (r) => train.sample(r),
    onStep: ({ step, loss, seconds }) => {
      ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
      if (step % 50 === 0 || step === steps)
        console.log(`step ${step}/${steps}  loss(ema) ${ema.toFixed(3)}  ${seconds.toFixed(0)} s`);
    },
  });
  disposeParams(run.best === run.last ? {} : run.best);
  theta = run.last;
  metadata = {
    learner: 'protonet',
    embed: 'conv4',
    hidden,
    blocks: 4,
    trainedOn: 'synthetic-alphabet(seed=0, 1000 classes)',
    episodes: steps,
    way,
    shot,
    query,
    seed,
    seconds: Math.round(run.seconds),
  };
}

const { hidden, blocks } = conv4Shape(theta);
const evalEpisodes = int('eval-episodes');
if (evalEpisodes > 0) {
  const r = heldOut(theta, hidden, blocks, evalEpisodes);
  console.log(`held-out synthetic glyphs, 5-way 1-shot: ${formatCI(r.summary)}`);
  metadata.heldOut5w1s = { mean: r.summary.mean, ci95: r.summary.ci95, episodes: r.summary.n };
}
await saveParams(out, theta, { ...metadata, backend: currentBackend() });
console.log(`wrote ${path.join(out, 'model.json')} and weights.bin (${countParams(theta)} float32 values)`);
