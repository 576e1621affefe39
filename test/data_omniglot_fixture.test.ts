// The Omniglot reader on miniature zips built here: layout, cache behaviour and error reporting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  statSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCacheDir, resolveDataDir } from '../src/data/paths.js';
import { loadOmniglot, loadOmniglotVinyals } from '../src/data/omniglot.js';
import { readExample } from '../src/data/types.js';
import { miniOmniglot, writeMiniOmniglot } from './fixtures/omniglot_fixture.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'metalearn-omni-'));
}

test('mini Omniglot: classes sorted by alphabet and character, ink = 1 after resizing', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { entries } = miniOmniglot('background', ['Zeta', 'Alpha'], 2, 3);
  writeMiniOmniglot(dir, 'background', entries);
  const ds = loadOmniglot('background', { dataDir: dir, cacheDir: join(dir, 'cache') });
  assert.equal(ds.numClasses, 4);
  assert.deepEqual(ds.alphabets, ['Alpha', 'Zeta']);
  assert.deepEqual(
    Array.from({ length: 4 }, (_, c) => ds.className(c)),
    ['Alpha/character01', 'Alpha/character02', 'Zeta/character01', 'Zeta/character02'],
  );
  assert.equal(ds.examplesOf(0), 3);
  assert.deepEqual(ds.exampleShape, [28, 28, 1]);
  const x = readExample(ds, 0, 0);
  // The bar is 12x20 black pixels out of 105x105: after inversion and area resizing its mass is kept.
  const mass = x.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(mass - (12 * 20 * 28 * 28) / (105 * 105)) < 0.5, `ink mass ${mass}`);
  assert.ok(x.every((v) => v >= 0 && v <= 1));
  assert.throws(
    () => ds.read(0, 3, new Float32Array(784)),
    /example index 3 out of range for class 'Alpha\/character01'/,
  );
});

test('mini Omniglot: the second load comes from the cache, and a changed zip is decoded again', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cacheDir = join(dir, 'cache');
  const zip = writeMiniOmniglot(dir, 'background', miniOmniglot('background', ['A'], 2, 2).entries);
  const first = loadOmniglot('background', { dataDir: dir, cacheDir });
  assert.deepEqual(readdirSync(cacheDir).sort(), ['background-28-area.json', 'background-28-area.u8']);
  let decoded = 0;
  const second = loadOmniglot('background', { dataDir: dir, cacheDir, onProgress: () => decoded++ });
  assert.equal(decoded, 0, 'cache hit must not decode');
  assert.deepEqual(second.rawPixels(), first.rawPixels());
  // Replace the zip with one character more (and a new time stamp): the cache must not be trusted.
  writeMiniOmniglot(dir, 'background', miniOmniglot('background', ['A'], 3, 2).entries);
  utimesSync(zip, new Date(), new Date(Date.now() + 5000));
  const third = loadOmniglot('background', { dataDir: dir, cacheDir });
  assert.equal(third.numClasses, 3);
  // Other sizes and resampling methods get their own cache files.
  const small = loadOmniglot('background', { dataDir: dir, cacheDir, size: 14, resize: 'bilinear' });
  assert.deepEqual(small.exampleShape, [14, 14, 1]);
  assert.ok(readdirSync(cacheDir).includes('background-14-bilinear.u8'));
});

test('mini Omniglot: a damaged cache file is rebuilt, not believed', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cacheDir = join(dir, 'cache');
  writeMiniOmniglot(dir, 'background', miniOmniglot('background', ['A'], 1, 2).entries);
  const good = loadOmniglot('background', { dataDir: dir, cacheDir }).rawPixels().slice();
  const bin = join(cacheDir, 'background-28-area.u8');
  const bytes = readFileSync(bin);
  bytes[100] ^= 0xff;
  writeFileSync(bin, bytes);
  assert.deepEqual(loadOmniglot('background', { dataDir: dir, cacheDir }).rawPixels(), good);
});

test('mini Omniglot: a corrupt PNG names the zip and the entry, and leaves no cache files', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { entries } = miniOmniglot('evaluation', ['B'], 2, 2);
  entries[3] = { name: entries[3].name, data: new TextEncoder().encode('<html>404 not found</html>') };
  const zip = writeMiniOmniglot(dir, 'evaluation', entries);
  const cacheDir = join(dir, 'cache');
  assert.throws(
    () => loadOmniglot('evaluation', { dataDir: dir, cacheDir }),
    (e: Error) =>
      e.message.includes(zip) &&
      e.message.includes(`entry '${entries[3].name}'`) &&
      e.message.includes('not a PNG file'),
  );
  let left: string[] = [];
  try {
    left = readdirSync(cacheDir);
  } catch {
    /* never created */
  }
  assert.deepEqual(left, []);
});

