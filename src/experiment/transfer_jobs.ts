/**
 * The negative-transfer report as queue jobs (Node: files), independent of the queue: one job per
 * (setting, seed) and one per seed for the independent baselines, each writing its pieces' test scores
 * to a file of the report's folder, and a collect step that combines the files into the same report as
 * `metalearn transfer` in one process (combineTransferReport) and writes its .md, .svg and .json.
 * sweep_queue.ts enqueues them as one BullMQ flow; sweep_processor.ts runs them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { initEngine, kernelThreads, type BackendName } from '../engine/backend.js';
import { loadBenchmark } from '../multitask/benchmarks.js';
import {
  combineTransferReport,
  trainIndependentPiece,
  trainSettingPiece,
  transferShape,
  type ReportBudget,
  type ReportSetting,
  type TransferPiece,
  type TransferReport,
} from '../multitask/index.js';
import type { MultiTaskSet } from '../multitask/types.js';
import { makeRunDir, writeRunFile } from './run_folder.js';
import { machineLine, planTransfer, writeTransferFiles, type TransferOptions } from './transfer.js';

/** Everything a report's jobs need, carried by every job (plain JSON). */
export interface TransferJobPlan {
  /** Prefix of the report's job ids: benchmark and a hash of everything below, so a changed budget is a new report. */
  name: string;
  benchmark: string;
  /** The report's folder (absolute: every worker must reach it); pieces in <out>/<benchmark>-pieces/. */
  out: string;
  data: object;
  backend: BackendName;
  budget: ReportBudget;
  seeds: number[];
  settings: ReportSetting[];
  /** The command line recorded in the report. */
  command: string;
  /** When the report was enqueued (ms since the epoch): its wall time runs from here to the collect job. */
  enqueuedAt: number;
}

/** One job of a report: the independent baselines (`setting` null) or one setting, with one seed. */
export interface TransferPieceJob {
  plan: TransferJobPlan;
  /** Index into plan.settings, or null for the independent baselines. */
  setting: number | null;
  seed: number;
}

/** What a piece's file holds: the job it answers, who ran it, and the scores. */
export interface TransferPieceFile {
  job: { benchmark: string; data: object; budget: ReportBudget; setting: ReportSetting | null; seed: number };
  who: string;
  machine: string;
  /** Native-kernel threads the job ran with. */
  threads: number;
  at: string;
  piece: { scores: number[][]; wallMs: number; leaked: number };
}

/** What a piece job returns. */
export interface TransferPieceResult {
  file: string;
  /** The file was there: nothing was trained. */
  alreadyDone: boolean;
  wallMs: number;
}

/** A folder-safe name of a setting's label: 'soft λ=0.01' -> 'soft_0.01'. */
export const settingSlug = (label: string): string =>
  label.replace(/[^A-Za-z0-9.+-]+/g, '_').replace(/^_|_$/g, '') || 'setting';

/** The file of one piece. */
export function pieceFile(plan: TransferJobPlan, setting: number | null, seed: number): string {
  const dir = setting === null ? 'independent' : settingSlug(plan.settings[setting].label);
  return path.join(plan.out, `${plan.benchmark}-pieces`, dir, `seed-${seed}.json`);
}

/**
 * The job plan of `metalearn transfer <benchmark> --redis`: the preset with the options' overrides,
 * `out` made absolute. Two settings whose labels give the same folder name are refused.
 */
export function planTransferJobs(
  benchmark: string,
  opts: Omit<TransferOptions, 'log'>,
  enqueuedAt = Date.now(),
): TransferJobPlan {
  const p = planTransfer(benchmark, opts);
  const slugs = new Map<string, string>();
  for (const s of p.settings) {
    const slug = settingSlug(s.label);
    const other = slugs.get(slug);
    if (other !== undefined && other !== s.label)
      throw new Error(`settings '${other}' and '${s.label}' would share the piece folder '${slug}'`);
    if (other !== undefined) throw new Error(`--settings lists '${s.label}' twice`);
    slugs.set(slug, s.label);
  }
  if (new Set(p.seeds).size !== p.seeds.length) throw new Error('--seeds lists a seed twice');
  const data = opts.dataDir ? { ...p.data, dataDir: path.resolve(opts.dataDir) } : p.data;
  const core = {
    benchmark,
    out: path.resolve(p.out),
    data,
    backend: opts.backend ?? 'wasm',
    budget: { steps: p.steps, batchSize: p.batch, lr: p.lr, hidden: p.hidden },
    seeds: p.seeds,
    settings: p.settings,
  };
  const hash = createHash('sha256').update(JSON.stringify(core)).digest('hex').slice(0, 10);
  return { name: `transfer.${benchmark}.${hash}`, ...core, command: opts.command, enqueuedAt };
}

/** Every piece job of a plan: the independent baselines of each seed, then each setting x seed. */
export function pieceJobs(plan: TransferJobPlan): TransferPieceJob[] {
  return [null, ...plan.settings.map((_, i) => i)].flatMap((setting) =>
    plan.seeds.map((seed) => ({ plan, setting, seed })),
  );
}

