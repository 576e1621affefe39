import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics } from './helpers/runs.js';

const root = new URL('..', import.meta.url).pathname;
const bin = path.join(root, 'bin/metalearn.js');
const run = (extra: string[]) =>
  spawnSync(process.execPath, [bin, ...extra], { cwd: root, encoding: 'utf8' });
const args = (out: string, steps: number) => [
  'demo',
  '--learner',
  'maml',
  '--meta-batch',
  '5',
  '--query',
  '2',
  '--hidden',
  '8',
  '--steps',
  String(steps),
  '--checkpoint-every',
  '2',
  '--val-every',
  '3',
  '--val-episodes',
  '4',
  '--test-episodes',
  '6',
  '--log-every',
  '1',
  '--out',
  out,
];
const losses = (out: string) => metrics(out).map((r) => r.loss);

function assertClose(a: number[], b: number[], what: string) {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) =>
    assert.ok(
      Math.abs(v - b[i]) <= 1e-4 * Math.max(1, Math.abs(v)),
      `${what}, step ${i + 1}: ${v} vs ${b[i]}`,
    ),
  );
}

describe('train --workers', () => {
  it('2 worker threads train the same second-order MAML run as one thread, also when switched on resume', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-workers-'));
    try {
      const one = path.join(dir, 'one');
      const two = path.join(dir, 'two');
      const switched = path.join(dir, 'switched');
      const a = run(args(one, 6));
      assert.equal(a.status, 0, a.stderr);
      const b = run([...args(two, 6), '--workers', '2']);
      assert.equal(b.status, 0, b.stderr);
      assert.match(b.stdout, /meta-gradients on 2 worker threads/);
      assert.equal(JSON.parse(readFileSync(path.join(two, 'config.json'), 'utf8')).workers, 2);
      const c = run(args(switched, 4));
      assert.equal(c.status, 0, c.stderr);
      const d = run(['resume', switched, '--steps', '6', '--workers', '2']);
      assert.equal(d.status, 0, d.stderr);

      const l1 = losses(one);
      assert.equal(l1.length, 6);
      // Different episodes would give losses that differ by far more than float summation order.
      assertClose(losses(two), l1, '--workers 2');
      assertClose(losses(switched), l1, 'resume --workers 2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a worker count that is not a positive integer, naming the field', () => {
    const r = run([
      'demo',
      '--steps',
      '1',
      '--workers',
      '0',
      '--out',
      path.join(tmpdir(), 'metalearn-never'),
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /field 'workers' must be a positive integer, got "0"/);
  });
});