test('mini Omniglot: a cache write that fails leaves no partial files and the load still succeeds', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeMiniOmniglot(dir, 'background', miniOmniglot('background', ['A'], 2, 2).entries);
  const cacheDir = join(dir, 'cache');
  // A folder where the pixel file should go makes the final rename fail after the data was written.
  mkdirSync(join(cacheDir, 'background-28-area.u8'), { recursive: true });
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const ds = loadOmniglot('background', { dataDir: dir, cacheDir });
  assert.equal(ds.numClasses, 2);
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  assert.ok(
    warnings.some((w) => w.includes(`Omniglot cache not written to ${cacheDir}`)),
    JSON.stringify(warnings),
  );
  assert.deepEqual(readdirSync(cacheDir), ['background-28-area.u8']);
  assert.ok(statSync(join(cacheDir, 'background-28-area.u8')).isDirectory());
});

test('the data folder comes from the option, else METALEARN_DATA, else the per-user data folder', () => {
  const saved = { ...process.env };
  try {
    delete process.env.METALEARN_DATA;
    delete process.env.METALEARN_CACHE;
    process.env.HOME = '/home/u';
    delete process.env.XDG_DATA_HOME;
    delete process.env.XDG_CACHE_HOME;
    if (process.platform === 'linux') {
      assert.equal(resolveDataDir(), '/home/u/.local/share/metalearn');
      assert.equal(resolveCacheDir('omniglot'), '/home/u/.cache/metalearn/omniglot');
      process.env.XDG_DATA_HOME = '/xdg/data';
      process.env.XDG_CACHE_HOME = '/xdg/cache';
      assert.equal(resolveDataDir(), '/xdg/data/metalearn');
      assert.equal(resolveCacheDir('omniglot'), '/xdg/cache/metalearn/omniglot');
      // A relative XDG value is invalid (XDG base-directory spec) and ignored.
      process.env.XDG_DATA_HOME = 'relative/data';
      assert.equal(resolveDataDir(), '/home/u/.local/share/metalearn');
    }
    // Nothing resolves inside the installed package or the repository.
    assert.ok(!resolveDataDir().includes('node_modules') && !resolveDataDir().includes('shared'));
    process.env.METALEARN_CACHE = '/var/cache/ml';
    assert.equal(resolveCacheDir('omniglot'), '/var/cache/ml/omniglot');
    assert.equal(resolveCacheDir('omniglot', '/opt/c'), '/opt/c');
    process.env.METALEARN_DATA = '/srv/data';
    assert.equal(resolveDataDir(), '/srv/data');
    assert.equal(resolveDataDir('/opt/x'), '/opt/x');
    assert.throws(
      () => loadOmniglot('background'),
      /\/srv\/data\/omniglot\/images_background\.zip[\s\S]*metalearn fetch/,
    );
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test('missing data fails loudly, naming where it looked and how to point elsewhere', () => {
  assert.throws(
    () => loadOmniglot('background', { dataDir: '/nonexistent-metalearn-data' }),
    /Omniglot background zip \(images_background\.zip\) not found; looked for:\n\s+\/nonexistent-metalearn-data\/omniglot\/images_background\.zip[\s\S]*METALEARN_DATA/,
  );
  assert.throws(() => loadOmniglot('training' as 'background'), /set must be 'background' or 'evaluation'/);
  assert.throws(() => loadOmniglot('background', { size: 0 }), /option size must be an integer/);
});

test('Vinyals split over mini zips: rotations as classes, unknown characters reported', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeMiniOmniglot(dir, 'background', miniOmniglot('background', ['A'], 2, 2).entries);
  writeMiniOmniglot(dir, 'evaluation', miniOmniglot('evaluation', ['B'], 1, 2).entries);
  const splitDir = join(dir, 'omniglot', 'splits', 'vinyals');
  const lines = (chars: string[]) =>
    chars.flatMap((c) => ['000', '090', '180', '270'].map((r) => `${c}/rot${r}`)).join('\n') + '\n';
  mkdirSync(splitDir, { recursive: true });
  writeFileSync(join(splitDir, 'trainval.txt'), lines(['A/character01', 'A/character02']));
  writeFileSync(join(splitDir, 'test.txt'), lines(['B/character01']));
  writeFileSync(join(splitDir, 'train.txt'), lines(['A/character01']));
  writeFileSync(join(splitDir, 'val.txt'), lines(['Q/character09']));
  const cacheDir = join(dir, 'cache');
  const tv = loadOmniglotVinyals('trainval', { dataDir: dir, cacheDir });
  assert.equal(tv.numClasses, 8);
  assert.equal(tv.className(5), 'A/character02/rot090');
  assert.equal(tv.sourceKey(5), 'A/character02');
  assert.equal(loadOmniglotVinyals('test', { dataDir: dir, cacheDir }).numClasses, 4);
  assert.throws(
    () => loadOmniglotVinyals('val', { dataDir: dir, cacheDir }),
    /val\.txt: character 'Q\/character09' is in neither Omniglot zip/,
  );
  writeFileSync(join(splitDir, 'train.txt'), 'A/character01/rot045\n');
  assert.throws(
    () => loadOmniglotVinyals('train', { dataDir: dir, cacheDir }),
    /train\.txt:1: expected 'Alphabet\/characterNN\/rotDDD'/,
  );
});
