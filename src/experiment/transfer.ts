/**
 * The negative-transfer report on one real benchmark: the multi-task settings of a preset (conditioning
 * architecture x loss weighting) against one independent model per task, on the same data and budget.
 * Writes <out>/<benchmark>.md (tables, command, budget, wall time, seeds, machine), <out>/<benchmark>.svg
 * (per-task gain chart) and <out>/<benchmark>.json (the raw report, which `render` redraws from).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { initEngine, type BackendName } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import {
  formatTransferMarkdown,
  gainChartSvg,
  runTransferReport,
  type ReportSetting,
  type TransferReport,
  weightingNames,
} from '../multitask/index.js';
import { loadBenchmark } from '../multitask/benchmarks.js';

/** A benchmark's defaults: budget, seeds, the settings compared, and notes for the report. */
export interface TransferPreset {
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
const relation = (lambda: number): ReportSetting => ({
  label: `relationship λ=${lambda}`,
  architecture: 'relationship',
  architectureOptions: { lambda },
});
const routing: ReportSetting = { label: 'routing (WPL)', architecture: 'routing' };
// Independent networks trained jointly are the baseline's own model: a check that the intervals do not
// flag differences where there are none.
const control: ReportSetting = { label: 'independent (control)', architecture: 'independent' };

// Every loss weighting of the registry on the multi-head network, and the expert and relationship
// architectures, so that each benchmark's report compares all of them with equal weighting (issues 19, 20).
// `equal` is the multihead row itself; `fixed` needs weights chosen by hand.
const EVERY_WEIGHTING: ReportSetting[] = weightingNames()
  .filter((w) => w !== 'equal' && w !== 'fixed')
  .map((weighting): ReportSetting => ({
    label: `multihead + ${weighting}`,
    architecture: 'multihead',
    weighting,
  }));
const EXPERT_ARCHITECTURES: ReportSetting[] = (['mmoe', 'cgc', 'ple', 'dselect-k'] as const).map(
  (architecture): ReportSetting => ({ label: architecture, architecture }),
);

/** The preset's own settings, then every weighting and architecture above that it does not list yet. */
function withEvery(settings: ReportSetting[]): ReportSetting[] {
  const labels = new Set(settings.map((s) => s.label));
  const extra = [...EVERY_WEIGHTING, ...EXPERT_ARCHITECTURES, relation(1e-3), routing];
  return [...settings, ...extra.filter((s) => !labels.has(s.label))];
}

export const TRANSFER_PRESETS: Record<string, TransferPreset> = {
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
    settings: withEvery([
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
      { label: 'multihead + auto-lambda', architecture: 'multihead', weighting: 'auto-lambda' },
      {
        label: 'multihead + auto-lambda (meta lr x30)',
        architecture: 'multihead',
        weighting: 'auto-lambda',
        weightingOptions: { metaLrScale: 30 },
      },
      relation(1e-3),
      routing,
      relation(1e-2),
      soft(1e-4),
      soft(1e-3),
      soft(1e-2),
      soft(1e-1),
    ]),
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
    settings: withEvery([
      control,
      { label: 'multihead', architecture: 'multihead' },
      { label: 'concat (shared head)', architecture: 'concat' },
      { label: 'film (shared head)', architecture: 'film' },
      { label: 'multihead + uncertainty', architecture: 'multihead', weighting: 'uncertainty' },
      soft(1e-3),
      soft(1e-2),
      soft(1e-1),
      relation(1e-3),
      routing,
    ]),
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
    settings: withEvery([
      control,
      { label: 'multihead', architecture: 'multihead' },
      { label: 'concat (shared head)', architecture: 'concat' },
      { label: 'concat (task heads)', architecture: 'concat', architectureOptions: { head: 'task' } },
      { label: 'film (shared head)', architecture: 'film' },
      { label: 'film (task heads)', architecture: 'film', architectureOptions: { head: 'task' } },
      soft(1e-3),
      soft(1e-2),
      soft(1e-1),
      relation(1e-3),
      routing,
    ]),
  },
};

export interface TransferOptions {
  /** Override the preset's seeds, steps, batch size, learning rate, hidden sizes. */
  seeds?: number[];
  steps?: number;
  batch?: number;
  lr?: number;
  hidden?: number[];
  /** Labels of the preset's settings to run (default: all). */
  settings?: string[];
  backend?: BackendName;
  dataDir?: string;
  /** Output folder (default results/multitask). */
  out?: string;
  /** One seed and 20 steps, unless seeds/steps are given: a smoke test. */
  quick?: boolean;
  /** Redraw the Markdown and SVG from <out>/<benchmark>.json without training. */
  render?: boolean;
  /** The command line recorded in the report. */
  command: string;
  log?: (s: string) => void;
}

