// Issue 20's learners through the CLI: a tiny MAML++ run with its switches and a cosine outer rate.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics, runCli } from './helpers/runs.js';

describe('issue 20 learners in the CLI', () => {
  it("'train --learner mamlpp' with --mamlpp and --lr-schedule cosine trains, records both, and tests", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ml-mamlpp-'));
    const out = path.join(dir, 'run');
    try {
      const r = runCli([
        'train',
        '--learner=mamlpp',
        '--mamlpp=msl,lslr,da,bnrs',
        '--lr-schedule=cosine:0.0001',
        '--dataset=synthetic',
        '--steps=2',
        '--hidden=4',
        '--inner-steps=2',
        '--val-every=0',
        '--test-episodes=3',
        `--out=${out}`,
      ]);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /meta-test accuracy \(5-way 1-shot/);
      const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(cfg.learner, 'mamlpp');
      assert.equal(cfg.mamlpp, 'msl,lslr,da,bnrs');
      // bnrs: the per-step running statistics are saved with the trained params.
      const saved = JSON.parse(readFileSync(path.join(out, 'best', 'model.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.ok(JSON.stringify(saved).includes('bnrs.step2.'), 'no per-step statistics in the saved params');
      assert.equal(cfg.lrSchedule, 'cosine:0.0001');
      assert.equal(metrics(out).filter((m) => 'loss' in m).length, 2);
      const bad = runCli(['train', '--learner=mamlpp', '--mamlpp=bnrx', `--out=${path.join(dir, 'bad')}`]);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /field 'mamlpp': unknown switch 'bnrx'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
