// Issue 16: a run can never be lost, poisoned or silently wrong. Each test drives the CLI as a careless
// or hostile user would (diverging rates, two writers, reused folders, kills, a full disk) and checks
// what is left on disk.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics, runCli as cli } from './helpers/runs.js';

const root = new URL('..', import.meta.url).pathname;
const bin = path.join(root, 'bin/metalearn.js');
const small = ['--hidden', '8', '--query', '2', '--val-episodes', '4', '--test-episodes', '4'];

/** Every float of a params folder's weights.bin. */
function weights(dir: string): Float32Array {
  const b = readFileSync(path.join(dir, 'weights.bin'));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
const allFinite = (a: Float32Array) => a.every((v) => Number.isFinite(v));

const checkpointStep = (run: string): number =>
  JSON.parse(readFileSync(path.join(run, 'checkpoint', 'model.json'), 'utf8')).userDefinedMetadata.step;

function withDir(prefix: string, body: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), `metalearn-${prefix}-`));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('diverged runs (issue 16, cases 1 and 2)', () => {
  it(
    'a MAML run whose update turns theta NaN stops before writing it; checkpoint, best/ and export survive',
    withDir('diverge', (dir) => {
      const r = path.join(dir, 'r');
      const run = cli([
        'train',
        '--learner',
        'maml',
        '--steps',
        '8',
        '--val-every',
        '2',
        '--checkpoint-every',
        '1',
        ...small,
        '--lr-schedule',
        '5:1e30',
        '--out',
        r,
      ]);
      assert.notEqual(run.status, 0, 'a diverged run must not exit 0');
      // Adam at 1e30 moves every weight by ~1e30 at step 5 (still finite); the next update is NaN.
      const at = /training diverged at step (\d+): .*non-finite/.exec(run.stderr);
      assert.ok(at, run.stderr);
      const step = Number(at[1]);
      assert.ok(step >= 5 && step <= 7, run.stderr);
      assert.doesNotMatch(run.stderr, /stopped before the parameters were updated/);
      assert.match(run.stderr, new RegExp(`metalearn resume ${r} --lr-schedule ${step}:0\\.001`));
      // The last checkpoint before it is on disk and finite, and no metric line of the bad step was kept.
      assert.equal(checkpointStep(r), step - 1);
      assert.ok(allFinite(weights(path.join(r, 'checkpoint'))));
      assert.ok(metrics(r).every((m) => m.step < step));
      // best/ was written when validation improved, so export reaches it.
      assert.ok(allFinite(weights(path.join(r, 'best'))));
      const ex = cli(['export', r, path.join(dir, 'm')]);
      assert.equal(ex.status, 0, ex.stderr);
      // What the message says to do works: resuming at a lower rate, or, as here where the checkpoint's
      // params have blown up to ~1e30, a new run from best/.
      const again = cli(['resume', r, '--lr-schedule', `${step}:0.001`]);
      assert.match(again.stdout, new RegExp(`resuming from step ${step - 1}`));
      if (again.status !== 0) {
        const cmd =
          /'metalearn (train --config \S+ --init-from \S+ --lr-schedule \S+) --out <new folder>'/.exec(
            again.stderr,
          );
        assert.ok(cmd, again.stderr);
        const fresh = path.join(dir, 'fresh');
        const re = cli([...cmd[1].split(' '), '--out', fresh]);
        assert.equal(re.status, 0, re.stderr);
        assert.ok(allFinite(weights(path.join(fresh, 'best'))));
      } else {
        assert.ok(allFinite(weights(path.join(r, 'best'))));
        assert.ok(allFinite(weights(path.join(r, 'last'))));
      }
    }),
  );

  it(
    'a ProtoNet run with NaN weights is caught (its loss stays ln N) and writes no NaN params',
    withDir('proto-nan', (dir) => {
      const p = path.join(dir, 'p');
      const run = cli(['train', '--lr', '1e30', '--steps', '8', '--val-every', '2', ...small, '--out', p]);
      assert.notEqual(run.status, 0, `exited 0:\n${run.stdout}`);
      assert.match(run.stderr, /training diverged at step \d+: .*non-finite/);
      assert.ok(!existsSync(path.join(p, 'results.json')));
      for (const d of ['best', 'last', 'checkpoint'])
        if (existsSync(path.join(p, d, 'weights.bin'))) assert.ok(allFinite(weights(path.join(p, d))), d);
      assert.match(run.stderr, /start again with a lower rate and --overwrite, e\.g\. '--lr 0\.001'/);
    }),
  );
});

