// --backbone resnet12: a 2-step ProtoNet run through the CLI on a tiny generated JPEG folder at 16x16
// (ResNet-12's smallest input), and the checks that refuse it where it does not apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics, runCli } from './helpers/runs.js';
import { writeJpegFolder } from './fixtures/image_fixtures.js';
import { resolveConfig } from '../src/experiment/config.js';
import { makeLearner } from '../src/experiment/learners.js';
import { Rng } from '../src/engine/rng.js';
import { disposeParams } from '../src/nn/params.js';

test('CLI: --backbone resnet12 trains ProtoNet on a JPEG folder; its saved params are ResNet-12 ones', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-backbone-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const folder = path.join(dir, 'photos');
  // 10 classes x 2 photos: the 60/20/20% split gives 6 / 2 / 2 classes.
  writeJpegFolder(
    folder,
    Array.from({ length: 10 }, (_, i) => `c${i}`),
    2,
    84,
  );
  const out = path.join(dir, 'run');
  const base = ['train', '--dataset', 'folder', '--folder', folder, '--color', 'rgb', '--image-size', '16'];
  const small = ['--way', '2', '--shot', '1', '--query', '1', '--val-every', '0', '--test-episodes', '2'];
  const r = runCli([
    ...base,
    ...small,
    '--backbone',
    'resnet12',
    '--hidden',
    '4',
    '--steps',
    '2',
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /meta-test accuracy \(2-way 1-shot.*\): [\d.]+% ± [\d.]+% \(95% CI, 2 episodes\)/);
  const m = metrics(out);
  assert.equal(m.length, 2);
  assert.ok(m.every((x) => Number.isFinite(x.loss)));
  assert.equal(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).backbone, 'resnet12');
  // The saved params are ResNet-12's: four blocks of three 3x3 convolutions and a 1x1 shortcut.
  const model = readFileSync(path.join(out, 'last', 'model.json'), 'utf8');
  for (const p of ['block0.conv1.w', 'block3.conv3.w', 'block3.short.w']) assert.ok(model.includes(p), p);
  // --hidden 4: widths 4, 10, 20, 40.
  const shapes = new Map<string, number[]>(
    (
      JSON.parse(model) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] }
    ).weightsManifest.flatMap((m) => m.weights.map((w) => [w.name, w.shape] as [string, number[]])),
  );
  assert.deepEqual(shapes.get('embed.block1.conv1.w'), [3, 3, 4, 10]);
  assert.deepEqual(shapes.get('embed.block3.conv3.w'), [3, 3, 40, 40]);
  assert.ok(!model.includes('block0.conv.w'), 'no Conv4 params');
});

test('backbone: refused for learners with their own encoder, for sinusoid, unknown names and small images', () => {
  assert.throws(
    () => resolveConfig({}, '(defaults)', { learner: 'snail', backbone: 'resnet12' }),
    /--backbone: learner 'snail' has its own encoder, not a backbone; field 'backbone' applies to protonet, matching, maml/,
  );
  assert.throws(
    () => resolveConfig({ dataset: 'sinusoid', learner: 'maml', backbone: 'resnet12' }, 'run.json', {}),
    /run\.json: field 'backbone' is for image datasets/,
  );
  assert.throws(
    () => resolveConfig({}, '(defaults)', { backbone: 'resnet18' }),
    /--backbone: field 'backbone' must be one of conv4, resnet12/,
  );
  const cfg = resolveConfig({}, '(defaults)', { backbone: 'resnet12', learner: 'maml' });
  assert.throws(() => makeLearner(cfg, [8, 8, 3]), /backbone 'resnet12': images of 8x8 are too small/);
  assert.throws(
    () => makeLearner({ ...cfg, learner: 'cnp' }, [16, 16, 3]),
    /learner 'cnp' has its own encoder; field 'backbone' applies to/,
  );
  // The MAML family's classifier: ResNet-12 and a dense head on its 640 features at 16x16.
  const params = makeLearner(cfg, [16, 16, 3]).init(new Rng(0));
  try {
    const names = Object.keys(params);
    assert.ok(
      names.some((k) => k.endsWith('backbone.block3.short.w')),
      names.join(' '),
    );
    assert.ok(!names.some((k) => k.includes('block0.conv.w')), 'no Conv4 params');
    const head = Object.entries(params).find(([k]) => k.endsWith('head.w'));
    assert.deepEqual(head?.[1].shape, [640, 5]);
  } finally {
    disposeParams(params);
  }
});
