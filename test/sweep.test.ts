// Sweeps on a real Redis (Debian's redis-server, started here on a loopback port): a 2 x 3 sweep with
// two worker processes, one SIGKILLed in the middle of a job; the sweep completes, the killed run is
// resumed from its checkpoint, each result appears once and equals the same run done alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { expandSweep, sweepTable, type SweepRunResult } from '../src/experiment/sweep.js';
import { ATTEMPTS_FILE, WORKER_LOG, runSweepJob } from '../src/experiment/sweep_jobs.js';
import { enqueueSweep, evaluateOnQueue, jobThreads } from '../src/experiment/sweep_queue.js';
import { evaluateRun, runExperiment } from '../src/experiment/run.js';
import { resolveConfig } from '../src/experiment/config.js';
import { readConfigFile } from '../src/experiment/config_file.js';
import { combineShards, evaluateShard, type EvalShardsSummary } from '../src/experiment/eval_shards.js';
import { tf } from '../src/engine/tf.js';
import { NO_REDIS, startRedis, type RedisServer } from './helpers/redis.js';
import { metrics } from './helpers/runs.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BIN = path.join(root, 'bin/metalearn.js');

const BASE = {
  learner: 'maml',
  dataset: 'sinusoid',
  steps: 12,
  hidden: 8,
  shot: 5,
  query: 5,
  valEvery: 6,
  valEpisodes: 4,
  testEpisodes: 6,
  checkpointEvery: 3,
  logEvery: 6,
};

describe('sweep specs', () => {
  it('a grid expands into settings x seeds run configs, each in its own folder', () => {
    const s = expandSweep(
      { out: 'o', base: BASE, grid: { lr: [0.001, 0.01] }, seeds: [0, 1, 2] },
      'x/s.json',
    );
    assert.equal(s.name, 's');
    assert.deepEqual(
      s.settings.map((x) => x.id),
      ['lr-0.001', 'lr-0.01'],
    );
    assert.equal(s.runs.length, 6);
    assert.deepEqual(
      s.runs.map((r) => [r.config.out, r.config.seed, r.config.lr]),
      [0.001, 0.01].flatMap((lr) => [0, 1, 2].map((seed) => [`o/lr-${lr}/seed-${seed}`, seed, lr])),
    );
    assert.equal(s.runs[0].config.steps, 12);
  });

  it('bad specs fail naming the file and the field', () => {
    const bad = (spec: unknown, re: RegExp) => assert.throws(() => expandSweep(spec, 'sp.json'), re);
    bad(
      { out: 'o', grid: { lr: [0.1, -1] }, seeds: [0] },
      /^Error: sp\.json: grid\.lr\[1\]: field 'lr' must be a positive number, got -1/,
    );
    bad(
      { out: 'o', grid: { lrr: [0.1] }, seeds: [0] },
      /sp\.json: grid\.lrr\[0\]: unknown field 'lrr' \(did you mean 'lr'\?\)/,
    );
    bad(
      { out: 'o', base: { seed: 3 }, grid: { lr: [0.1] }, seeds: [0] },
      /sp\.json: base\.seed: field 'seed' is set by the sweep/,
    );
    bad({ out: 'o', grid: { lr: [0.1] }, seeds: [] }, /sp\.json: 'seeds' must be a non-empty list/);
    bad({ out: 'o', grid: { lr: [0.1] }, seeds: [1, 1] }, /sp\.json: 'seeds' lists a seed twice/);
    bad({ out: 'o', seeds: [0] }, /sp\.json: give exactly one of 'grid' and 'random'/);
    bad({ out: 'o', gird: {}, seeds: [0] }, /sp\.json: unknown key 'gird' \(did you mean 'grid'\?\)/);
    bad(
      { out: 'o', base: { dataset: 'folder' }, grid: { lr: [0.1] }, seeds: [0] },
      /dataset 'folder' needs field 'folder'/,
    );
    bad(
      { out: 'o', random: { trials: 2, fields: { lr: { min: 0, max: 1, log: true } } }, seeds: [0] },
      /sp\.json: random\.fields\.lr: a log range needs min > 0/,
    );
  });

  it('a YAML spec expands like the same JSON one; its errors name the file and the field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-yaml-'));
    try {
      const yml = path.join(dir, 'lr.yaml');
      writeFileSync(
        yml,
        [
          'out: o',
          'base:',
          '  learner: maml',
          '  steps: 12',
          'grid:',
          '  lr: [0.001, 1e-2]',
          'seeds: [0, 1]',
        ].join('\n'),
      );
      const json = {
        out: 'o',
        base: { learner: 'maml', steps: 12 },
        grid: { lr: [0.001, 0.01] },
        seeds: [0, 1],
      };
      const a = expandSweep(readConfigFile(yml), yml);
      assert.equal(a.name, 'lr');
      assert.deepEqual({ ...a, name: '' }, { ...expandSweep(json, 'lr.json'), name: '' });
      const bad = path.join(dir, 'bad.yml');
      writeFileSync(bad, 'out: o\ngrid:\n  lr: [0.1, -1]\nseeds: [0]\n');
      assert.throws(
        () => expandSweep(readConfigFile(bad), bad),
        (e: Error) => e.message.startsWith(`${bad}: grid.lr[1]: field 'lr' must be a positive number`),
      );
      writeFileSync(bad, 'out: o\nout: p\n');
      assert.throws(
        () => readConfigFile(bad),
        new RegExp(`^Error: ${bad}: not valid YAML \\(Map keys must be unique at line 2`),
      );
      writeFileSync(bad, '- 1\n- 2\n');
      assert.throws(
        () => readConfigFile(bad),
        /bad\.yml: a config file must hold a YAML mapping, got \[1,2\]/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a random search is drawn from its seed: the same spec gives the same settings', () => {
    const spec = {
      out: 'o',
      random: { trials: 4, seed: 7, fields: { lr: { min: 1e-4, max: 1e-2, log: true }, hidden: [8, 16] } },
      seeds: [0],
    };
    const a = expandSweep(spec, 's.json');
    assert.deepEqual(a.settings, expandSweep(spec, 's.json').settings);
    assert.deepEqual(
      a.settings.map((x) => x.id),
      ['trial-00', 'trial-01', 'trial-02', 'trial-03'],
    );
    for (const st of a.settings) {
      assert.ok((st.fields.lr as number) >= 1e-4 && (st.fields.lr as number) <= 1e-2, st.label);
      assert.ok([8, 16].includes(st.fields.hidden as number), st.label);
    }
    assert.notDeepEqual(a.settings[0].fields, a.settings[1].fields);
  });

  it('the table takes each run once: a second result for a run is an error', () => {
    const s = expandSweep({ out: 'o', grid: { lr: [0.1, 0.2] }, seeds: [0, 1] }, 's.json');
    const r = (setting: string, seed: number, mean: number): SweepRunResult => ({
      setting,
      seed,
      out: '',
      metric: 'accuracy',
      test: { mean, ci95: 0, n: 10 },
      stepsTrained: 1,
      resumedFrom: null,
      alreadyDone: false,
    });
    const t = sweepTable(s, [r('lr-0.1', 0, 0.5), r('lr-0.1', 1, 0.7), r('lr-0.2', 0, 0.9)]);
    assert.equal(t.rows[0].summary.mean, 0.6);
    assert.ok(Math.abs(t.rows[0].summary.ci95 - (1.96 * Math.sqrt(0.02)) / Math.sqrt(2)) < 1e-12);
    assert.equal(t.best, 'lr-0.2');
    assert.deepEqual(t.missing, ['lr-0.2/seed-1']);
    assert.throws(
      () => sweepTable(s, [r('lr-0.1', 0, 0.5), r('lr-0.1', 0, 0.5)]),
      /two results for lr-0\.1\/seed-0/,
    );
  });
});

