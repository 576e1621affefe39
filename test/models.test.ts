// Exported model folders meta-tested without their run folder, and the trained models shipped under
// models/: each reproduces the checks of its card.json on the card's fixed episodes (real Omniglot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { evaluateModel, readModelConfig } from '../src/experiment/model_eval.js';
import { resolveModelArg, shippedModelDir, shippedModels } from '../src/experiment/shipped_models.js';
import { runCli } from './helpers/runs.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

test('an exported model is meta-tested on the same episodes as its run, with nothing written into it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-model-eval-'));
  try {
    const run = path.join(dir, 'run');
    const model = path.join(dir, 'model');
    let r = runCli([
      'train',
      '--learner',
      'protonet',
      '--hidden',
      '8',
      '--steps',
      '4',
      '--val-every',
      '0',
      '--query',
      '3',
      '--test-episodes',
      '5',
      '--log-every',
      '2',
      '--out',
      run,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(runCli(['export', run, model]).status, 0);
    const cfg = readModelConfig(model);
    assert.equal(cfg.learner, 'protonet');
    assert.equal('out' in cfg, false, 'an exported config carries no path of the training machine');
    r = runCli(['eval', run, '--way', '4', '--episodes', '12']);
    assert.equal(r.status, 0, r.stderr);
    const fromRun = JSON.parse(readFileSync(path.join(run, 'eval-4w1s.json'), 'utf8')) as {
      test: { mean: number; ci95: number };
    };
    const before = readdirSync(model).sort();
    const out = path.join(dir, 'result.json');
    r = runCli(['eval', model, '--way', '4', '--episodes', '12', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(model).sort(), before);
    const fromModel = JSON.parse(readFileSync(out, 'utf8')) as {
      test: { mean: number; ci95: number };
      correct: number;
      queries: number;
      episodesSha256: string;
    };
    assert.equal(fromModel.test.mean, fromRun.test.mean);
    assert.equal(fromModel.test.ci95, fromRun.test.ci95);
    assert.equal(fromModel.queries, 12 * 4 * 3);
    assert.equal(fromModel.correct, Math.round(fromRun.test.mean * fromModel.queries));
    // The digest is the sha256 of the episode file the run saved for the same shape.
    const file = readFileSync(path.join(run, 'test-episodes-4w1s.json'));
    assert.equal(fromModel.episodesSha256, createHash('sha256').update(file).digest('hex'));
    assert.match(r.stdout, /4-way 1-shot, 12 episodes: accuracy .*correct/);
    const bad = runCli(['eval', model, '--which', 'last']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--which is for run folders; .* is an exported model folder/);
    const bad2 = runCli(['eval', run, '--out', out]);
    assert.match(bad2.stderr, /--out is for exported model folders/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface CardCheck {
  way: number;
  shot: number;
  query: number;
  episodes: number;
  withinGroup: boolean;
  correct: number;
  queries: number;
  episodesSha256: string;
}

const modelsDir = path.join(root, 'models');
const cards = existsSync(modelsDir)
  ? readdirSync(modelsDir).filter((d) => existsSync(path.join(modelsDir, d, 'card.json')))
  : [];

test('models/ holds the shipped models, each with a card', () => {
  assert.ok(cards.length >= 1, `no models/<name>/card.json under ${modelsDir}`);
  for (const name of cards) {
    for (const f of ['model.json', 'weights.bin', 'MODEL_CARD.md'])
      assert.ok(existsSync(path.join(modelsDir, name, f)), `models/${name}/${f} is missing`);
  }
});

test('shipped models are found by name, and a wrong name gets the list of those there are', () => {
  assert.deepEqual(shippedModels(), [...cards].sort());
  assert.equal(shippedModelDir(cards[0]), path.join(modelsDir, cards[0]));
  assert.equal(resolveModelArg(cards[0]), path.join(modelsDir, cards[0]));
  assert.throws(
    () => shippedModelDir('omniglot-protonet-vinyal'),
    new RegExp(`no shipped model 'omniglot-protonet-vinyal'; .* holds: .*${cards[0]}`),
  );
  assert.throws(
    () => resolveModelArg('runs/nowhere'),
    /runs\/nowhere: no such folder, and not a shipped model/,
  );
  const r = runCli(['eval', 'omniglot-protonet-vinyal']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /omniglot-protonet-vinyal: no such folder, and not a shipped model \(/);
});

for (const name of cards) {
  test(`models/${name} reproduces its card's checks on the card's fixed episodes`, async () => {
    const card = JSON.parse(readFileSync(path.join(modelsDir, name, 'card.json'), 'utf8')) as {
      checks: CardCheck[];
    };
    assert.ok(card.checks.length >= 1);
    for (const c of card.checks) {
      const r = await evaluateModel(path.join(modelsDir, name), {
        way: c.way,
        shot: c.shot,
        query: c.query,
        episodes: c.episodes,
        withinGroup: c.withinGroup,
      });
      const label = `${name} ${c.way}-way ${c.shot}-shot${c.withinGroup ? ' within' : ''}, ${c.episodes} episodes`;
      assert.equal(r.episodesSha256, c.episodesSha256, `${label}: not the card's episodes`);
      assert.equal(r.queries, c.queries, label);
      // Exact up to 2 answers: another kernel path (our GEMM, OpenBLAS, wasm) may round a near-tie the
      // other way; anything more is a different model or different data.
      assert.ok(
        Math.abs(r.correct! - c.correct) <= 2,
        `${label}: ${r.correct}/${r.queries} correct, the card says ${c.correct}/${c.queries}`,
      );
      console.log(
        `# ${label}: ${r.correct}/${r.queries} correct (card ${c.correct}), ${r.seconds.toFixed(1)} s`,
      );
    }
  });
}
