/**
 * Sweeps on a Redis-backed BullMQ queue (Node). `enqueueSweep` adds one flow: a 'collect' parent job
 * whose children are the sweep's 'run' jobs, so BullMQ starts the collect job when the last run has
 * ended. `startSweepWorker` takes jobs with a sandboxed processor (sweep_processor.ts in a worker
 * thread). Job ids are derived from the sweep's name, setting and seed: enqueueing the same sweep again
 * adds nothing, and a run's folder is found again by whichever worker gets its job.
 *
 * Reliability is BullMQ's: a worker that dies (kill -9, machine gone) stops renewing its jobs' locks;
 * after `lockDuration` another worker's stalled-job check (every `stalledInterval`) moves the job back
 * to the queue, and the worker that takes it resumes the run from its checkpoint (sweep_jobs.ts).
 */
import { availableParallelism } from 'node:os';
import { FlowProducer, Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { ExpandedSweep } from './sweep.js';
import { JOB_THREADS_ENV, type RunJobData } from './sweep_jobs.js';
import {
  pieceJobs,
  settingSlug,
  type TransferCollectResult,
  type TransferJobPlan,
  type TransferPieceJob,
} from './transfer_jobs.js';
import type {
  CollectJobData,
  EvalCollectJobData,
  EvalShardJobData,
  TransferCollectJobData,
} from './sweep_processor.js';
import type { EvalShardsSummary } from './eval_shards.js';
import type { EvalOverrides } from './problem.js';
import { THREADS_ENV } from '../engine/backend.js';

import { DEFAULT_QUEUE } from './sweep.js';

export { DEFAULT_QUEUE, JOB_THREADS_ENV };

/** Where the queue is. */
export interface QueueConnection {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  redis: string;
  /** Queue name (default 'metalearn'). */
  queue?: string;
}

/** A BullMQ connection: its own ioredis client (blocking commands must not time out, hence null retries). */
const connect = (url: string) => new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });

/** Job ids may not contain ':' (BullMQ's key separator). */
const jobId = (...parts: (string | number)[]) => parts.join('.').replace(/[^A-Za-z0-9._-]/g, '_');

/** The id of a sweep's collect job (the flow's parent). */
export const collectJobId = (sweep: Pick<ExpandedSweep, 'name'>): string => jobId(sweep.name, 'collect');

/** The id of one run job of a sweep. */
export const runJobId = (sweep: Pick<ExpandedSweep, 'name'>, setting: string, seed: number): string =>
  jobId(sweep.name, setting, `seed-${seed}`);

/**
 * Add the sweep as one flow: a 'collect' parent and a 'run' child per (setting, seed). A failed run
 * (after its attempts) is recorded on the parent instead of blocking it, so the table is still written
 * and lists it. Returns the number of run jobs.
 */
export async function enqueueSweep(sweep: ExpandedSweep, c: QueueConnection): Promise<number> {
  const connection = connect(c.redis);
  const flows = new FlowProducer({ connection });
  const queueName = c.queue ?? DEFAULT_QUEUE;
  try {
    await flows.add({
      name: 'collect',
      queueName,
      data: { sweep } satisfies CollectJobData,
      opts: { jobId: collectJobId(sweep), removeOnComplete: false },
      children: sweep.runs.map((r) => ({
        name: 'run',
        queueName,
        data: { sweep: sweep.name, setting: r.setting, seed: r.seed, config: r.config } satisfies RunJobData,
        opts: { jobId: runJobId(sweep, r.setting, r.seed), ignoreDependencyOnFailure: true },
      })),
    });
  } finally {
    await flows.close();
    connection.disconnect();
  }
  return sweep.runs.length;
}

/** What the collect job returns. */
export interface CollectResult {
  best: string;
  files: { json: string; md: string; svg: string };
  results: number;
  failed: number;
}

/** Wait until the sweep's collect job has finished (every run ended, the table written). */
export async function waitForSweep(
  sweep: Pick<ExpandedSweep, 'name'>,
  c: QueueConnection,
): Promise<CollectResult> {
  return (await waitForJob(collectJobId(sweep), c)) as CollectResult;
}

