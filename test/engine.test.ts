import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Rng } from '../src/engine/rng.js';

const script = `
import { initEngine } from './src/engine/backend.ts';
const b = await initEngine();
console.log('BACKEND=' + b);
`;

function runWith(env: Record<string, string | undefined>) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('engine', () => {
  it('picks wasm in Node when tfjs-node is not installed', () => {
    const r = runWith({ METALEARN_BACKEND: '' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /BACKEND=wasm/);
  });

  it('METALEARN_BACKEND forces a backend', () => {
    const r = runWith({ METALEARN_BACKEND: 'cpu' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /BACKEND=cpu/);
  });

  it('an unknown backend name is a clear error', () => {
    const r = runWith({ METALEARN_BACKEND: 'cuda' });
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /environment variable METALEARN_BACKEND: unknown backend 'cuda'; expected one of tensorflow, wasm, cpu/,
    );
    // The wasm glue's process handlers would print its whole minified source with the error.
    assert.ok(r.stderr.length < 5000, `stderr is ${r.stderr.length} characters long`);
  });

  it('a forced backend that cannot start is an error, not a silent fallback', () => {
    const r = runWith({ METALEARN_BACKEND: 'tensorflow' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /backend 'tensorflow' was requested but could not be initialised/);
  });
});

describe('Rng', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(
      sa,
      Array.from({ length: 5 }, () => b.next()),
    );
    assert.notDeepEqual(
      sa,
      Array.from({ length: 5 }, () => c.next()),
    );
  });

  it('draws uniforms, normals and samples with the right statistics', () => {
    const r = new Rng(7);
    const n = 20000;
    const u = r.uniformArray(n);
    const z = r.normalArray(n);
    const mean = (xs: Float32Array) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const m = mean(z);
    const v = z.reduce((s, x) => s + (x - m) ** 2, 0) / n;
    assert.ok(Math.abs(mean(u) - 0.5) < 0.01);
    assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.04, `normal mean ${m} var ${v}`);
    const s = r.sample(10, 10).sort((x, y) => x - y);
    assert.deepEqual(s, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.throws(() => r.sample(3, 4), /cannot draw 4 distinct items from 3/);
    assert.throws(() => new Rng(NaN), /seed must be a finite number/);
  });
});
