// A 20-step ProtoNet run through the CLI on a generated folder of 84x84 colour JPEGs, with augmentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics, runCli } from './helpers/runs.js';
import { writeJpegFolder } from './fixtures/image_fixtures.js';

test('CLI: 20 ProtoNet steps on an 84x84 JPEG folder (colour, Conv4, crop+flip+jitter augmentation)', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-jpegcli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const folder = path.join(dir, 'photos');
  // 15 classes x 3 photos: the 60/20/20% split gives 9 / 3 / 3 classes.
  writeJpegFolder(
    folder,
    Array.from({ length: 15 }, (_, i) => `class${String(i).padStart(2, '0')}`),
    3,
    84,
  );
  const out = path.join(dir, 'run');
  const r = runCli([
    'train',
    '--dataset',
    'folder',
    '--folder',
    folder,
    '--color',
    'rgb',
    '--image-size',
    '84',
    '--augment',
    'crop:8,flip,jitter:0.4',
    '--learner',
    'protonet',
    '--hidden',
    '8',
    '--way',
    '3',
    '--shot',
    '1',
    '--query',
    '2',
    '--steps',
    '20',
    '--val-every',
    '10',
    '--val-episodes',
    '2',
    '--test-episodes',
    '4',
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /meta-test accuracy \(3-way 1-shot.*\): [\d.]+% ± [\d.]+% \(95% CI, 4 episodes\)/);
  const m = metrics(out);
  assert.equal(m.length, 20);
  assert.ok(m.every((x) => Number.isFinite(x.loss)));
  const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual([cfg.color, cfg.imageSize, cfg.augment], ['rgb', 84, 'crop:8,flip,jitter:0.4']);
  const bad = runCli([
    'train',
    '--dataset',
    'folder',
    '--folder',
    folder,
    '--augment',
    'crop:8,spin',
    '--out',
    out,
  ]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /field 'augment': cannot read step "spin"/);
});
