// 'metalearn search' (issue 19): a tiny MetaNAS run writes the derived genotype, which 'train
// --backbone cell' accepts; --derive-from re-derives it from the saved run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers/runs.js';
import { parseGenotype } from '../src/nn/darts.js';

describe('metalearn search', () => {
  it('searches, writes genotype.json, re-derives it, and refuses other learners', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ml-search-'));
    const out = path.join(dir, 'run');
    try {
      const r = runCli([
        'search',
        '--dataset=synthetic',
        '--way=2',
        '--query=1',
        '--steps=2',
        '--hidden=2',
        '--val-every=0',
        '--test-episodes=2',
        `--out=${out}`,
      ]);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      const saved = JSON.parse(readFileSync(path.join(out, 'genotype.json'), 'utf8')) as {
        genotype: string;
        softmaxAlpha: Record<string, number>[];
      };
      assert.equal(parseGenotype(saved.genotype).length, 3);
      assert.equal(saved.softmaxAlpha.length, 3);
      assert.match(r.stdout, new RegExp(`--backbone cell --genotype ${saved.genotype}`));
      const again = runCli(['search', `--derive-from=${out}`]);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`genotype \\(best params\\): ${saved.genotype}`));
      const bad = runCli(['search', '--learner=maml', `--out=${path.join(dir, 'bad')}`]);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /--learner must be 'metanas'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
