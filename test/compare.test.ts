import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pairedDifference } from '../src/engine/stats.js';
import { compareResults, readScoredResult } from '../src/experiment/compare.js';
import { evalProblemOf, problemOf } from '../src/experiment/problem.js';
import { DEFAULTS } from '../src/experiment/config.js';
import { initEngine } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';

describe('paired comparison of two results on the same episodes', () => {
  it('pairedDifference: the mean of b - a with its 95% interval, and the counts', () => {
    const d = pairedDifference([1, 0, 1, 0.5], [1, 1, 0, 1]);
    // Differences 0, 1, -1, 0.5: mean 0.125, squared deviations summing to 2.1875, sample sd sqrt(2.1875 / 3).
    assert.ok(Math.abs(d.mean - 0.125) < 1e-15);
    assert.ok(Math.abs(d.ci95 - (1.96 * Math.sqrt(2.1875 / 3)) / 2) < 1e-15);
    assert.deepEqual([d.n, d.higher, d.equal, d.lower], [4, 2, 1, 1]);
    assert.throws(() => pairedDifference([1], [1, 2]), /1 scores against 2/);
  });

  it('reads run folders and result files, and names what is wrong', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-compare-'));
    try {
      const result = (scores: number[], sha: string, metric = 'accuracy') => ({
        test: { metric, mean: 0, ci95: 0, n: scores.length },
        perEpisode: { scores, episodes: { file: 'test-episodes.json', sha256: sha } },
      });
      mkdirSync(path.join(dir, 'runA'));
      writeFileSync(
        path.join(dir, 'runA', 'results.json'),
        JSON.stringify(result([0.6, 0.8, 1], 'a'.repeat(64))),
      );
      const b = path.join(dir, 'eval-b.json');
      writeFileSync(b, JSON.stringify(result([0.8, 0.8, 0.9], 'a'.repeat(64))));
      const c = compareResults(readScoredResult(path.join(dir, 'runA')), readScoredResult(b));
      assert.equal(c.a.file, path.join(dir, 'runA', 'results.json'));
      assert.ok(Math.abs(c.difference.mean - 0.1 / 3) < 1e-12);
      assert.deepEqual([c.difference.higher, c.difference.equal, c.difference.lower], [1, 1, 1]);
      assert.ok(Math.abs(c.b.summary.mean - 2.5 / 3) < 1e-12);

      const other = path.join(dir, 'other.json');
      writeFileSync(other, JSON.stringify(result([0.8, 0.8, 0.9], 'b'.repeat(64))));
      assert.throws(
        () => compareResults(readScoredResult(b), readScoredResult(other)),
        /eval-b\.json and .*other\.json were not scored on the same episodes \(3 episodes, sha256 aaaa/,
      );
      writeFileSync(other, JSON.stringify(result([0.1, 0.2, 0.3], 'a'.repeat(64), 'mse')));
      assert.throws(
        () => compareResults(readScoredResult(b), readScoredResult(other)),
        /scores accuracy, .* scores mse/,
      );
      writeFileSync(other, JSON.stringify({ test: { metric: 'accuracy' } }));
      assert.throws(() => readScoredResult(other), /other\.json has no perEpisode\.scores/);
      writeFileSync(other, '{ not json');
      assert.throws(() => readScoredResult(other), /other\.json is not JSON/);
      assert.throws(() => readScoredResult(path.join(dir, 'nope')), /nope does not exist/);
      assert.throws(() => readScoredResult(path.join(dir, 'runB-missing', 'results.json')), /does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generated sinusoid tasks get a digest of their values: the same for train and eval, another for another shape', async () => {
    await initEngine({ backend: 'cpu' });
    const cfg = {
      ...DEFAULTS,
      dataset: 'sinusoid',
      learner: 'np',
      shot: 5,
      query: 10,
      testEpisodes: 20,
    } as typeof DEFAULTS;
    const n0 = tf.memory().numTensors;
    const train = problemOf(cfg).testDigest!();
    assert.match(train.sha256, /^[0-9a-f]{64}$/);
    assert.match(train.file, /20 x \(5 support \+ 10 query points\), generated, not saved/);
    assert.equal(evalProblemOf(cfg, {}).testDigest!().sha256, train.sha256);
    assert.notEqual(evalProblemOf(cfg, { shot: 10 }).testDigest!().sha256, train.sha256);
    assert.notEqual(problemOf({ ...cfg, seed: 1 }).testDigest!().sha256, train.sha256);
    assert.equal(tf.memory().numTensors, n0);
  });
});