/** Wait for job `id` of the queue to finish; its return value (throws if it failed). */
async function waitForJob(id: string, c: QueueConnection): Promise<unknown> {
  const queueName = c.queue ?? DEFAULT_QUEUE;
  const qc = connect(c.redis);
  const ec = connect(c.redis);
  const queue = new Queue(queueName, { connection: qc });
  const events = new QueueEvents(queueName, { connection: ec });
  try {
    await events.waitUntilReady();
    const job = await Job.fromId(queue, id);
    if (!job) throw new Error(`no job ${id} on queue ${queueName}`);
    return await job.waitUntilFinished(events);
  } finally {
    await events.close();
    await queue.close();
    qc.disconnect();
    ec.disconnect();
  }
}

/** The id of one piece job of a transfer report (`setting` null: the independent baselines). */
export const transferJobId = (plan: TransferJobPlan, setting: number | null, seed: number): string =>
  jobId(
    plan.name,
    setting === null ? 'independent' : settingSlug(plan.settings[setting].label),
    `seed-${seed}`,
  );

/**
 * Add a negative-transfer report as one flow: a 'transfer-collect' parent and a 'transfer-piece' child
 * per (setting, seed) and per seed of the independent baselines. Job ids come from the plan's name (a
 * hash of benchmark, folder, data, budget, seeds and settings), so enqueueing the same report again adds
 * nothing. Returns the number of piece jobs.
 */
export async function enqueueTransfer(plan: TransferJobPlan, c: QueueConnection): Promise<number> {
  const connection = connect(c.redis);
  const flows = new FlowProducer({ connection });
  const queueName = c.queue ?? DEFAULT_QUEUE;
  const jobs = pieceJobs(plan);
  try {
    await flows.add({
      name: 'transfer-collect',
      queueName,
      data: { plan } satisfies TransferCollectJobData,
      opts: { jobId: jobId(plan.name, 'collect'), removeOnComplete: false },
      children: jobs.map((j) => ({
        name: 'transfer-piece',
        queueName,
        data: j satisfies TransferPieceJob,
        opts: { jobId: transferJobId(plan, j.setting, j.seed), ignoreDependencyOnFailure: true },
      })),
    });
  } finally {
    await flows.close();
    connection.disconnect();
  }
  return jobs.length;
}

/** Wait until a transfer report's collect job has written the report (throws if a piece failed). */
export async function waitForTransfer(
  plan: Pick<TransferJobPlan, 'name'>,
  c: QueueConnection,
): Promise<TransferCollectResult> {
  return (await waitForJob(jobId(plan.name, 'collect'), c)) as TransferCollectResult;
}

/** What an evaluation's collect job returns: the combined result and where it was written. */
export interface EvalShardsOutcome {
  summary: EvalShardsSummary;
  file: string;
}

/**
 * Meta-test a finished run on the queue: its fixed evaluation episodes (those of `metalearn eval` with
 * `over`) in `shards` contiguous ranges, one job each, combined by a parent job into
 * <run>/eval-shards-<name>.json. `run` must be a path every worker reaches. Waits for the result.
 */
export async function evaluateOnQueue(
  run: string,
  over: EvalOverrides,
  shards: number,
  c: QueueConnection,
): Promise<EvalShardsOutcome> {
  const queueName = c.queue ?? DEFAULT_QUEUE;
  const name =
    [
      over.way && `${over.way}w`,
      over.shot && `${over.shot}s`,
      over.episodes && `${over.episodes}e`,
      over.which,
      over.withinGroup === true && 'within',
    ]
      .filter(Boolean)
      .join('-') || 'test';
  // A new evaluation per call (the run's params may have changed since the last one).
  const id = jobId('eval', run, name, Date.now());
  const connection = connect(c.redis);
  const flows = new FlowProducer({ connection });
  try {
    await flows.add({
      name: 'eval-collect',
      queueName,
      data: { run, name } satisfies EvalCollectJobData,
      opts: { jobId: id },
      children: Array.from({ length: shards }, (_, index) => ({
        name: 'eval-shard',
        queueName,
        data: { run, over, index, count: shards } satisfies EvalShardJobData,
        opts: { jobId: `${id}.${index}-of-${shards}`, ignoreDependencyOnFailure: true },
      })),
    });
  } finally {
    await flows.close();
    connection.disconnect();
  }
  return (await waitForJob(id, c)) as EvalShardsOutcome;
}

