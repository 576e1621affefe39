import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageVersion } from '../src/cli/version.js';
import { COMMANDS } from '../src/cli/main.js';
import { CONFIG_KEYS, kebabCase } from '../src/experiment/config.js';
import { workerEntry } from '../src/train/workers.js';
import { nativeKernels } from '../src/engine/kernels/native.js';
import { runCli as cli } from './helpers/runs.js';

const root = new URL('..', import.meta.url).pathname;
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;

describe('metalearn --version', () => {
  it('prints the version of package.json, as --version and -v', () => {
    for (const flag of ['--version', '-v']) {
      const r = cli([flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
    }
  });

  it('finds package.json from source and from a compiled dist/cli module alike, and says when it cannot', () => {
    assert.equal(packageVersion(pathToFileURL(path.join(root, 'src/cli/version.ts')).href), version);
    assert.equal(packageVersion(pathToFileURL(path.join(root, 'dist/cli/version.js')).href), version);
    assert.throws(
      () => packageVersion(pathToFileURL('/version.js').href),
      /no package.json of metalearn-ts above/,
    );
  });
});

describe('one option schema for every command', () => {
  it('--flag=value works like --flag value', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'metalearn-eq-'));
    try {
      const r = cli([
        'demo',
        '--steps=5',
        '--hidden=8',
        '--val-every=0',
        '--test-episodes=2',
        `--out=${out}`,
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).steps, 5);
      assert.equal(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 5);
      // The same form on another command: eval's --episodes.
      const e = cli(['eval', out, '--episodes=3']);
      assert.equal(e.status, 0, e.stderr);
      assert.equal(JSON.parse(readFileSync(path.join(out, 'eval-5w1s.json'), 'utf8')).test.n, 3);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('every command refuses an unknown option and names the closest known one', () => {
    const cases: [string[], string, string][] = [
      [['export', 'run', 'model', '--whch', 'last'], '--whch', '--which'],
      [['export', '--whch=last', 'run', 'model'], '--whch', '--which'],
      [['predict', 'm', 's', 'q', '--no-invrt'], '--no-invrt', '--no-invert'],
      [['fetch', '--data-dri', 'x'], '--data-dri', '--data-dir'],
      [['eval', 'run', '--epsiodes', '3'], '--epsiodes', '--episodes'],
      [['resume', 'run', '--step', '3'], '--step', '--steps'],
      [['report', 'run', '--ot', 'x'], '--ot', null!],
      [['transfer', 'parkinsons', '--seed', '1'], '--seed', '--seeds'],
      [['bench', '--iter', '1'], '--iter', '--iters'],
      [['train', '--metabatch', '2'], '--metabatch', '--meta-batch'],
    ];
    for (const [args, bad, good] of cases) {
      const r = cli(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      const hint = good ? ` \\(did you mean '${good}'\\?\\)` : '';
      assert.match(r.stderr, new RegExp(`unknown option ${bad}${hint}; see 'metalearn ${args[0]} --help'`));
    }
  });

  it('a missing value and a missing positional are refused; --help exits 0', () => {
    let r = cli(['eval', 'run', '--way']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /eval: Option '--way <value>' argument missing/);
    r = cli(['export', 'run']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^Usage: metalearn export <run folder> <out folder> \[options\]/);
    r = cli(['train', 'extra']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /train: unexpected argument 'extra'/);
    r = cli(['resume', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--lr-schedule step:lr/);
  });

  it("train's help lists every config field, from the schema that validates config files", () => {
    const help = cli(['train', '--help']);
    assert.equal(help.status, 0);
    for (const k of CONFIG_KEYS) assert.match(help.stdout, new RegExp(`^  --${kebabCase(k)} `, 'm'), k);
    assert.match(help.stdout, /--learner NAME +meta-learner: protonet \| matching \| maml .*\[protonet\]/);
    assert.deepEqual(Object.keys(COMMANDS).sort(), [
      'bench',
      'compare',
      'demo',
      'eval',
      'export',
      'fetch',
      'predict',
      'report',
      'resume',
      'search',
      'sweep',
      'train',
      'transfer',
      'worker',
    ]);
  });

  it('bench times our workloads in this process and prints the table', () => {
    const r = cli([
      'bench',
      '--workloads',
      'protonet:infer',
      '--iters',
      '1',
      '--warmup',
      '0',
      '--threads',
      '1,2',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^metalearn-ts on \w+ \(.+\), /m); // the kernel path
    assert.match(r.stderr, /ours {2}protonet:infer +1 thread +median [\d.]+ ms/);
    assert.match(r.stderr, /ours {2}protonet:infer +2 threads median [\d.]+ ms/);
    for (const t of [1, 2])
      assert.match(
        r.stdout,
        new RegExp(`^\\| protonet:infer \\| ${t} \\| [\\d.]+ \\([\\d.]+-[\\d.]+\\) \\| - \\| - \\|$`, 'm'),
      );
    const bad = cli(['bench', '--threads', '0']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--threads must list integers from 1 to 256, got '0'/);
  });
});

describe('bench with two threads times MAML on two workers too', () => {
  const skip = nativeKernels() ? false : 'native addon not built';
  it('prints both rows, the workers row labelled', { skip }, () => {
    const r = cli(['bench', '--workloads', 'maml:first_order', '--maml-iters', '1', '--threads', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /ours {2}maml:first_order +2 threads median [\d.]+ ms/);
    assert.match(r.stderr, /ours {2}maml:first_order +2 workers median [\d.]+ ms/);
    assert.match(r.stdout, /^\| maml:first_order \| 2 \| [\d.]+ /m);
    assert.match(r.stdout, /^\| maml:first_order \| 2 \(workers\) \| [\d.]+ /m);
  });
});

describe('worker threads from source and compiled', () => {
  it('a compiled workers.js starts worker_main.js; from source, the tsx boot file', () => {
    assert.equal(workerEntry('file:///p/dist/train/workers.js').href, 'file:///p/dist/train/worker_main.js');
    assert.equal(workerEntry('file:///p/src/train/workers.ts').href, 'file:///p/src/train/worker_boot.mjs');
  });
});
