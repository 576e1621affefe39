// Issue 16, case 5: params loaded by eval, predict, resume, export and --init-from are checked against
// the names and shapes of the learner the config builds, with one message that names the file.
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { grayPng } from './fixtures/png_writer.js';
import { tf } from '../src/engine/tf.js';
import { checkParamsMatch } from '../src/meta/check_params.js';
import { runCli as cli } from './helpers/runs.js';

/** `n` class folders of two 28x28 gray PNGs each, and a query folder of two PNGs. */
function imageFolders(dir: string, n: number): { support: string; query: string } {
  const support = path.join(dir, `support${n}`);
  const query = path.join(dir, 'query');
  for (let c = 0; c < n; c++) {
    mkdirSync(path.join(support, `c${c}`), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const px = Array.from({ length: 28 * 28 }, (_, j) => ((j * (c + 1) + i) % 7) / 7);
      writeFileSync(path.join(support, `c${c}`, `${i}.png`), grayPng(28, 28, px));
    }
  }
  mkdirSync(query, { recursive: true });
  for (let i = 0; i < 2; i++)
    writeFileSync(path.join(query, `q${i}.png`), grayPng(28, 28, new Array(784).fill(i / 2)));
  return { support, query };
}

describe('loaded params must fit the learner (issue 16, case 5)', () => {
  let dir: string;
  let run: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'metalearn-fit-'));
    run = path.join(dir, 'maml');
    const r = cli([
      'train',
      '--learner',
      'maml',
      '--steps',
      '2',
      '--hidden',
      '8',
      '--query',
      '2',
      '--val-every',
      '0',
      '--test-episodes',
      '2',
      '--checkpoint-every',
      '1',
      '--out',
      run,
    ]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("eval --way 7 on a 5-way MAML run is refused, naming the param, both shapes and the run's way", () => {
    const r = cli(['eval', run, '--way', '7', '--episodes', '2']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /best: the params do not fit learner 'maml' with way 7, hidden 8/);
    assert.match(r.stderr, /'model\.head\.w' is \[\d+, 5\] where the learner's is \[\d+, 7\]/);
    assert.match(r.stderr, /The run was trained with way 5.*--way must be 5/);
    // The run's own way still evaluates.
    const ok = cli(['eval', run, '--way', '5', '--episodes', '2']);
    assert.equal(ok.status, 0, ok.stderr);
  });

  it('predict with more support classes than the trained way is refused; the trained way works', () => {
    const seven = imageFolders(dir, 7);
    const r = cli(['predict', run, seven.support, seven.query]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /the params do not fit learner 'maml' with way 7/);
    assert.match(r.stderr, /support7 has 7 classes; learner 'maml' was trained 5-way/);
    const five = imageFolders(dir, 5);
    const ok = cli(['predict', run, five.support, five.query]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim().split('\n').length, 2);
  });

  it('resume after an edited way or learner in config.json is refused before training', () => {
    for (const [field, value, re] of [
      ['way', 7, /'model\.head\.w' is \[\d+, 5\] where the learner's is \[\d+, 7\]/],
      ['learner', 'protonet', /this learner has no param 'model\.backbone\./],
    ] as const) {
      const copy = path.join(dir, `edited-${field}`);
      cpSync(run, copy, { recursive: true });
      const cfgFile = path.join(copy, 'config.json');
      const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
      writeFileSync(cfgFile, JSON.stringify({ ...cfg, [field]: value, steps: 4 }));
      const before = readFileSync(path.join(copy, 'metrics.jsonl'), 'utf8');
      const r = cli(['resume', copy]);
      assert.equal(r.status, 1, `${field}: ${r.stdout}`);
      assert.match(r.stderr, /checkpoint: the params do not fit learner/);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /was config\.json edited/);
      assert.equal(readFileSync(path.join(copy, 'metrics.jsonl'), 'utf8'), before, 'nothing trained');
    }
  });

  it('an edited model.json shape is named by eval and export, not a tfjs error', () => {
    const copy = path.join(dir, 'edited-shape');
    cpSync(run, copy, { recursive: true });
    const file = path.join(copy, 'best', 'model.json');
    const model = JSON.parse(readFileSync(file, 'utf8'));
    const w = model.weightsManifest[0].weights.find((s: { name: string }) => s.name === 'model.head.w');
    w.shape = [...w.shape].reverse(); // the same number of values, the wrong shape
    writeFileSync(file, JSON.stringify(model));
    const e = cli(['eval', copy, '--episodes', '2']);
    assert.equal(e.status, 1, e.stdout);
    assert.match(
      e.stderr,
      /best: the params do not fit learner 'maml' with way 5, hidden 8: 'model\.head\.w' is \[5, \d+\]/,
    );
    const x = cli(['export', copy, path.join(dir, 'exported')]);
    assert.equal(x.status, 1, x.stdout);
    assert.match(
      x.stderr,
      /model\.json: the params do not fit learner 'maml' with way 5, hidden 8: 'model\.head\.w'/,
    );
    // The untouched run exports, and its export predicts.
    const good = cli(['export', run, path.join(dir, 'exported')]);
    assert.equal(good.status, 0, good.stderr);
  });

  it('--init-from: a saved param that lands on another shape is named through the same check', () => {
    const r = cli([
      'train',
      '--learner',
      'maml',
      '--way',
      '3',
      '--steps',
      '1',
      '--hidden',
      '8',
      '--query',
      '2',
      '--val-every',
      '0',
      '--test-episodes',
      '2',
      '--init-from',
      path.join(run, 'best'),
      '--out',
      path.join(dir, 'warm'),
    ]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stderr,
      /field 'initFrom': .*best: the params do not fit this learner.*'model\.head\.w' is \[\d+, 5\] where the learner's is \[\d+, 3\]/,
    );
  });
});

describe('checkParamsMatch', () => {
  const want = { 'a.w': [2, 3], 'a.b': [3], 'c.w': [3, 4] };
  it('passes an exact match, and with `partial` a subset', () => {
    checkParamsMatch(want, { 'a.w': [2, 3], 'a.b': [3], 'c.w': [3, 4] }, 'm.json');
    checkParamsMatch(want, { 'c.w': [3, 4] }, 'm.json', { partial: true });
  });
  it('names every missing, extra and misshapen param, with the context and the hint', () => {
    assert.throws(
      () =>
        checkParamsMatch(want, { 'a.w': [3, 2], 'x.w': [1] }, 'm.json', {
          context: "learner 'maml' with way 5",
          hint: 'put config.json back',
        }),
      (e: Error) =>
        e.message ===
        "m.json: the params do not fit learner 'maml' with way 5: 'a.w' is [3, 2] where the learner's is [2, 3]; " +
          "this learner has no param 'x.w'; 'a.b' [3] is missing; 'c.w' [3, 4] is missing. Put config.json back",
    );
    assert.throws(
      () => checkParamsMatch(want, { 'c.w': [4, 3] }, 'm.json', { partial: true }),
      /'c\.w' is \[4, 3\]/,
    );
  });
  it('lists six problems and counts the rest; reads the shapes of tensors too', () => {
    const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`p${i}`, [1]]));
    assert.throws(() => checkParamsMatch({}, many, 'm.json'), /no param 'p5' \(and 3 more\)$/);
    const t = tf.zeros([2, 3]);
    try {
      checkParamsMatch(want, { 'a.w': t }, 'm.json', { partial: true });
      assert.throws(() => checkParamsMatch({ 'a.w': [3, 2] }, { 'a.w': t }, 'm.json'), /'a\.w' is \[2, 3\]/);
    } finally {
      t.dispose();
    }
  });
});