const jobKey = (j: TransferPieceJob): TransferPieceFile['job'] => ({
  benchmark: j.plan.benchmark,
  data: j.plan.data,
  budget: j.plan.budget,
  setting: j.setting === null ? null : j.plan.settings[j.setting],
  seed: j.seed,
});

function readPiece(file: string): TransferPieceFile | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as TransferPieceFile;
  } catch (e) {
    throw new Error(`${file}: not a piece file (${(e as Error).message}); delete it to train it again`);
  }
}

// The benchmark of a worker thread, loaded once for all the jobs the thread runs.
const loaded = new Map<string, MultiTaskSet>();
function benchmarkOf(plan: TransferJobPlan): MultiTaskSet {
  const key = JSON.stringify([plan.benchmark, plan.data]);
  let set = loaded.get(key);
  if (!set) {
    set = loadBenchmark(plan.benchmark, plan.data);
    loaded.set(key, set);
  }
  return set;
}

/**
 * Run one piece of a report so that running it again is harmless: when its file is there (and answers
 * this job: same benchmark, data, budget, setting and seed) nothing is trained; a file of another job
 * is refused. Pieces have no checkpoints (a piece is one small model): a killed piece trains afresh.
 * The file is written atomically, so it is there whole or not at all.
 */
export async function runTransferPieceJob(
  job: TransferPieceJob,
  log: (s: string) => void,
): Promise<TransferPieceResult> {
  const file = pieceFile(job.plan, job.setting, job.seed);
  const key = jobKey(job);
  const saved = readPiece(file);
  if (saved) {
    if (JSON.stringify(saved.job) !== JSON.stringify(key))
      throw new Error(
        `${file}: holds the piece of another report (benchmark, data, budget, setting or seed differ); ` +
          `use another --out or delete the folder`,
      );
    log(`already done: ${file}; nothing to train`);
    return { file, alreadyDone: true, wallMs: saved.piece.wallMs };
  }
  const backend = await initEngine({ backend: job.plan.backend });
  const set = benchmarkOf(job.plan);
  const what = job.setting === null ? 'independent models' : `'${job.plan.settings[job.setting].label}'`;
  log(`training ${what} with seed ${job.seed}`);
  const p =
    job.setting === null
      ? trainIndependentPiece(set, job.plan.budget, job.seed)
      : trainSettingPiece(set, job.plan.budget, job.plan.settings[job.setting], job.seed);
  if (p.leaked !== 0) log(`warning: ${what} left ${p.leaked} tensors allocated`);
  const content: TransferPieceFile = {
    job: key,
    who: `${hostname()}:${process.pid}`,
    machine: machineLine(backend),
    threads: kernelThreads(),
    at: new Date().toISOString(),
    piece: { scores: p.scores.map((row) => Array.from(row)), wallMs: p.wallMs, leaked: p.leaked },
  };
  makeRunDir(path.dirname(file));
  writeRunFile(file, JSON.stringify(content) + '\n');
  log(`${what}, seed ${job.seed}: ${(p.wallMs / 1000).toFixed(1)} s -> ${file}`);
  return { file, alreadyDone: false, wallMs: p.wallMs };
}

/** What the collect step returns. */
export interface TransferCollectResult {
  files: { md: string; svg: string; json: string };
  wallMs: number;
  pieces: number;
}

/**
 * Combine the pieces' files of a plan into the report (the same as one process with the same seeds
 * computes) and write <out>/<benchmark>.md, .svg and .json. Every piece must be there, once: each job
 * has its own file. Wall time: from the plan's enqueue time to now.
 */
export function collectTransferJobs(
  plan: TransferJobPlan,
): TransferCollectResult & { report: TransferReport } {
  const read = (setting: number | null, seed: number): { piece: TransferPiece; f: TransferPieceFile } => {
    const file = pieceFile(plan, setting, seed);
    const f = readPiece(file);
    if (!f) throw new Error(`${file}: missing; its job did not finish`);
    if (JSON.stringify(f.job) !== JSON.stringify(jobKey({ plan, setting, seed })))
      throw new Error(`${file}: holds the piece of another report`);
    return { piece: f.piece, f };
  };
  const ind = plan.seeds.map((seed) => read(null, seed));
  const sets = plan.settings.map((_, i) => plan.seeds.map((seed) => read(i, seed)));
  const all = [...ind, ...sets.flat()];
  const shape = transferShape(benchmarkOf(plan));
  const report = combineTransferReport(
    shape,
    { ...plan.budget, seeds: plan.seeds, settings: plan.settings },
    ind.map((x) => x.piece),
    sets.map((s) => s.map((x) => x.piece)),
  );
  const machines = [...new Set(all.map((x) => x.f.machine))];
  const hosts = new Set(all.map((x) => x.f.who));
  const threads = [...new Set(all.map((x) => x.f.threads))].sort((a, b) => a - b);
  const machine =
    `${all.length} queue jobs on ${hosts.size} worker process(es), ${threads.join('/')} kernel thread(s) per job; ` +
    machines.join('; ');
  const wallMs = Date.now() - plan.enqueuedAt;
  const p = planTransfer(plan.benchmark, { out: plan.out });
  const files = p.files;
  writeTransferFiles(p, report, plan.command, wallMs, machine);
  return { files, wallMs, pieces: all.length, report };
}
