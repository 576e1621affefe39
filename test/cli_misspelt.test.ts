// Issue 16, case 11: export, predict and fetch refuse a misspelt option before doing anything (the
// issue's cases: `predict --no-invrt` inverted anyway, `fetch --data-dri X` downloaded to the default).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { grayPng } from './fixtures/png_writer.js';
import { runCli as cli } from './helpers/runs.js';

describe('misspelt options of export, predict and fetch are refused (issue 16, case 11)', () => {
  let dir: string;
  let run: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'metalearn-misspelt-'));
    run = path.join(dir, 'run');
    const r = cli([
      'train',
      '--steps',
      '1',
      '--hidden',
      '8',
      '--val-every',
      '0',
      '--test-episodes',
      '2',
      '--out',
      run,
    ]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('predict --no-invrt on real inputs exits 1 and prints no prediction', () => {
    const support = path.join(dir, 'support');
    const query = path.join(dir, 'query');
    for (let c = 0; c < 5; c++) {
      mkdirSync(path.join(support, `c${c}`), { recursive: true });
      writeFileSync(path.join(support, `c${c}`, 'a.png'), grayPng(28, 28, new Array(784).fill(c / 5)));
    }
    mkdirSync(query);
    writeFileSync(path.join(query, 'q.png'), grayPng(28, 28, new Array(784).fill(0.2)));
    assert.equal(cli(['predict', run, support, query]).status, 0, 'the same inputs predict without the typo');
    const r = cli(['predict', run, support, query, '--no-invrt']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown option --no-invrt \(did you mean '--no-invert'\?\)/);
    assert.equal(r.stdout, '');
  });

  it('fetch --data-dri X exits 1 and downloads nothing, neither to X nor to the default folder', () => {
    const x = path.join(dir, 'X');
    const dflt = path.join(dir, 'default-data');
    const r = cli(['fetch', '--data-dri', x], { METALEARN_DATA: dflt });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown option --data-dri \(did you mean '--data-dir'\?\)/);
    assert.ok(!existsSync(x) && !existsSync(dflt));
  });

  it('export --whihc last exits 1 and writes no model folder', () => {
    const out = path.join(dir, 'model');
    const r = cli(['export', run, out, '--whihc', 'last']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown option --whihc \(did you mean '--which'\?\)/);
    assert.ok(!existsSync(out));
  });
});
