// The negative-transfer report on one real benchmark: multi-task settings against independent models.
//   node --import tsx bench/transfer_report.ts <omniglot|youtube-spam|parkinsons>
//        [--seeds 1,2,3] [--steps N] [--batch N] [--lr X] [--hidden 64,64] [--settings label,label]
//        [--backend wasm|cpu] [--data-dir DIR] [--out results/multitask] [--quick] [--render]
// --render redraws the Markdown and SVG from <out>/<benchmark>.json without training.
// Writes <out>/<benchmark>.md (tables, command, budget, wall time, seeds, machine), <out>/<benchmark>.svg
// (per-task gain chart) and <out>/<benchmark>.json (the raw report).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initEngine, type BackendName } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import {
  formatTransferMarkdown,
  gainChartSvg,
  runTransferReport,
  type ReportSetting,
  type TransferReport,
} from '../src/multitask/index.js';
import { loadBenchmark } from '../src/multitask/benchmarks.js';

interface Preset {
  title: string;
  steps: number;
  batch: number;
  lr: number;
  hidden: number[];
  seeds: number[];
  data: object;
  notes: string[];
  settings: ReportSetting[];
}

const soft = (lambda: number): ReportSetting => ({
  label: `soft λ=${lambda}`,
  architecture: 'soft',
  architectureOptions: { lambda },
});
// Independent networks trained jointly are the baseline's own model: a check that the intervals do not
// flag differences where there are none.
const control: ReportSetting = { label: 'independent (control)', architecture: 'independent' };

const PRESETS: Record<string, Preset> = {
  'youtube-spam': {
    title: 'Negative transfer: YouTube spam, one spam filter per video (5 tasks)',
    steps: 300,
    batch: 16,
    lr: 1e-3,
    hidden: [64, 64],
    seeds: [1, 2, 3, 4, 5],
    data: {},
    notes: [
      "data: the 5 video CSVs of the YouTube Spam Collection; comments embedded by the hashing featuriser (256 buckets); 30% of each video's comments held out, stratified by class (split seed 0)",
      'descriptor z_i: one-hot video index',
    ],
    settings: [
      control,
      { label: 'multihead', architecture: 'multihead' },
      { label: 'multihead, wide trunk', architecture: 'multihead', hidden: [320, 320] },
      { label: 'concat (shared head)', architecture: 'concat' },
      { label: 'film (shared head)', architecture: 'film' },
      { label: 'mtan', architecture: 'mtan' },
      { label: 'cross-stitch', architecture: 'cross-stitch' },
      { label: 'multihead + uncertainty', architecture: 'multihead', weighting: 'uncertainty' },
      { label: 'multihead + dwa', architecture: 'multihead', weighting: 'dwa' },
      { label: 'multihead + gradnorm', architecture: 'multihead', weighting: 'gradnorm' },
      { label: 'multihead + pcgrad', architecture: 'multihead', weighting: 'pcgrad' },
      soft(1e-4),
      soft(1e-3),
      soft(1e-2),
      soft(1e-1),
    ],
  },
  parkinsons: {
    title: 'Negative transfer: Parkinsons telemonitoring, motor_UPDRS per patient (42 tasks)',
    steps: 600,
    batch: 16,
    lr: 1e-3,
    hidden: [32, 32],
    seeds: [1, 2, 3],
    data: {},
    notes: [
      "data: parkinsons_updrs.data, one regression task per subject#, target motor_UPDRS from the 16 voice measures; 30% of each patient's recordings held out at random (split seed 0); features and target standardised on training rows",
      'descriptor z_i: one-hot patient index',
    ],
    settings: [
      control,
      { label: 'multihead', architecture: 'multihead' },
      { label: 'concat (shared head)', architecture: 'concat' },
      { label: 'film (shared head)', architecture: 'film' },
      { label: 'multihead + uncertainty', architecture: 'multihead', weighting: 'uncertainty' },
      soft(1e-3),
      soft(1e-2),
      soft(1e-1),
    ],
  },
  omniglot: {
    title: 'Negative transfer: Omniglot alphabets as tasks (30 tasks, multilingual handwriting)',
    steps: 400,
    batch: 32,
    lr: 1e-3,
    hidden: [64, 64],
    seeds: [1, 2],
    data: {},
    notes: [
      'data: images_background.zip, 30 alphabets; each alphabet is a task classifying its own 14 to 55 characters; of the 20 drawings of every character 15 train and 5 are held out (split seed 0); 28x28 images (ink = 1) flattened into an MLP',
      'descriptor z_i: one-hot alphabet index',
    ],
    settings: [
      { label: 'multihead', architecture: 'multihead' },
      { label: 'concat (shared head)', architecture: 'concat' },
      { label: 'concat (task heads)', architecture: 'concat', architectureOptions: { head: 'task' } },
      { label: 'film (shared head)', architecture: 'film' },
      { label: 'film (task heads)', architecture: 'film', architectureOptions: { head: 'task' } },
      soft(1e-3),
      soft(1e-2),
      soft(1e-1),
    ],
  },
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seeds: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    hidden: { type: 'string' },
    settings: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    'data-dir': { type: 'string' },
    out: { type: 'string', default: 'results/multitask' },
    quick: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
  },
});