describe('evaluation shards', () => {
  it('any split of the fixed episodes combines into the one-process result, exactly', async () => {
    process.env.METALEARN_PNG = '0';
    const tmp = mkdtempSync(path.join(tmpdir(), 'metalearn-shards-'));
    try {
      const out = path.join(tmp, 'run');
      const cfg = resolveConfig(
        {
          learner: 'protonet',
          dataset: 'synthetic',
          steps: 2,
          hidden: 8,
          way: 3,
          query: 2,
          valEvery: 0,
          testEpisodes: 5,
          out,
        },
        'test',
        {},
      );
      await runExperiment(cfg, () => {});
      const over = { episodes: 13 };
      const whole = await evaluateShard(out, over, { index: 0, count: 1 });
      const n0 = tf.memory().numTensors;
      const parts = await Promise.all(
        [2, 0, 1].map((index) => evaluateShard(out, over, { index, count: 3 })),
      );
      assert.equal(tf.memory().numTensors, n0, 'tensors leaked');
      assert.deepEqual(
        parts.map((p) => [p.first, p.episodes]),
        [
          [8, 5],
          [0, 4],
          [4, 4],
        ],
      );
      const a = combineShards([whole]);
      const b = combineShards(parts);
      assert.deepEqual(b.test, a.test);
      assert.equal(b.correct, a.correct);
      assert.equal(b.queries, 13 * 3 * 2);
      assert.deepEqual(
        parts.sort((x, y) => x.index - y.index).flatMap((p) => p.scores),
        whole.scores,
      );
      // The same episodes as 'metalearn eval' in one process, whose mean averages float32 accuracies
      // (to ~1e-9); the shards' mean is the exact ratio of integer counts.
      const e = await evaluateRun(out, over, () => {});
      assert.equal(b.test.mean, b.correct! / b.queries!);
      assert.ok(
        Math.abs(e.test.mean - b.test.mean) < 1e-6 && e.test.n === 13,
        `${e.test.mean} vs ${b.test.mean}`,
      );
      assert.equal(e.test.ci95, b.test.ci95);
      assert.throws(() => combineShards(parts.slice(1)), /expected shards 0\.\.2 once each, got 1,2/);
      assert.throws(
        () => combineShards([parts[0], parts[0], parts[2]]),
        /expected shards 0\.\.2 once each, got 0,0,2/,
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

interface Proc {
  proc: ChildProcess;
  out: string;
  exit: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Proc {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: root,
    env: { ...process.env, METALEARN_PNG: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { proc, out: '', exit: new Promise((r) => proc.once('exit', (code) => r(code))) };
  proc.stdout!.on('data', (d: Buffer) => (p.out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (p.out += d.toString()));
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

describe(
  'a sweep on Redis with two workers, one killed mid-job',
  { timeout: 180_000, skip: NO_REDIS },
  () => {
    let redis: RedisServer | undefined;
    let tmp = '';
    const workers: Proc[] = [];
    // Every process started, workers and the enqueuing CLI: stopped after the test even when it failed.
    const procs: Proc[] = [];

    before(async () => {
      redis = await startRedis();
      tmp = mkdtempSync(path.join(tmpdir(), 'metalearn-sweep-'));
    });
    after(async () => {
      for (const w of procs)
        if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
      await Promise.all(procs.map((w) => w.exit));
      await redis?.stop();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('completes, resumes the killed run, and every result appears once, equal to the run done alone', async () => {
      process.env.METALEARN_PNG = '0';
      const specFile = path.join(tmp, 'spec.json');
      const out = path.join(tmp, 'sweep');
      const spec = { name: 'kill-test', out, base: BASE, grid: { lr: [0.001, 0.01] }, seeds: [0, 1, 2] };
      writeFileSync(specFile, JSON.stringify(spec));
      const url = redis!.url;
      const workerArgs = [
        'worker',
        '--redis',
        url,
        '--concurrency',
        '1',
        '--lock-duration',
        '2000',
        '--stalled-interval',
        '1000',
      ];
      workers.push(start(workerArgs), start(workerArgs));
      procs.push(...workers);
      const t0 = Date.now();
      const sweep = start(['sweep', specFile, '--redis', url, '--wait']);
      procs.push(sweep);

      // Kill a worker with SIGKILL while it trains a run that has a checkpoint and is far from its end.
      let killed: { dir: string; pid: number } | undefined;
      while (!killed) {
        assert.ok(Date.now() - t0 < 60_000, 'no run reached a checkpoint within 60 s');
        for (const dir of existsSync(out)
          ? readdirSync(out).flatMap((s) => ['0', '1', '2'].map((k) => path.join(out, s, `seed-${k}`)))
          : []) {
          const lock = readJson<{ pid: number }>(path.join(dir, '.lock'));
          const w = workers.find((x) => x.proc.pid === lock?.pid);
          if (!w || !existsSync(path.join(dir, 'checkpoint')) || existsSync(path.join(dir, 'results.json')))
            continue;
          const steps = (() => {
            try {
              return readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').length;
            } catch {
              return Infinity;
            }
          })();
          if (steps > 8) continue;
          w.proc.kill('SIGKILL');
          killed = { dir, pid: w.proc.pid! };
          break;
        }
        await sleep(20);
      }
      // The same runs done alone (in this process, from the same configs), while the other worker
      // finishes the sweep: compared with the sweep's results below.
      const expanded = expandSweep(spec, specFile);
      const aloneRuns = (async () => {
        const done = new Map<string, { test: SweepRunResult['test']; dir: string }>();
        for (const r of expanded.runs) {
          const dir = path.join(tmp, 'alone', r.setting, `seed-${r.seed}`);
          const s = await runExperiment({ ...r.config, out: dir }, () => {});
          done.set(`${r.setting}/${r.seed}`, {
            test: { mean: s.test.mean, ci95: s.test.ci95, n: s.test.n },
            dir,
          });
        }
        return done;
      })();
      const code = await sweep.exit;
      assert.equal(code, 0, sweep.out);
      const wall = (Date.now() - t0) / 1000;
      // Each worker gave its job threads their share of the cores (or METALEARN_THREADS).
      const threads = jobThreads(1);
      for (const w of workers)
        assert.match(w.out, new RegExp(`concurrency 1, ${threads.threads} kernel thread\\(s\\) per job \\(`));

      // The sweep table: each of the 6 runs exactly once.
      const got = readJson<{ results: SweepRunResult[]; failed: string[]; table: { best: string } }>(
        path.join(out, 'sweep.json'),
      )!;
      assert.deepEqual(got.failed, []);
      assert.deepEqual(got.results.map((r) => `${r.setting}/${r.seed}`).sort(), [
        'lr-0.001/0',
        'lr-0.001/1',
        'lr-0.001/2',
        'lr-0.01/0',
        'lr-0.01/1',
        'lr-0.01/2',
      ]);
      const md = readFileSync(path.join(out, 'sweep.md'), 'utf8');
      assert.match(md, /\| lr-0\.001 \| lr=0\.001 \| 0, 1, 2 \| [\d.]+ ± [\d.]+ \|/);
      assert.match(md, /Best setting: \*\*lr-0\.01?\*\*/);
      assert.match(readFileSync(path.join(out, 'sweep.svg'), 'utf8'), /^<svg[^]*<rect[^]*<\/svg>$/);

      // The killed run was resumed from its checkpoint by the other worker, not restarted.
      const attempts = readFileSync(path.join(killed.dir, ATTEMPTS_FILE), 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              who: string;
              event: string;
              resume?: boolean;
              resumedFrom?: number;
              threads?: number;
            },
        );
      assert.deepEqual(
        attempts.map((a) => [a.who.endsWith(`:${killed!.pid}`), a.event, a.resume]),
        [
          [true, 'start', false],
          [false, 'start', true],
          [false, 'finish', undefined],
        ],
      );
      assert.equal(attempts[1].threads, threads.threads, "the job ran with the worker's kernel threads");
      const from = attempts[2].resumedFrom!;
      assert.ok(from >= 3 && from % 3 === 0, `resumed from step ${from}`);
      assert.match(
        readFileSync(path.join(killed.dir, WORKER_LOG), 'utf8'),
        new RegExp(`resuming from step ${from}\\b`),
      );
      const killedResult = got.results.find((r) => r.out === killed!.dir)!;
      assert.equal(killedResult.resumedFrom, from);
      // Each step's metric line once: the steps after the checkpoint were dropped and trained again.
      assert.deepEqual(
        metrics(killed.dir).map((m) => m.step),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );

      // Each result equals the same run done alone.
      const alone = await aloneRuns;
      for (const r of expanded.runs) {
        const a = alone.get(`${r.setting}/${r.seed}`)!;
        const inSweep = got.results.find((x) => x.setting === r.setting && x.seed === r.seed)!;
        assert.deepEqual(inSweep.test, a.test, `${r.setting}/${r.seed}`);
        assert.deepEqual(
          metrics(r.config.out).map((m) => m.loss),
          metrics(a.dir).map((m) => m.loss),
          `${r.setting}/${r.seed}: losses`,
        );
      }

      // A finished run is never trained twice: its job run again returns the result, training nothing.
      const done = expanded.runs.find((r) => r.config.out === killed!.dir)!;
      const before = statSync(path.join(killed.dir, 'metrics.jsonl')).mtimeMs;
      const again = await runSweepJob(
        { sweep: expanded.name, setting: done.setting, seed: done.seed, config: done.config },
        () => {},
      );
      assert.equal(again.alreadyDone, true);
      assert.deepEqual(again.test, killedResult.test);
      assert.equal(statSync(path.join(killed.dir, 'metrics.jsonl')).mtimeMs, before);

      // Enqueueing the same sweep again adds no job: job ids come from the sweep, setting and seed.
      assert.equal(await enqueueSweep(expanded, { redis: url }), 6);
      const conn = new Redis(url, { maxRetriesPerRequest: null });
      const q = new Queue('metalearn', { connection: conn });
      const counts = await q.getJobCounts('completed', 'waiting', 'active', 'failed', 'waiting-children');
      await q.close();
      conn.disconnect();
      assert.deepEqual(counts, { completed: 7, waiting: 0, active: 0, failed: 0, 'waiting-children': 0 });
      // BullMQ keeps waiting jobs in a Redis list (what docs/sweeps.md scales Kubernetes workers on).
      const probe = new Redis(url);
      await new Queue('probe', { connection: probe }).add('x', {});
      assert.equal(await probe.type('bull:probe:wait'), 'list');
      probe.disconnect();

      // Evaluation shards on the queue (the surviving worker takes them), combined exactly.
      const ev = await evaluateOnQueue(killed.dir, { episodes: 12 }, 3, { redis: url });
      assert.equal(ev.file, path.join(killed.dir, 'eval-shards-12e.json'));
      const combined = readJson<EvalShardsSummary>(path.join(killed.dir, 'eval-shards-12e.json'))!;
      const local = combineShards([
        await evaluateShard(killed.dir, { episodes: 12 }, { index: 0, count: 1 }),
      ]);
      assert.deepEqual(combined.test, local.test);
      assert.equal(combined.shards, 3);
      console.log(`sweep of 6 runs with 2 workers, one killed: ${wall.toFixed(1)} s`);
    });
  },
);
