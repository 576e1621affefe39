import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli as cli } from './helpers/runs.js';

const root = new URL('..', import.meta.url).pathname;

describe('metalearn CLI', () => {
  it('a small demo run writes config, metrics, checkpoints, episodes and results', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'metalearn-cli-'));
    try {
      const r = cli([
        'demo',
        '--steps',
        '4',
        '--hidden',
        '8',
        '--val-every',
        '2',
        '--val-episodes',
        '3',
        '--test-episodes',
        '6',
        '--out',
        out,
      ]);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(
        r.stdout,
        /meta-test accuracy \(5-way 1-shot, best checkpoint at step [24]\): [\d.]+% ± [\d.]+% \(95% CI, 6 episodes\)/,
      );
      const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
      assert.equal(cfg.steps, 4);
      assert.equal(cfg.learner, 'protonet');
      const lines = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
      assert.equal(lines.length, 4);
      assert.ok(JSON.parse(lines[1]).val.n === 3);
      const res = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
      assert.equal(res.test.n, 6);
      assert.ok(res.test.mean >= 0 && res.test.mean <= 1);
      // Per-episode scores, their mean the reported one, and the digest of the saved episode file.
      assert.equal(res.perEpisode.scores.length, 6);
      const mean = res.perEpisode.scores.reduce((t: number, v: number) => t + v, 0) / 6;
      assert.ok(Math.abs(mean - res.test.mean) < 1e-12);
      assert.equal(res.perEpisode.episodes.file, 'test-episodes.json');
      assert.equal(
        res.perEpisode.episodes.sha256,
        createHash('sha256')
          .update(readFileSync(path.join(out, 'test-episodes.json'), 'utf8'))
          .digest('hex'),
      );
      // A run against itself: no difference on any episode.
      const same = cli(['compare', out, path.join(out, 'results.json')]);
      assert.equal(same.status, 0, same.stderr);
      assert.match(
        same.stdout,
        /B - A, paired over the same 6 episodes .*: 0\.00 points ± 0\.00 points .*the same on 6/,
      );
      // Scores of other episodes are refused, naming both files.
      const other = path.join(out, 'other.json');
      writeFileSync(
        other,
        JSON.stringify({
          ...res,
          perEpisode: { ...res.perEpisode, episodes: { file: 'x', sha256: 'f'.repeat(64) } },
        }),
      );
      const refused = cli(['compare', out, other]);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /results\.json and .*other\.json were not scored on the same episodes/);
      for (const f of [
        'best/model.json',
        'best/weights.bin',
        'last/model.json',
        'test-episodes.json',
        'val-episodes.json',
      ]) {
        assert.ok(existsSync(path.join(out, f)), `missing ${f}`);
      }
      const html = readFileSync(path.join(out, 'report.html'), 'utf8');
      assert.match(
        html,
        new RegExp(`${(res.test.mean * 100).toFixed(2)}% ± ${(res.test.ci95 * 100).toFixed(2)}%`),
      );
      const val = readFileSync(path.join(out, 'curve-val.svg'), 'utf8');
      assert.match(val, /^<svg[\s\S]*<\/svg>$/);
      assert.match(val, /<polyline points="[\d.,\s]+"/);
      assert.match(val, />validation accuracy</);
      assert.equal((val.match(/<circle /g) ?? []).length, 2, 'one point per validation (steps 2 and 4)');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('config mistakes are named: file, field, expectation, and a suggestion', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-cfg-'));
    try {
      const f = path.join(dir, 'run.json');
      writeFileSync(f, JSON.stringify({ learner: 'protonet', metaBtach: 4 }));
      let r = cli(['train', '--config', f]);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        new RegExp(
          `${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unknown field 'metaBtach' \\(did you mean 'metaBatch'\\?\\)`,
        ),
      );
      writeFileSync(f, JSON.stringify({ way: 'five' }));
      r = cli(['train', '--config', f]);
      assert.match(r.stderr, /run\.json: field 'way' must be a positive integer, got "five"/);
      writeFileSync(f, '{ "way": 5, }');
      r = cli(['train', '--config', f]);
      assert.match(r.stderr, /run\.json: not valid JSON/);
      r = cli(['train', '--inner-lrr', '0.1']);
      assert.match(r.stderr, /unknown option --inner-lrr \(did you mean '--inner-lr'\?\)/);
      r = cli(['trian']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /unknown command 'trian' \(did you mean 'train'\?\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metalearn export and predict', () => {
  it('adapts an exported model on a support folder and labels a query folder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-predict-'));
    try {
      const run = path.join(dir, 'run');
      const r = cli([
        'demo',
        '--steps',
        '40',
        '--hidden',
        '16',
        '--val-every',
        '0',
        '--test-episodes',
        '5',
        '--out',
        run,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const exp = cli(['export', run, path.join(dir, 'model')]);
      assert.equal(exp.status, 0, exp.stderr);
      // Three unseen synthetic characters drawn as dark ink on white paper, as a user would scan them.
      const mk = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(root, 'examples/make_symbols.ts'),
          path.join(dir, 'support'),
          path.join(dir, 'query'),
        ],
        { cwd: root, encoding: 'utf8' },
      );
      assert.equal(mk.status, 0, mk.stderr);
      const p = cli(['predict', path.join(dir, 'model'), path.join(dir, 'support'), path.join(dir, 'query')]);
      assert.equal(p.status, 0, p.stderr);
      const rows = p.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      assert.equal(rows.length, 12);
      const correct = rows.filter(([f, label]) => f.startsWith(label + '-')).length;
      assert.ok(correct >= 9, `only ${correct} of 12 query drawings labelled correctly:\n${p.stdout}`);
      for (const row of rows) assert.match(row[2], /^\d+\.\d%$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('meta-test inner steps', () => {
  it('train meta-tests with --test-inner-steps and eval adapts with --inner-steps, recording them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-steps-'));
    try {
      const common = ['demo', '--learner', 'maml', '--hidden', '8', '--steps', '3', '--val-every', '0'];
      const runs = [1, 4].map((k) => {
        const out = path.join(dir, `k${k}`);
        const r = cli([...common, '--test-episodes', '20', '--test-inner-steps', String(k), '--out', out]);
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')).test.mean as number;
      });
      // Same training, same test episodes: only the adaptation at meta-test differs.
      assert.notEqual(runs[0], runs[1]);
      const run = path.join(dir, 'k1');
      for (const k of [1, 4]) {
        const e = cli(['eval', run, '--episodes', '20', '--inner-steps', String(k)]);
        assert.equal(e.status, 0, e.stderr);
        assert.match(e.stdout, new RegExp(`maml \\(best\\) 5-way 1-shot, ${k} inner steps: `));
      }
      const e1 = JSON.parse(readFileSync(path.join(run, 'eval-5w1s.json'), 'utf8'));
      const e4 = JSON.parse(readFileSync(path.join(run, 'eval-5w1s-4steps.json'), 'utf8'));
      assert.equal(e1.innerSteps, 1);
      assert.equal(e4.innerSteps, 4);
      assert.notEqual(e4.test.mean, e1.test.mean);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