/** Options of a sweep worker. */
export interface SweepWorkerOptions extends QueueConnection {
  /** Jobs at once, each in its own worker thread (default: one per core). */
  concurrency?: number;
  /** How long a job's lock lasts without renewal (ms; BullMQ's default 30000). */
  lockDuration?: number;
  /** How often stalled jobs are looked for (ms; BullMQ's default 30000). */
  stalledInterval?: number;
  /** Times a job may stall before it fails (default 3: a run survives three dead workers). */
  maxStalledCount?: number;
  /** Native-kernel threads of each job (default: jobThreads(concurrency)). */
  threads?: number;
  log?: (s: string) => void;
}

/** The processor module beside this one: compiled, sweep_processor.js; from source, a tsx boot file. */
const processorFile = (): URL =>
  new URL(
    import.meta.url.endsWith('.ts') ? './sweep_processor_boot.mjs' : './sweep_processor.js',
    import.meta.url,
  );

/**
 * Native-kernel threads per job of a worker running `concurrency` jobs at once: `METALEARN_THREADS`
 * when set (the user's choice), else the machine's cores shared out, max(1, floor(cores / concurrency)),
 * so jobs x threads stays at the machine's size (as WorkerPool does for its workers).
 */
export function jobThreads(
  concurrency: number,
  env: Record<string, string | undefined> = process.env,
  cores = availableParallelism(),
): { threads: number; from: string } {
  const set = Number(env[THREADS_ENV]);
  if (env[THREADS_ENV] !== undefined && env[THREADS_ENV] !== '' && Number.isInteger(set) && set >= 1)
    return { threads: Math.min(set, 256), from: `${THREADS_ENV}=${env[THREADS_ENV]}` };
  return {
    threads: Math.max(1, Math.floor(cores / concurrency)),
    from: `${cores} cores / concurrency ${concurrency}`,
  };
}

/**
 * Start a worker taking the queue's sweep jobs, each in a worker thread (BullMQ sandboxed processor
 * with worker threads: killing the worker process kills its jobs too, where a forked child would
 * outlive it and hold the run folder). Close it with `worker.close()` (waits for running jobs).
 */
export function startSweepWorker(o: SweepWorkerOptions): Worker<unknown, unknown> {
  const log = o.log ?? console.log;
  const connection = connect(o.redis);
  const concurrency = o.concurrency ?? availableParallelism();
  const threads = o.threads ?? jobThreads(concurrency).threads;
  const worker = new Worker<unknown, unknown>(o.queue ?? DEFAULT_QUEUE, processorFile(), {
    connection,
    concurrency,
    useWorkerThreads: true,
    // Each job thread sets its kernel threads from this (sweep_processor.ts): the addon itself reads
    // only the process's environment at start.
    workerThreadsOptions: { env: { ...process.env, [JOB_THREADS_ENV]: String(threads) } },
    lockDuration: o.lockDuration ?? 30_000,
    stalledInterval: o.stalledInterval ?? 30_000,
    maxStalledCount: o.maxStalledCount ?? 3,
  });
  worker.on('active', (job) => log(`job ${job.id} started`));
  worker.on('completed', (job) => log(`job ${job.id} completed`));
  worker.on('failed', (job, err) => log(`job ${job?.id ?? '?'} failed: ${err.message}`));
  worker.on('error', (err) => log(`worker error: ${err.message}`));
  worker.on('closed', () => connection.disconnect());
  return worker;
}