export interface TransferOutcome {
  markdown: string;
  files: { md: string; svg: string; json: string };
  wallMs: number;
}

/** A report's resolved budget, seeds and settings: the preset's unless the options override them. */
export interface TransferPlan {
  name: string;
  preset: TransferPreset;
  seeds: number[];
  steps: number;
  batch: number;
  lr: number;
  hidden: number[];
  settings: ReportSetting[];
  /** The benchmark loader's options (the preset's, and `dataDir`). */
  data: object;
  out: string;
  files: { md: string; svg: string; json: string };
}

/** Resolve the preset of benchmark `name` with the options' overrides (throws on an unknown name or label). */
export function planTransfer(name: string, opts: Omit<TransferOptions, 'command'>): TransferPlan {
  if (!Object.hasOwn(TRANSFER_PRESETS, name)) {
    throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(TRANSFER_PRESETS).join(', ')}`);
  }
  const preset = TRANSFER_PRESETS[name];
  const out = opts.out ?? 'results/multitask';
  const settings =
    opts.settings === undefined
      ? preset.settings
      : opts.settings.map((w) => {
          const s = preset.settings.find((x) => x.label === w);
          if (!s)
            throw new Error(
              `--settings: unknown setting '${w}'; known: ${preset.settings.map((x) => x.label).join(', ')}`,
            );
          return s;
        });
  return {
    name,
    preset,
    seeds: opts.seeds ?? (opts.quick ? [1] : preset.seeds),
    steps: opts.steps ?? (opts.quick ? 20 : preset.steps),
    batch: opts.batch ?? preset.batch,
    lr: opts.lr ?? preset.lr,
    hidden: opts.hidden ?? preset.hidden,
    settings,
    data: { ...preset.data, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) },
    out,
    files: {
      md: join(out, `${name}.md`),
      svg: join(out, `${name}.svg`),
      json: join(out, `${name}.json`),
    },
  };
}

/** This process's machine, as the report records it. */
export function machineLine(backend: string): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown CPU'} (${cpu.length} logical cores, shared), ${platform()} ${release()}, Node ${process.version}, TensorFlow.js ${tf.version.tfjs} on the ${backend} backend`;
}

/** Write <out>/<benchmark>.md, .svg and .json of a report; returns the Markdown. */
export function writeTransferFiles(
  plan: Pick<TransferPlan, 'preset' | 'out' | 'files'>,
  report: TransferReport,
  command: string,
  wallMs: number,
  machine: string,
): string {
  const { preset, files } = plan;
  const md = formatTransferMarkdown(report, { command, wallMs, machine, notes: preset.notes }, preset.title);
  mkdirSync(plan.out, { recursive: true });
  writeFileSync(files.md, md);
  writeFileSync(files.svg, gainChartSvg(report, preset.title));
  // The raw numbers, so tables and charts can be redrawn without training again (render).
  writeFileSync(files.json, JSON.stringify({ command, wallMs, machine, report }, null, 1) + '\n');
  return md;
}

/** Train (or, with `render`, redraw) the transfer report of benchmark `name` and write its files. */
export async function runTransfer(name: string, opts: TransferOptions): Promise<TransferOutcome> {
  const log = opts.log ?? (() => {});
  const plan = planTransfer(name, opts);
  const { files } = plan;
  if (opts.render) {
    // Redraw the Markdown and the chart from a previous run's JSON; nothing is trained.
    const saved = JSON.parse(readFileSync(files.json, 'utf8')) as {
      command: string;
      wallMs: number;
      machine: string;
      report: TransferReport;
    };
    return {
      markdown: writeTransferFiles(plan, saved.report, saved.command, saved.wallMs, saved.machine),
      files,
      wallMs: saved.wallMs,
    };
  }
  const backend = await initEngine({ backend: opts.backend ?? 'wasm' });
  const t0 = performance.now();
  const set = loadBenchmark(name, plan.data);
  log(
    `${set.name}: ${set.tasks.length} tasks, ${set.tasks.reduce((a, t) => a + t.train.n, 0)} training rows, ${set.tasks.reduce((a, t) => a + t.test.n, 0)} test rows`,
  );
  const report = runTransferReport(set, {
    settings: plan.settings,
    seeds: plan.seeds,
    steps: plan.steps,
    batchSize: plan.batch,
    lr: plan.lr,
    hidden: plan.hidden,
    onProgress: (m) => log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}`),
  });
  const wallMs = performance.now() - t0;
  return {
    markdown: writeTransferFiles(plan, report, opts.command, wallMs, machineLine(backend)),
    files,
    wallMs,
  };
}
