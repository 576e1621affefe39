import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (file: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file)], {
    cwd: root,
    encoding: 'utf8',
  });

describe('the README examples run as written', () => {
  it('second_order.ts prints the second derivative of tanh at 0.5', () => {
    const r = run('second_order.ts');
    assert.equal(r.status, 0, r.stderr);
    const v = Number(/\[(-?[\d.]+)\]/.exec(r.stdout)?.[1]);
    const t = Math.tanh(0.5);
    assert.ok(Math.abs(v - -2 * t * (1 - t * t)) < 1e-5, r.stdout);
  });

  it('quickstart.ts meta-trains and meta-tests on unseen characters well above chance', () => {
    const r = run('quickstart.ts');
    assert.equal(r.status, 0, r.stderr);
    const mean = Number(/mean: ([\d.]+)/.exec(r.stdout)?.[1]);
    assert.ok(mean > 0.5, r.stdout);
  });

  it('pretrained.ts labels unseen synthetic characters with the shipped Omniglot model', () => {
    const r = run('pretrained.ts');
    assert.equal(r.status, 0, r.stderr);
    const mean = Number(/mean: ([\d.]+)/.exec(r.stdout)?.[1]);
    // 5-way 1-shot; the Omniglot models score above 99% on these glyphs (docs/browser.md).
    assert.ok(mean > 0.9, r.stdout);
    assert.match(r.stdout, /^predicted( \d){25}$/m);
  });
});