describe('one writer per run folder (issue 16, cases 3 and 4)', () => {
  it(
    'two concurrent trains into one folder: one runs, the other is refused naming the lock',
    withDir('lock', async (dir) => {
      const out = path.join(dir, 'x');
      const args = ['train', '--steps', '6', ...small, '--val-every', '3', '--out', out];
      const start = () =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const c = spawn(process.execPath, [bin, ...args], { cwd: root });
          let err = '';
          c.stderr.on('data', (d: Buffer) => (err += d.toString()));
          c.on('exit', (code) => resolve({ code, err }));
        });
      const [a, b] = await Promise.all([start(), start()]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 1], `${a.err}\n${b.err}`);
      const refused = a.code === 0 ? b : a;
      assert.match(refused.err, /is in use by process \d+ on /);
      assert.match(refused.err, /\.lock/);
      assert.deepEqual(
        metrics(out).map((m) => m.step),
        [1, 2, 3, 4, 5, 6],
      );
      assert.ok(!existsSync(path.join(out, '.lock')), 'the lock is released at the end');
    }),
  );

  it(
    'a stale lock (its process is gone, same host) is taken over; a live one is refused',
    withDir('stale', (dir) => {
      const out = path.join(dir, 'x');
      mkdirSync(out);
      const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
      const deadPid = Number(gone.stdout.trim());
      writeFileSync(path.join(out, '.lock'), JSON.stringify({ pid: deadPid, host: hostname() }));
      const ok = cli(['train', '--steps', '2', ...small, '--out', out]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /stale lock/);

      const live = path.join(dir, 'y');
      mkdirSync(live);
      writeFileSync(path.join(live, '.lock'), JSON.stringify({ pid: process.pid, host: hostname() }));
      const no = cli(['train', '--steps', '2', ...small, '--out', live]);
      assert.notEqual(no.status, 0);
      assert.match(no.stderr, new RegExp(`is in use by process ${process.pid} on ${hostname()}`));
      assert.ok(!existsSync(path.join(live, 'config.json')), 'nothing written into a locked folder');
    }),
  );

  it(
    'train refuses a folder holding a finished run unless --overwrite is given',
    withDir('overwrite', (dir) => {
      const x = path.join(dir, 'x');
      const first = cli(['train', '--steps', '5', ...small, '--val-every', '0', '--out', x]);
      assert.equal(first.status, 0, first.stderr);
      rmSync(path.join(x, 'checkpoint'), { recursive: true });
      const again = cli(['train', '--steps', '3', ...small, '--out', x]);
      assert.notEqual(again.status, 0);
      assert.match(again.stderr, /already holds a run .*--overwrite/);
      assert.equal(metrics(x).length, 5, 'the earlier run is untouched');
      const over = cli(['train', '--steps', '3', ...small, '--val-every', '0', '--out', x, '--overwrite']);
      assert.equal(over.status, 0, over.stderr);
      assert.equal(metrics(x).length, 3);
      assert.equal(JSON.parse(readFileSync(path.join(x, 'config.json'), 'utf8')).steps, 3);
    }),
  );
});

