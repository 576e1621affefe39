// Issue 19 (a): inner-loop hyperparameters learned by unrolled hypergradients against the best of a
// small hand grid, on sinusoid regression (Finn et al. 2017), every run with the same meta-training budget.
//   node --import tsx bench/hyper_grid.ts [--steps 400] [--seeds 1,2] [--out results/meta/sinusoid-hyper]
// Each configuration is meta-trained `steps` iterations per seed; its best checkpoint is chosen on 100
// fixed validation tasks. The grid's best configuration is chosen on the validation MSE (mean over seeds)
// and every configuration is scored on the same 500 fixed test tasks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { meanCI } from '../src/engine/stats.js';
import { tf } from '../src/engine/tf.js';
import { mlp } from '../src/nn/mlp.js';
import { adam } from '../src/nn/optim.js';
import { disposeParams } from '../src/nn/params.js';
import { hyperMaml, readHyperparams, type HyperMamlOptions } from '../src/meta/optimization/hyper.js';
import { SinusoidTasks } from '../src/tasks/sinusoid.js';
import type { SupportQuery } from '../src/tasks/types.js';
import { metaTrain } from '../src/train/loop.js';
import { evaluate } from '../src/train/evaluate.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '400' },
    seeds: { type: 'string', default: '1,2' },
    out: { type: 'string', default: 'results/meta/sinusoid-hyper' },
  },
});
const STEPS = Number(values.steps);
const SEEDS = values.seeds.split(',').map(Number);
const SHOT = 5;
const QUERY = 10;
const INNER = 2;
const META_BATCH = 10;
const VAL_TASKS = 100;
const TEST_TASKS = 500;

await initEngine({ backend: 'wasm' });
const tasks = new SinusoidTasks();
const fixed = (seed: number, n: number): SupportQuery[] => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => tasks.sample(rng).source.supportQuery(SHOT, QUERY, rng));
};
const test = fixed(2_000_002, TEST_TASKS);

interface Config {
  label: string;
  opts: Omit<HyperMamlOptions, 'model'>;
}
const base = { loss: 'mse' as const, innerSteps: INNER };
const fixedHp = { learn: { lr: false, weightDecay: false, momentum: false } };
const grid: Config[] = [];
for (const lr of [0.01, 0.03, 0.1]) {
  for (const wd of [0, 0.1]) {
    grid.push({
      label: `grid lr=${lr} wd=${wd}`,
      opts: { ...base, ...fixedHp, innerLr: lr, weightDecay: wd },
    });
  }
}
const learned: Config[] = [
  {
    label: 'learned lr (per layer, per step) + wd',
    opts: { ...base, innerLr: 0.01, weightDecay: 0, learn: { lr: true, weightDecay: true, momentum: false } },
  },
];

interface Row {
  label: string;
  seed: number;
  valMse: number;
  bestStep: number;
  test: number[];
  seconds: number;
  hyper: Record<string, number>;
}
const rows: Row[] = [];
const t0 = performance.now();
for (const c of [...grid, ...learned]) {
  for (const seed of SEEDS) {
    const learner = hyperMaml({ model: mlp([1, 40, 40, 1]), ...c.opts });
    const rng = new Rng(seed);
    const theta = learner.init(rng.fork());
    const t1 = performance.now();
    const r = metaTrain({
      learner,
      theta,
      sample: (g) => tasks.sample(g).source.supportQuery(SHOT, QUERY, g),
      rng,
      steps: STEPS,
      metaBatch: META_BATCH,
      optimizer: adam({ lr: 1e-3 }),
      valEvery: Math.max(1, Math.floor(STEPS / 4)),
      validation: () => fixed(1_000_001, VAL_TASKS),
    });
    const seconds = (performance.now() - t1) / 1000;
    const ev = evaluate(learner, r.best, test);
    rows.push({
      label: c.label,
      seed,
      valMse: r.bestVal?.summary.mean ?? NaN,
      bestStep: r.bestStep,
      test: ev.perEpisode,
      seconds,
      hyper: readHyperparams(r.best),
    });
    console.log(
      `${c.label} seed ${seed}: val ${r.bestVal?.summary.mean.toFixed(3)} test ${ev.summary.mean.toFixed(3)} (${seconds.toFixed(0)} s)`,
    );
    if (r.best !== r.last) disposeParams(r.last);
    disposeParams(r.best);
  }
}
const wall = (performance.now() - t0) / 1000;
test.forEach((e) => tf.dispose([e.support.x, e.support.y, e.query.x, e.query.y]));

