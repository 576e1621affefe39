/**
 * The BullMQ sandboxed processor of sweep jobs: BullMQ runs this module in a worker thread per
 * concurrent job (sweep_queue.ts), so training never blocks the worker's event loop, which keeps
 * renewing the jobs' locks; a worker killed with its threads stops renewing, and stalled-job recovery
 * hands the job to another worker. 'run' trains one run (sweep_jobs.ts runSweepJob); 'collect', the
 * flow's parent, runs when every run has ended and writes the sweep table.
 */
import type { SandboxedJob } from 'bullmq';
import type { ExpandedSweep, SweepRunResult } from './sweep.js';
import { JOB_THREADS_ENV, runSweepJob, writeSweepTable, type RunJobData } from './sweep_jobs.js';
import { combineShards, evaluateShard, writeShardsSummary, type EvalShardResult } from './eval_shards.js';
import type { EvalOverrides } from './problem.js';
import { kernelThreads, setKernelThreads } from '../engine/backend.js';
import {
  collectTransferJobs,
  runTransferPieceJob,
  type TransferJobPlan,
  type TransferPieceJob,
} from './transfer_jobs.js';

/** The data of a transfer report's collect job (the flow's parent). */
export interface TransferCollectJobData {
  plan: TransferJobPlan;
}

/** Kernel threads the worker gave this thread's jobs (sweep_queue.ts startSweepWorker), applied once. */
function applyJobThreads(): void {
  const n = Number(process.env[JOB_THREADS_ENV]);
  if (Number.isInteger(n) && n >= 1 && kernelThreads() !== n) setKernelThreads(n);
}

/** The data of an evaluation shard's job. */
export interface EvalShardJobData {
  run: string;
  over: EvalOverrides;
  index: number;
  count: number;
}

/** The data of an evaluation's collect job: the name of its result file. */
export interface EvalCollectJobData {
  run: string;
  name: string;
}

/** The data of a sweep's collect job (the flow's parent). */
export interface CollectJobData {
  sweep: ExpandedSweep;
}

export default async function processSweepJob(job: SandboxedJob): Promise<unknown> {
  applyJobThreads();
  if (job.name === 'run') {
    const data = job.data as RunJobData;
    const tag = `[${data.setting}/seed-${data.seed}]`;
    return runSweepJob(data, (s) => {
      console.log(`${tag} ${s}`);
      job.log(s);
    });
  }
  if (job.name === 'collect') {
    const { sweep } = job.data as CollectJobData;
    const values = await job.getChildrenValues<SweepRunResult>();
    const failures = await job.getIgnoredChildrenFailures();
    const failed = Object.entries(failures).map(([key, why]) => `${key}: ${why}`);
    const { table, files } = writeSweepTable(sweep, Object.values(values), failed);
    console.log(`sweep ${sweep.name} collected: ${files.md} (best: ${table.best})`);
    return { best: table.best, files, results: Object.keys(values).length, failed: failed.length };
  }
  if (job.name === 'transfer-piece') {
    const d = job.data as TransferPieceJob;
    const tag = `[${d.setting === null ? 'independent' : d.plan.settings[d.setting].label}/seed-${d.seed}]`;
    return runTransferPieceJob(d, (s) => {
      console.log(`${tag} ${s}`);
      job.log(s);
    });
  }
  if (job.name === 'transfer-collect') {
    const { plan } = job.data as TransferCollectJobData;
    const failures = Object.entries(await job.getIgnoredChildrenFailures());
    if (failures.length)
      throw new Error(
        `transfer report ${plan.name}: pieces failed: ${failures.map(([k, w]) => `${k}: ${w}`).join('; ')}`,
      );
    const { files, wallMs, pieces } = collectTransferJobs(plan);
    console.log(`transfer report ${plan.name} collected: ${files.md}`);
    return { files, wallMs, pieces };
  }
  if (job.name === 'eval-shard') {
    const d = job.data as EvalShardJobData;
    return evaluateShard(d.run, d.over, { index: d.index, count: d.count });
  }
  if (job.name === 'eval-collect') {
    const d = job.data as EvalCollectJobData;
    const failures = Object.entries(await job.getIgnoredChildrenFailures());
    if (failures.length)
      throw new Error(`evaluation shards failed: ${failures.map(([k, w]) => `${k}: ${w}`).join('; ')}`);
    const summary = combineShards(Object.values(await job.getChildrenValues<EvalShardResult>()));
    return { summary, file: writeShardsSummary(summary, d.name) };
  }
  throw new Error(`unknown sweep job '${job.name}'`);
}
