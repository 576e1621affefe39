// The negative-transfer report as queue jobs on a real Redis (Debian's redis-server on a loopback
// port): the same report, number for number, as the one-process run with the same seeds; a re-run (the
// queue flushed) trains nothing; each job's kernel threads are the worker's share.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import {
  enqueueTransfer,
  jobThreads,
  startSweepWorker,
  waitForTransfer,
} from '../src/experiment/sweep_queue.js';
import {
  pieceFile,
  pieceJobs,
  planTransferJobs,
  runTransferPieceJob,
  type TransferPieceFile,
} from '../src/experiment/transfer_jobs.js';
import { runTransfer } from '../src/experiment/transfer.js';
import { nativeKernelsActive } from '../src/engine/kernels/native.js';
import type { TransferReport } from '../src/multitask/transfer.js';
import { NO_REDIS, startRedis, type RedisServer } from './helpers/redis.js';

describe('worker kernel threads', () => {
  it('share out the cores over the jobs unless METALEARN_THREADS is set', () => {
    assert.deepEqual(jobThreads(4, {}, 16), { threads: 4, from: '16 cores / concurrency 4' });
    assert.equal(jobThreads(3, {}, 16).threads, 5);
    assert.equal(jobThreads(4, {}, 2).threads, 1);
    assert.equal(jobThreads(1, {}, 2).threads, 2);
    assert.deepEqual(jobThreads(4, { METALEARN_THREADS: '3' }, 16), {
      threads: 3,
      from: 'METALEARN_THREADS=3',
    });
    assert.equal(jobThreads(2, { METALEARN_THREADS: '' }, 8).threads, 4);
  });
});

/** The report without its wall times (the only values that differ between two runs). */
function numbers(file: string): TransferReport {
  const r = (JSON.parse(readFileSync(file, 'utf8')) as { report: TransferReport }).report;
  return {
    ...r,
    independentWallMs: 0,
    settings: r.settings.map((s) => ({ ...s, wallMs: 0 })),
  };
}

describe('the transfer report on the queue', { timeout: 120_000, skip: NO_REDIS }, () => {
  let redis: RedisServer | undefined;
  let tmp = '';
  before(async () => {
    redis = await startRedis();
    tmp = mkdtempSync(path.join(tmpdir(), 'metalearn-transfer-q-'));
  });
  after(async () => {
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('gives the one-process report, number for number, and a re-run trains nothing', async () => {
    process.env.METALEARN_PNG = '0';
    const opts = {
      steps: 5,
      seeds: [1, 2],
      settings: ['multihead', 'soft λ=0.01'],
      command: 'metalearn transfer youtube-spam --steps 5 --seeds 1,2',
    };
    const alone = await runTransfer('youtube-spam', { ...opts, out: path.join(tmp, 'alone') });

    const url = redis!.url;
    // Kernel threads per job other than what a job thread starts with (METALEARN_THREADS, else the
    // cores), so the piece files show that the worker's choice reached the job threads.
    const start = Number(process.env.METALEARN_THREADS) || availableParallelism();
    const threads = start === 1 ? 2 : 1;
    const worker = startSweepWorker({ redis: url, concurrency: 2, threads, log: () => {} });
    // Without the native addon every thread computes alone (kernelThreads() is 1).
    const ran = nativeKernelsActive() ? threads : 1;
    try {
      const plan = planTransferJobs('youtube-spam', { ...opts, out: path.join(tmp, 'queue') });
      assert.equal(await enqueueTransfer(plan, { redis: url }), 6);
      const r = await waitForTransfer(plan, { redis: url });
      assert.equal(r.pieces, 6);
      assert.deepEqual(numbers(r.files.json), numbers(alone.files.json));
      const md = readFileSync(r.files.md, 'utf8');
      assert.match(md, /\| multihead \| multihead \| equal \|/);
      assert.match(
        md,
        new RegExp(`6 queue jobs on 1 worker process\\(es\\), ${ran} kernel thread\\(s\\) per job`),
      );
      const files = pieceJobs(plan).map((j) => pieceFile(plan, j.setting, j.seed));
      assert.deepEqual(readdirSync(path.join(plan.out, 'youtube-spam-pieces')).sort(), [
        'independent',
        'multihead',
        'soft_0.01',
      ]);
      for (const f of files)
        assert.equal((JSON.parse(readFileSync(f, 'utf8')) as TransferPieceFile).threads, ran, f);

      // The queue lost (Redis flushed) and the report enqueued again: every piece is found, none trained.
      const mtimes = files.map((f) => statSync(f).mtimeMs);
      const c = new Redis(url);
      await c.flushall();
      c.disconnect();
      const again = planTransferJobs('youtube-spam', { ...opts, out: path.join(tmp, 'queue') });
      assert.equal(again.name, plan.name, 'job ids come from the report, not the enqueue time');
      await enqueueTransfer(again, { redis: url });
      const r2 = await waitForTransfer(again, { redis: url });
      assert.deepEqual(
        files.map((f) => statSync(f).mtimeMs),
        mtimes,
      );
      assert.deepEqual(numbers(r2.files.json), numbers(alone.files.json));
      const job = pieceJobs(plan)[3];
      const direct = await runTransferPieceJob(job, () => {});
      assert.equal(direct.alreadyDone, true);

      // A folder holding pieces of another budget is refused, not mixed in.
      const other = planTransferJobs('youtube-spam', { ...opts, steps: 6, out: path.join(tmp, 'queue') });
      assert.notEqual(other.name, plan.name);
      await assert.rejects(
        runTransferPieceJob(pieceJobs(other)[0], () => {}),
        /seed-1\.json: holds the piece of another report/,
      );
    } finally {
      await worker.close();
    }
  });
});
