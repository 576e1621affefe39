import { availableParallelism } from 'node:os';
import { DEFAULT_QUEUE } from '../../experiment/sweep.js';
import { posInt, str, type Command } from '../schema.js';

export const worker: Command = {
  name: 'worker',
  summary: 'take sweep jobs from a Redis queue and train them: metalearn worker --redis URL',
  positionals: { names: [], required: 0 },
  options: {
    redis: {
      type: 'string',
      value: 'URL',
      help: 'Redis of the queue',
      shown: '$METALEARN_REDIS or redis://127.0.0.1:6379',
    },
    queue: { type: 'string', value: 'NAME', help: 'queue name', shown: DEFAULT_QUEUE },
    concurrency: {
      type: 'string',
      value: 'N',
      help: 'jobs at once, one worker thread each',
      shown: 'one per core',
    },
    'lock-duration': {
      type: 'string',
      value: 'MS',
      help: "a job's lock lasts this long unrenewed; a dead worker's job is re-queued after it",
      shown: '30000',
    },
    'stalled-interval': {
      type: 'string',
      value: 'MS',
      help: 'look for stalled jobs this often',
      shown: '30000',
    },
    'max-stalled': { type: 'string', value: 'N', help: 'times a job may stall before it fails', shown: '3' },
  },
  description: `Takes the jobs of 'metalearn sweep' from the queue until stopped (SIGINT or SIGTERM: running
jobs finish first). Each job trains one run in its folder: a finished run is returned as it is, a run
with a checkpoint (its worker died) is resumed from it exactly, others start afresh. A worker that dies
stops renewing its jobs' locks; another worker re-queues them after --lock-duration (BullMQ
stalled-job recovery). Run several on one machine or many; run folders must be on storage they share.
Each job's native kernels get max(1, floor(cores / concurrency)) threads, or METALEARN_THREADS when set.`,
  run: async (a) => {
    // Loaded on use: the queue client (bullmq, ioredis) is not part of every command's start-up.
    const { jobThreads, startSweepWorker } = await import('../../experiment/sweep_queue.js');
    const concurrency = posInt('worker', a, 'concurrency') ?? availableParallelism();
    const threads = jobThreads(concurrency);
    const w = startSweepWorker({
      redis: str(a, 'redis') ?? process.env.METALEARN_REDIS ?? 'redis://127.0.0.1:6379',
      queue: str(a, 'queue'),
      concurrency,
      threads: threads.threads,
      lockDuration: posInt('worker', a, 'lock-duration'),
      stalledInterval: posInt('worker', a, 'stalled-interval'),
      maxStalledCount: posInt('worker', a, 'max-stalled'),
    });
    await w.waitUntilReady();
    console.log(
      `worker ${process.pid} on queue ${w.name}, concurrency ${w.concurrency}, ${threads.threads} kernel thread(s) per job (${threads.from})`,
    );
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        console.log(`${sig}: closing the worker after its running jobs`);
        void w.close().then(resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};