const labels = [...grid, ...learned].map((c) => c.label);
const summary = labels.map((label) => {
  const rs = rows.filter((r) => r.label === label);
  const pooled = meanCI(rs.flatMap((r) => r.test));
  const valMse = rs.reduce((a, r) => a + r.valMse, 0) / rs.length;
  const seconds = rs.reduce((a, r) => a + r.seconds, 0);
  return { label, valMse, test: pooled, seconds, hyper: rs.map((r) => r.hyper) };
});
const bestGrid = summary.filter((s) => s.label.startsWith('grid')).sort((a, b) => a.valMse - b.valMse)[0];
const fmt = (m: { mean: number; ci95: number }) => `${m.mean.toFixed(3)} ± ${m.ci95.toFixed(3)}`;
const command = `nice -n 5 node --import tsx bench/hyper_grid.ts --steps ${STEPS} --seeds ${SEEDS.join(',')} --out ${values.out}`;
const lines = [
  '# Learned inner-loop hyperparameters vs a hand grid: sinusoid regression, 5-shot',
  '',
  'Issue 19 (a). Reproduce:',
  '',
  '```',
  command,
  '```',
  '',
  `- tasks: sinusoid regression (amplitude U[0.1, 5], phase U[0, pi], x U[-5, 5]), ${SHOT} support and ${QUERY} query points; model MLP 1-40-40-1 (ReLU)`,
  `- every configuration: hyperMaml (src/meta/optimization/hyper.ts) with a learned initialisation (MAML), ${INNER} inner SGD steps, ${STEPS} meta-iterations of ${META_BATCH} tasks, Adam 1e-3 outer; best checkpoint of ${Math.floor(STEPS / 4)}-step validations on ${VAL_TASKS} fixed tasks`,
  `- grid: inner lr in {0.01, 0.03, 0.1} x inner L2 weight decay in {0, 0.1}, momentum 0, all fixed (6 runs per seed: 6 times the learned runs' compute); its best is chosen on validation MSE`,
  '- learned: the same learner with the inner rates (one per parameter tensor and inner step, 12 scalars) and weight decay in theta (momentum fixed at 0, as in the grid), initialised at lr 0.01, wd 0, trained by unrolled second-order hypergradients',
  `- test: ${TEST_TASKS} fixed unseen tasks, the same for every row; MSE mean ± 95% CI over the ${TEST_TASKS} x ${SEEDS.length} (task, seed) scores pooled`,
  `- seeds: ${SEEDS.join(', ')}; total wall time ${wall.toFixed(0)} s; machine: 2-vCPU ${cpus()[0]?.model ?? 'unknown'} dev VM, shared with other jobs, Node ${process.version}, tfjs wasm backend`,
  '',
  '| configuration | validation MSE (mean of seeds) | test MSE (95% CI) | training time, all seeds (s) |',
  '|---|---|---|---|',
  ...summary.map(
    (s) =>
      `| ${s.label}${s === bestGrid ? ' **(best of grid)**' : ''} | ${s.valMse.toFixed(3)} | ${fmt(s.test)} | ${s.seconds.toFixed(0)} |`,
  ),
  '',
  'Learned hyperparameters (best checkpoint, per seed):',
  '',
  ...summary
    .filter((s) => !s.label.startsWith('grid'))
    .flatMap((s) => [
      `- ${s.label}:`,
      ...s.hyper.map(
        (h, i) =>
          `  - seed ${SEEDS[i]}: ` +
          Object.entries(h)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join(', '),
      ),
    ]),
  '',
];
mkdirSync(values.out, { recursive: true });
writeFileSync(`${values.out}/README.md`, lines.join('\n'));
writeFileSync(
  `${values.out}/results.json`,
  JSON.stringify(
    { command, wallSeconds: wall, rows: rows.map((r) => ({ ...r, testMean: meanCI(r.test) })) },
    null,
    1,
  ) + '\n',
);
console.log(lines.join('\n'));
