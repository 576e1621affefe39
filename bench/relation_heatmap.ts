// Issue 19: the task covariance a deep relationship network learns on a transfer benchmark, drawn as a
// heat map of task correlations (one per task-specific layer with the prior).
//   node --import tsx bench/relation_heatmap.ts [youtube-spam|parkinsons|omniglot] [--lambda 1e-3] [--seed 1]
//        [--out results/multitask/relation]
// Trains with the benchmark preset's budget (steps, batch, lr, hidden; src/experiment/transfer.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/backend.js';
import { disposeParams } from '../src/nn/params.js';
import { TRANSFER_PRESETS } from '../src/experiment/transfer.js';
import { loadBenchmark } from '../src/multitask/benchmarks.js';
import { heatmapSvg, makeArchitecture, relationCovariances, trainMultiTask } from '../src/multitask/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    lambda: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'results/multitask/relation' },
  },
});
const name = positionals[0] ?? 'youtube-spam';
const preset = TRANSFER_PRESETS[name];
if (!preset)
  throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(TRANSFER_PRESETS).join(', ')}`);
await initEngine({ backend: 'wasm' });
const set = loadBenchmark(name, preset.data as never);
const lambda = Number(values.lambda);
const seed = Number(values.seed);
const spec = {
  inputDim: set.inputDim,
  descriptorDim: set.tasks[0].descriptor.length,
  outDims: set.tasks.map((t) => t.outDim),
  hidden: preset.hidden,
};
const t0 = performance.now();
const r = trainMultiTask(makeArchitecture('relationship', spec, { lambda }), set, {
  steps: preset.steps,
  batchSize: preset.batch,
  lr: preset.lr,
  seed,
});
const seconds = (performance.now() - t0) / 1000;
const covs = relationCovariances(r.params, set.tasks.length);
disposeParams(r.params);
disposeParams(r.weightingParams);
const labels = set.tasks.map((t) => t.id);
mkdirSync(values.out, { recursive: true });
const command = `node --import tsx bench/relation_heatmap.ts ${name} --lambda ${values.lambda} --seed ${seed} --out ${values.out}`;
for (const c of covs) {
  const file = `${values.out}/${name}-task-correlation-${c.layer}.svg`;
  writeFileSync(
    file,
    heatmapSvg(c.correlation, {
      title: `${name}: learned task correlation, layer '${c.layer}' (relationship λ=${lambda}, seed ${seed})`,
      labels,
      min: -1,
      max: 1,
      digits: labels.length > 12 ? 1 : 2,
      cell: labels.length > 12 ? 22 : 56,
    }),
  );
  console.log(`wrote ${file}`);
}
writeFileSync(
  `${values.out}/${name}-task-covariance.json`,
  JSON.stringify(
    {
      command,
      seconds,
      steps: preset.steps,
      batch: preset.batch,
      lr: preset.lr,
      hidden: preset.hidden,
      labels,
      layers: covs,
    },
    null,
    1,
  ) + '\n',
);
console.log(`trained in ${seconds.toFixed(0)} s`);