describe('temporary folders, kills and full disks (issue 16, case 8 and the fault tests)', () => {
  it(
    'temp folders left by a killed writer are removed when the run resumes',
    withDir('temps', (dir) => {
      const x = path.join(dir, 'x');
      const first = cli(['train', '--steps', '4', ...small, '--val-every', '2', '--out', x]);
      assert.equal(first.status, 0, first.stderr);
      mkdirSync(path.join(dir, 'x', 'checkpoint.tmp-99999'));
      writeFileSync(path.join(dir, 'x', 'checkpoint.tmp-99999', 'weights.bin'), 'partial');
      mkdirSync(path.join(dir, 'x', 'best.tmp-99999'));
      const more = cli(['resume', x, '--steps', '6']);
      assert.equal(more.status, 0, more.stderr);
      assert.deepEqual(
        readdirSync(x).filter((f) => f.includes('.tmp')),
        [],
      );
    }),
  );

  it(
    'kill -9 in the middle of replacing best/: export still reads a whole best, resume ends as an uninterrupted run',
    withDir('kill-best', (dir) => {
      const args = (out: string) => [
        'train',
        '--steps',
        '6',
        ...small,
        '--val-every',
        '1',
        '--checkpoint-every',
        '1',
        '--out',
        out,
      ];
      const whole = path.join(dir, 'whole');
      assert.equal(cli(args(whole)).status, 0);
      const killed = path.join(dir, 'killed');
      // The test hook SIGKILLs the process the 2nd time it replaces best/, after best/ has been moved
      // aside (to best.old) and before the new one is renamed in: the worst moment of the swap.
      const k = cli(args(killed), { METALEARN_TEST_KILL: 'best:swapped-out:2' });
      assert.equal(k.signal, 'SIGKILL', k.stderr);
      assert.ok(!existsSync(path.join(killed, 'best')));
      const ex = cli(['export', killed, path.join(dir, 'm')]);
      assert.equal(ex.status, 0, ex.stderr);
      assert.ok(allFinite(weights(path.join(dir, 'm'))));
      const res = cli(['resume', killed]);
      assert.equal(res.status, 0, res.stderr);
      assert.deepEqual(weights(path.join(killed, 'best')), weights(path.join(whole, 'best')));
      assert.deepEqual(weights(path.join(killed, 'last')), weights(path.join(whole, 'last')));
      assert.deepEqual(
        readdirSync(killed).filter((f) => f.includes('.tmp') || f.endsWith('.old')),
        [],
      );
    }),
  );

  it('a full disk stops the run with the folder named; nothing earlier is lost and it resumes', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-enospc-'));
    const mnt = path.join(dir, 'disk');
    mkdirSync(mnt);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mount.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      t.skip(`cannot mount a small tmpfs here (${mount.stderr.trim()}); needs root`);
      return;
    }
    try {
      const x = path.join(mnt, 'x');
      // Conv4 with 16 filters: params 28 KB, a checkpoint (theta, Adam's m and v, best) 113 KB. The
      // first fits in 200 KB; replacing it needs room for two.
      const args = [
        '--steps',
        '6',
        '--hidden',
        '16',
        '--query',
        '2',
        '--val-episodes',
        '4',
        '--val-every',
        '2',
      ];
      const first = cli(['train', ...args, '--test-episodes', '4', '--checkpoint-every', '2', '--out', x]);
      assert.notEqual(first.status, 0);
      assert.match(first.stderr, /ENOSPC/);
      assert.match(first.stderr, new RegExp(`${x.replace(/[/.]/g, '\\$&')}`));
      assert.match(first.stderr, /free space/);
      assert.deepEqual(
        readdirSync(x).filter((f) => f.includes('.tmp')),
        [],
      );
      const cfg = JSON.parse(readFileSync(path.join(x, 'config.json'), 'utf8'));
      assert.equal(cfg.steps, 6, 'config.json survives');
      // resume on the still-full disk fails clearly and loses nothing.
      const before = readFileSync(path.join(x, 'config.json'), 'utf8');
      const still = cli(['resume', x]);
      assert.notEqual(still.status, 0);
      assert.match(still.stderr, /ENOSPC/);
      assert.equal(readFileSync(path.join(x, 'config.json'), 'utf8'), before);
      // Free space: the run resumes to the end.
      spawnSync('mount', ['-o', 'remount,size=20m', mnt]);
      const res = cli(
        existsSync(path.join(x, 'checkpoint')) ? ['resume', x] : ['train', ...args, '--out', x],
      );
      assert.equal(res.status, 0, res.stderr);
      assert.deepEqual(
        metrics(x).map((m) => m.step),
        [1, 2, 3, 4, 5, 6],
      );
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validation before anything is written (issue 16, case 12)', () => {
  it(
    'bad numbers, a null config file, a 1-way episode and a zero rate are refused before the run folder exists',
    withDir('validate', (dir) => {
      const out = path.join(dir, 'never');
      const refuse = (args: string[], re: RegExp) => {
        const r = cli(['train', ...small, ...args, '--out', out]);
        assert.notEqual(r.status, 0, `${args.join(' ')} was accepted`);
        assert.match(r.stderr, re);
        assert.ok(!existsSync(out), `${args.join(' ')} created the run folder`);
      };
      refuse(['--steps', ''], /--steps: field 'steps' must be a non-negative integer, got ""/);
      refuse(['--steps', '1e99'], /field 'steps' must be a non-negative integer/);
      refuse(['--lr', '0'], /field 'lr' must be a positive number, got "0"/);
      refuse(['--way', '1'], /field 'way' must be at least 2/);
      refuse(['--test-way', '1'], /field 'testWay' must be at least 2/);
      const nul = path.join(dir, 'null.json');
      writeFileSync(nul, 'null\n');
      refuse(['--config', nul], /null\.json: a config file must hold a JSON object, got null/);
      const inf = path.join(dir, 'inf.json');
      writeFileSync(inf, '{"lr": 1e400}');
      refuse(['--config', inf], /inf\.json: field 'lr' must be a positive number, got Infinity/);
    }),
  );

  it('a read-only --out is reported as read-only, not ENOENT', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-ro-'));
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { encoding: 'utf8' });
    if (m.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      t.skip(`cannot mount a read-only tmpfs here (${m.stderr.trim()})`);
      return;
    }
    try {
      const r = cli(['train', '--steps', '1', ...small, '--out', path.join(ro, 'x', 'y')]);
      assert.notEqual(r.status, 0);
      assert.doesNotMatch(r.stderr, /ENOENT/);
      assert.match(r.stderr, /cannot create the run folder .*EROFS/);
    } finally {
      spawnSync('umount', [ro]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'config.json and metrics.jsonl are replaced atomically on resume (no temp files left, content whole)',
    withDir('atomic', (dir) => {
      const x = path.join(dir, 'x');
      assert.equal(cli(['train', '--steps', '4', ...small, '--val-every', '2', '--out', x]).status, 0);
      // A kill while resume rewrites config.json leaves the old file whole (test hook: kill after the
      // new content is in its temp file, before the rename).
      const before = readFileSync(path.join(x, 'config.json'), 'utf8');
      const k = cli(['resume', x, '--steps', '6'], { METALEARN_TEST_KILL: 'config.json:written:1' });
      assert.equal(k.signal, 'SIGKILL', k.stderr);
      assert.equal(readFileSync(path.join(x, 'config.json'), 'utf8'), before);
      const res = cli(['resume', x, '--steps', '6']);
      assert.equal(res.status, 0, res.stderr);
      assert.equal(JSON.parse(readFileSync(path.join(x, 'config.json'), 'utf8')).steps, 6);
      assert.deepEqual(
        readdirSync(x).filter((f) => f.includes('.tmp')),
        [],
      );
    }),
  );
});
