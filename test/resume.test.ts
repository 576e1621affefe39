import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics } from './helpers/runs.js';

const root = new URL('..', import.meta.url).pathname;
const bin = path.join(root, 'bin/metalearn.js');
const args = (out: string) => [
  'demo',
  '--steps',
  '14',
  '--hidden',
  '8',
  '--checkpoint-every',
  '2',
  '--val-every',
  '4',
  '--val-episodes',
  '3',
  '--test-episodes',
  '8',
  '--log-every',
  '1',
  '--out',
  out,
];

/** Start a run and SIGKILL it once it has printed `step <killAt>/`. */
function runAndKill(out: string, killAt: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args(out)], { cwd: root });
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes(`step ${killAt}/`)) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(text) : reject(new Error(`run ended without being killed:\n${text}`)),
    );
  });
}

describe('checkpoints and resume', () => {
  it('a run killed with SIGKILL resumes to the same episodes, losses and result as an uninterrupted run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-resume-'));
    const killed = path.join(dir, 'killed');
    const whole = path.join(dir, 'whole');
    try {
      await runAndKill(killed, 7);
      assert.ok(existsSync(path.join(killed, 'checkpoint', 'model.json')), 'no checkpoint after the kill');
      assert.ok(!existsSync(path.join(killed, 'results.json')));
      // Starting a new run over a folder with a checkpoint would lose it: refused.
      const again = spawnSync(process.execPath, [bin, ...args(killed)], { cwd: root, encoding: 'utf8' });
      assert.notEqual(again.status, 0);
      assert.match(again.stderr, /already holds a run with a checkpoint; resume it/);

      const resumed = spawnSync(process.execPath, [bin, 'resume', killed], { cwd: root, encoding: 'utf8' });
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout, /resuming from step [246]/);
      const full = spawnSync(process.execPath, [bin, ...args(whole)], { cwd: root, encoding: 'utf8' });
      assert.equal(full.status, 0, full.stderr);

      const a = metrics(killed);
      const b = metrics(whole);
      assert.deepEqual(
        a.map((r) => r.step),
        Array.from({ length: 14 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        a.map((r) => r.loss),
        b.map((r) => r.loss),
      );
      const ra = JSON.parse(readFileSync(path.join(killed, 'results.json'), 'utf8'));
      const rb = JSON.parse(readFileSync(path.join(whole, 'results.json'), 'utf8'));
      assert.equal(ra.stepsTrained, 14);
      assert.equal(ra.test.mean, rb.test.mean);
      assert.equal(ra.bestStep, rb.bestStep);

      // resume --steps trains a finished run on; it cannot end before its checkpoint.
      const short = spawnSync(process.execPath, [bin, 'resume', whole, '--steps', '10'], {
        cwd: root,
        encoding: 'utf8',
      });
      assert.notEqual(short.status, 0);
      assert.match(short.stderr, /checkpoint is at step 14; a resumed run cannot end before it/);
      const longer = spawnSync(process.execPath, [bin, 'resume', whole, '--steps', '16'], {
        cwd: root,
        encoding: 'utf8',
      });
      assert.equal(longer.status, 0, longer.stderr);
      assert.deepEqual(
        metrics(whole).map((r) => r.step),
        Array.from({ length: 16 }, (_, i) => i + 1),
      );
      assert.equal(JSON.parse(readFileSync(path.join(whole, 'config.json'), 'utf8')).steps, 16);
      assert.equal(JSON.parse(readFileSync(path.join(whole, 'results.json'), 'utf8')).stepsTrained, 16);

      // --init-from starts from saved params: with 0 steps, last/ is exactly what was loaded.
      const warm = path.join(dir, 'warm');
      const w = spawnSync(
        process.execPath,
        [bin, ...args(warm), '--steps', '0', '--init-from', path.join(whole, 'last')],
        { cwd: root, encoding: 'utf8' },
      );
      assert.equal(w.status, 0, w.stderr);
      assert.match(w.stdout, /initialised 16 of 16 params/);
      assert.deepEqual(
        readFileSync(path.join(warm, 'last', 'weights.bin')),
        readFileSync(path.join(whole, 'last', 'weights.bin')),
      );
      const bad = spawnSync(
        process.execPath,
        [
          bin,
          ...args(path.join(dir, 'bad')),
          '--init-from',
          path.join(whole, 'last'),
          '--init-map',
          'embed.=encoder.',
        ],
        { cwd: root, encoding: 'utf8' },
      );
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /field 'initFrom'.*has no param 'encoder\.block0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('learning-rate schedules', () => {
  it('a change added on resume equals the same schedule given from the start, and differs from none', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-lr-'));
    const run = (extra: string[]) => {
      const r = spawnSync(process.execPath, [bin, ...extra], { cwd: root, encoding: 'utf8' });
      return r;
    };
    try {
      const sched = path.join(dir, 'sched');
      const later = path.join(dir, 'later');
      const flat = path.join(dir, 'flat');
      const a = run([...args(sched), '--steps', '12', '--lr-schedule', '9:0.00001']);
      assert.equal(a.status, 0, a.stderr);
      const c = run([...args(flat), '--steps', '12']);
      assert.equal(c.status, 0, c.stderr);
      const b = run([...args(later), '--steps', '8']);
      assert.equal(b.status, 0, b.stderr);
      // A change at or before the checkpoint would rewrite trained steps: refused, nothing lost.
      const early = run(['resume', later, '--steps', '12', '--lr-schedule', '8:0.00001']);
      assert.notEqual(early.status, 0);
      assert.match(
        early.stderr,
        /checkpoint is at step 8; a change at step 8 would rewrite steps already trained/,
      );
      const typo = run(['resume', later, '--steps', '12', '--lr-schedule', '9=0.00001']);
      assert.notEqual(typo.status, 0);
      assert.match(typo.stderr, /field 'lrSchedule': expected 'step:lr/);
      const resumed = run(['resume', later, '--steps', '12', '--lr-schedule', '9:0.00001']);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.equal(JSON.parse(readFileSync(path.join(later, 'config.json'), 'utf8')).lrSchedule, '9:0.00001');

      const la = metrics(sched).map((r) => r.loss);
      assert.deepEqual(
        metrics(later).map((r) => r.loss),
        la,
      );
      const lc = metrics(flat).map((r) => r.loss);
      // Steps 1-9 are computed before the first update at the new rate lands.
      assert.deepEqual(la.slice(0, 9), lc.slice(0, 9));
      assert.notDeepEqual(la.slice(9), lc.slice(9));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