const name = positionals[0];
if (name === undefined || !(name in PRESETS)) {
  console.error(
    `usage: node --import tsx bench/transfer_report.ts <${Object.keys(PRESETS).join('|')}> [options]`,
  );
  process.exit(2);
}
const preset = PRESETS[name];
const nums = (s: string | undefined, what: string): number[] | undefined => {
  if (s === undefined) return undefined;
  const v = s.split(',').map(Number);
  if (v.some((x) => !Number.isFinite(x)))
    throw new Error(`--${what}: expected comma-separated numbers, got '${s}'`);
  return v;
};
const seeds = nums(values.seeds, 'seeds') ?? (values.quick ? [1] : preset.seeds);
const steps = nums(values.steps, 'steps')?.[0] ?? (values.quick ? 20 : preset.steps);
const batch = nums(values.batch, 'batch')?.[0] ?? preset.batch;
const lr = nums(values.lr, 'lr')?.[0] ?? preset.lr;
const hidden = nums(values.hidden, 'hidden') ?? preset.hidden;
let settings = preset.settings;
if (values.settings !== undefined) {
  const want = values.settings.split(',').map((s) => s.trim());
  settings = want.map((w) => {
    const s = preset.settings.find((x) => x.label === w);
    if (!s)
      throw new Error(
        `--settings: unknown setting '${w}'; known: ${preset.settings.map((x) => x.label).join(', ')}`,
      );
    return s;
  });
}

function write(report: TransferReport, command: string, wallMs: number, machine: string): string {
  const md = formatTransferMarkdown(report, { command, wallMs, machine, notes: preset.notes }, preset.title);
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, `${name}.md`), md);
  writeFileSync(join(values.out!, `${name}.svg`), gainChartSvg(report, preset.title));
  // The raw numbers, so tables and charts can be redrawn without training again (--render).
  writeFileSync(
    join(values.out!, `${name}.json`),
    JSON.stringify({ command, wallMs, machine, report }, null, 1) + '\n',
  );
  return md;
}

let md: string;
let wallMs: number;
if (values.render) {
  // Redraw the Markdown and the chart from a previous run's JSON; nothing is trained.
  const saved = JSON.parse(readFileSync(join(values.out!, `${name}.json`), 'utf8')) as {
    command: string;
    wallMs: number;
    machine: string;
    report: TransferReport;
  };
  wallMs = saved.wallMs;
  md = write(saved.report, saved.command, saved.wallMs, saved.machine);
} else {
  const backend = await initEngine({ backend: values.backend as BackendName });
  const t0 = performance.now();
  const data = { ...preset.data, ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}) };
  const set = loadBenchmark(name, data);
  console.log(
    `${set.name}: ${set.tasks.length} tasks, ${set.tasks.reduce((a, t) => a + t.train.n, 0)} training rows, ${set.tasks.reduce((a, t) => a + t.test.n, 0)} test rows`,
  );
  const report = runTransferReport(set, {
    settings,
    seeds,
    steps,
    batchSize: batch,
    lr,
    hidden,
    onProgress: (m) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}`),
  });
  wallMs = performance.now() - t0;
  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'} (${cpu.length} logical cores, shared), ${platform()} ${release()}, Node ${process.version}, TensorFlow.js ${tf.version.tfjs} on the ${backend} backend`;
  const command = ['node --import tsx bench/transfer_report.ts', ...process.argv.slice(2)].join(' ');
  md = write(report, command, wallMs, machine);
}
console.log(md);
console.log(
  `wrote ${join(values.out!, `${name}.md`)} and ${join(values.out!, `${name}.svg`)} in ${(wallMs / 1000).toFixed(0)} s`,
);
