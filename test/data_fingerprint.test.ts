// Issue 16, case 7: a run keeps a fingerprint of its data (classes and counts per meta-split) and
// resume and eval refuse data that changed, instead of re-splitting it silently.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { grayPng } from './fixtures/png_writer.js';
import { runCli as cli } from './helpers/runs.js';

/** Class folders c<from>..c<to-1> of three 28x28 PNGs each. */
function addClasses(folder: string, from: number, to: number): void {
  for (let c = from; c < to; c++) {
    mkdirSync(path.join(folder, `c${String(c).padStart(2, '0')}`), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const px = Array.from({ length: 28 * 28 }, (_, j) => ((j * (c + 2) + 3 * i) % 11) / 11);
      writeFileSync(path.join(folder, `c${String(c).padStart(2, '0')}`, `${i}.png`), grayPng(28, 28, px));
    }
  }
}

describe('the data of a run is fingerprinted (issue 16, case 7)', () => {
  let dir: string;
  let folder: string;
  let run: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'metalearn-fp-'));
    folder = path.join(dir, 'images');
    run = path.join(dir, 'run');
    addClasses(folder, 0, 10);
    const r = cli([
      'train',
      '--dataset',
      'folder',
      '--folder',
      folder,
      '--way',
      '2',
      '--query',
      '1',
      '--steps',
      '2',
      '--hidden',
      '8',
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

  it('a run records the classes and counts of each meta-split in data.json', () => {
    const fp = JSON.parse(readFileSync(path.join(run, 'data.json'), 'utf8'));
    assert.equal(fp.kind, 'metalearn-data');
    assert.deepEqual(fp.exampleShape, [28, 28, 1]);
    assert.deepEqual(
      ['train', 'val', 'test'].map((s) => fp.splits[s].classes),
      [6, 2, 2],
    );
    assert.equal(fp.splits.train.examples, 18);
    assert.equal(fp.splits.test.list.length, 2);
  });

  it('resume and eval on the unchanged data still work', () => {
    const copy = path.join(dir, 'same');
    cpSync(run, copy, { recursive: true });
    const r = cli(['resume', copy, '--steps', '3']);
    assert.equal(r.status, 0, r.stderr);
    const e = cli(['eval', copy, '--episodes', '2']);
    assert.equal(e.status, 0, e.stderr);
  });

  it('after classes are added, resume and eval refuse, naming the change; test-episodes.json is kept', () => {
    const copy = path.join(dir, 'changed');
    cpSync(run, copy, { recursive: true });
    const episodes = readFileSync(path.join(copy, 'test-episodes.json'), 'utf8');
    addClasses(folder, 10, 13);
    try {
      const r = cli(['resume', copy, '--steps', '3']);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, /data\.json: the data changed since the run was trained \(dataset 'folder' /);
      assert.match(r.stderr, /train split: 6 classes \/ 18 examples then, 8 \/ 24 now: added/);
      assert.match(r.stderr, /resume would split it into other meta-train\/val\/test classes/);
      assert.equal(readFileSync(path.join(copy, 'test-episodes.json'), 'utf8'), episodes);
      const e = cli(['eval', copy, '--episodes', '2']);
      assert.equal(e.status, 1, e.stdout);
      assert.match(e.stderr, /the data changed since the run was trained/);
      assert.ok(!existsSync(path.join(copy, 'eval-2w1s.json')));
    } finally {
      for (const c of [10, 11, 12]) rmSync(path.join(folder, `c${c}`), { recursive: true, force: true });
    }
  });

  it('a removed image is named by class', () => {
    const copy = path.join(dir, 'fewer');
    cpSync(run, copy, { recursive: true });
    const fp = JSON.parse(readFileSync(path.join(run, 'data.json'), 'utf8'));
    const cls = fp.splits.train.list[0][0] as string;
    const file = path.join(folder, cls, '2.png');
    const png = readFileSync(file);
    rmSync(file);
    try {
      const r = cli(['resume', copy, '--steps', '3']);
      assert.equal(r.status, 1, r.stdout);
      assert.match(
        r.stderr,
        new RegExp(`train split: 6 classes / 18 examples then, 6 / 17 now: other example counts in ${cls}`),
      );
    } finally {
      writeFileSync(file, png);
    }
  });
});
