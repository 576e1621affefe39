/**
 * What a sweep's jobs do (Node: files), independent of the queue: train one run idempotently (finish a
 * finished run at once, resume one with a checkpoint, start one without), and collect the runs' results
 * into the sweep table. sweep_processor.ts calls these from BullMQ jobs.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { kernelThreads } from '../engine/backend.js';
import { barChartSvg } from '../report/bar_chart.js';
import type { RunConfig } from './config.js';
import { runExperiment, type RunSummary } from './run.js';
import { hasCheckpoint, makeRunDir, runFolder, writeRunFile } from './run_folder.js';
import {
  sweepMarkdown,
  sweepTable,
  type ExpandedSweep,
  type SweepRunResult,
  type SweepTable,
} from './sweep.js';

/** One line per job attempt on a run folder: who ran it and where it started (the run's history). */
export const ATTEMPTS_FILE = 'sweep-attempts.jsonl';
/** The log of every attempt on a run folder, appended to. */
export const WORKER_LOG = 'worker.log';

/** Environment variable through which a worker tells its job threads their native-kernel threads. */
export const JOB_THREADS_ENV = 'METALEARN_JOB_THREADS';

/** The data of a sweep's run job. */
export interface RunJobData {
  sweep: string;
  setting: string;
  seed: number;
  config: RunConfig;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Whether process `pid` runs on this host (EPERM: it runs, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Wait while another live process of this host writes the run. That happens when BullMQ took a job
 * for stalled whose worker was only slow to renew its lock (a loaded machine): this attempt then waits
 * for the first to finish and returns its result instead of failing on the run lock.
 */
async function waitForLiveWriter(lockFile: string, say: (s: string) => void): Promise<void> {
  for (let noted = false; ; noted = true) {
    const held = readJson(lockFile);
    const pid = held?.pid;
    if (typeof pid !== 'number' || held?.host !== hostname() || pid === process.pid || !alive(pid)) return;
    if (!noted) say(`process ${pid} still writes the run (its job was taken for stalled); waiting for it`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Whether a saved config is the job's: every field the job sets has the saved value. */
const sameRun = (saved: unknown, cfg: RunConfig): boolean =>
  saved !== null &&
  typeof saved === 'object' &&
  Object.entries(cfg).every(([k, v]) => (saved as Record<string, unknown>)[k] === v);

const resultOf = (
  job: RunJobData,
  s: Pick<RunSummary, 'test' | 'stepsTrained'>,
  resumedFrom: number | null,
  alreadyDone: boolean,
): SweepRunResult => ({
  setting: job.setting,
  seed: job.seed,
  out: job.config.out,
  metric: s.test.metric,
  test: { mean: s.test.mean, ci95: s.test.ci95, n: s.test.n },
  stepsTrained: s.stepsTrained,
  resumedFrom,
  alreadyDone,
});

/**
 * Run a sweep job's training run so that running it again is harmless: a run whose results.json is
 * there is returned as it is (never trained twice); one with a checkpoint is resumed from it with the
 * exact-resume machinery (run.ts), so its result equals an uninterrupted run's; one with neither starts
 * afresh (replacing what a kill before the first checkpoint left). A folder holding another config is
 * refused. `log` gets the run's lines, which are also appended to <out>/worker.log.
 */
export async function runSweepJob(job: RunJobData, log: (s: string) => void): Promise<SweepRunResult> {
  const cfg = job.config;
  const f = runFolder(cfg.out);
  makeRunDir(f.root);
  const logFile = path.join(f.root, WORKER_LOG);
  const who = `${hostname()}:${process.pid}`;
  const say = (s: string) => {
    appendFileSync(logFile, `${new Date().toISOString()} ${who} ${s}\n`);
    log(s);
  };
  await waitForLiveWriter(f.lock, say);
  const done = readJson(f.results);
  if (done) {
    if (!sameRun(done.config, cfg))
      throw new Error(`${f.results}: the folder holds a finished run of another config than this job's`);
    say('already finished: results.json is there; nothing to train');
    appendFileSync(
      path.join(f.root, ATTEMPTS_FILE),
      JSON.stringify({ who, at: new Date().toISOString(), event: 'already-done' }) + '\n',
    );
    return resultOf(job, done as unknown as RunSummary, null, true);
  }
  const saved = readJson(f.config);
  if (saved && !sameRun(saved, cfg))
    throw new Error(`${f.config}: the folder holds a run of another config than this job's`);
  // A lock from another host: BullMQ gave us this job because its holder stopped renewing the job's
  // lock (stalled-job recovery), i.e. that worker is gone. (Same host: acquireRunLock checks the pid.)
  const lock = readJson(f.lock);
  if (lock && lock.host !== hostname()) {
    say(`taking over the lock of ${String(lock.host)}:${String(lock.pid)}, whose job stalled`);
    rmSync(f.lock, { force: true });
  }
  const resume = hasCheckpoint(f);
  const attempts = path.join(f.root, ATTEMPTS_FILE);
  appendFileSync(
    attempts,
    JSON.stringify({
      who,
      at: new Date().toISOString(),
      event: 'start',
      resume,
      threads: kernelThreads(),
    }) + '\n',
  );
  let resumedFrom: number | null = null;
  const capture = (s: string) => {
    const m = /^resuming from step (\d+)/.exec(s);
    if (m) resumedFrom = Number(m[1]);
    say(s);
  };
  say(resume ? 'resuming the run from its checkpoint' : 'starting the run');
  const summary = await runExperiment(cfg, capture, resume ? { resume: true } : { overwrite: true });
  appendFileSync(
    attempts,
    JSON.stringify({ who, at: new Date().toISOString(), event: 'finish', resumedFrom }) + '\n',
  );
  return resultOf(job, summary, resumedFrom, false);
}

/** The files a collected sweep writes in its folder. */
export interface SweepFiles {
  json: string;
  md: string;
  svg: string;
}

/**
 * Write the sweep table (mean ± 95% CI over seeds per setting, the best setting) as
 * <out>/sweep.{json,md,svg} from the runs' results. `failed` lists runs whose job failed (by job key).
 */
export function writeSweepTable(
  sweep: ExpandedSweep,
  results: readonly SweepRunResult[],
  failed: readonly string[] = [],
): { table: SweepTable; files: SweepFiles; markdown: string } {
  const table = sweepTable(sweep, results);
  const files = {
    json: path.join(sweep.out, 'sweep.json'),
    md: path.join(sweep.out, 'sweep.md'),
    svg: path.join(sweep.out, 'sweep.svg'),
  };
  makeRunDir(sweep.out);
  const extra = failed.length ? ['', `Failed jobs: ${failed.join('; ')}`] : [];
  const markdown = sweepMarkdown(table, [
    ...extra,
    '',
    `Plot: sweep.svg. Runs: ${sweep.out}/<setting>/seed-<seed>/.`,
  ]);
  const acc = table.metric === 'accuracy';
  writeRunFile(files.json, JSON.stringify({ table, results, failed }, null, 2) + '\n');
  writeRunFile(files.md, markdown);
  writeFileSync(
    files.svg,
    barChartSvg(
      table.rows.map((r) => ({
        label: r.setting.label || r.setting.id,
        value: r.summary.mean,
        ci95: r.summary.ci95,
        highlight: r.setting.id === table.best,
      })),
      {
        title: `sweep ${sweep.name}: meta-test ${acc ? 'accuracy' : 'MSE'}, mean ± 95% CI over seeds`,
        yLabel: acc ? 'accuracy (%)' : 'MSE',
        scale: acc ? 100 : 1,
      },
    ),
  );
  return { table, files, markdown };
}

/** Whether <out>/sweep.json exists (a collected sweep). */
export const sweepCollected = (out: string): boolean => existsSync(path.join(out, 'sweep.json'));
