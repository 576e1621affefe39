/**
 * The BullMQ sandboxed processor of sweep jobs: BullMQ runs this module in a worker thread per
 * concurrent job (sweep_queue.ts), so training never blocks the worker's event loop, which keeps
 * renewing the jobs' locks; a worker killed with its threads stops renewing, and stalled-job recovery
 * hands the job to another worker. 'run' trains one run (sweep_jobs.ts runSweepJob); 'collect', the
 * flow's parent, runs when every run has ended and writes the sweep table.
 */
import type { SandboxedJob } from 'bullmq';
import type { ExpandedSweep, SweepRunResult } from './sweep.js';
import { runSweepJob, writeSweepTable, type RunJobData } from './sweep_jobs.js';

/** The data of a sweep's collect job (the flow's parent). */
export interface CollectJobData {
  sweep: ExpandedSweep;
}

export default async function processSweepJob(job: SandboxedJob): Promise<unknown> {
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
  throw new Error(`unknown sweep job '${job.name}'`);
}
