// fetchOmniglot with an injected fetch: no network in tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchOmniglot } from '../src/data/download.js';
import { loadOmniglot } from '../src/data/omniglot.js';
import { writeZip } from './fixtures/zip_writer.js';
import { miniOmniglot } from './fixtures/omniglot_fixture.js';

function fakeFetch(
  files: Record<string, Uint8Array>,
  opts: { lie?: boolean; status?: number } = {},
): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    const body = Object.entries(files).find(([k]) => url.endsWith(k))?.[1];
    if (body === undefined || opts.status)
      return new Response('nope', { status: opts.status ?? 404, statusText: 'Not Found' });
    const headers = { 'content-length': String(opts.lie ? body.length + 1000 : body.length) };
    return new Response(new Uint8Array(body), { status: 200, headers });
  }) as typeof fetch;
}

const split = new TextEncoder().encode('A/character01/rot000\nA/character01/rot090\n');

test('fetchOmniglot: verified downloads land where loadOmniglot looks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-dl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bg = writeZip(miniOmniglot('background', ['A'], 1, 2).entries);
  const ev = writeZip(miniOmniglot('evaluation', ['B'], 2, 2).entries);
  const files = {
    'images_background.zip': bg,
    'images_evaluation.zip': ev,
    'train.txt': split,
    'val.txt': split,
    'trainval.txt': split,
    'test.txt': split,
  };
  const sha = createHash('sha256').update(bg).digest('hex');
  const root = await fetchOmniglot(dir, {
    fetch: fakeFetch(files),
    pngCounts: { background: 2, evaluation: 4 },
    md5: false,
    sha256: { background: sha },
  });
  assert.equal(root, dir);
  assert.ok(existsSync(join(dir, 'omniglot', 'splits', 'vinyals', 'test.txt')));
  const ds = loadOmniglot('evaluation', { dataDir: dir, cacheDir: join(dir, 'cache') });
  assert.equal(ds.numClasses, 2);
  // Present files are not fetched again.
  await fetchOmniglot(dir, { fetch: fakeFetch({}), vinyals: false });
});

test('fetchOmniglot: truncated, wrong or failed downloads leave no file behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-dl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bg = writeZip(miniOmniglot('background', ['A'], 1, 2).entries);
  const files = { 'images_background.zip': bg };
  const listing = () => (existsSync(join(dir, 'omniglot')) ? readdirSync(join(dir, 'omniglot')) : []);
  await assert.rejects(
    fetchOmniglot(dir, { fetch: fakeFetch(files, { lie: true }) }),
    /incomplete download: got \d+ bytes, Content-Length says/,
  );
  assert.deepEqual(listing(), []);
  // By default each zip must have the public release's MD5 (the fixture has not).
  await assert.rejects(
    fetchOmniglot(dir, { fetch: fakeFetch(files) }),
    /images_background\.zip: MD5 is [0-9a-f]{32}, expected 68d2efa1b9178cc56df9314c21c6e718/,
  );
  assert.deepEqual(listing(), []);
  await assert.rejects(
    fetchOmniglot(dir, { fetch: fakeFetch(files), md5: false }),
    /zip holds 2 PNG images, expected 19280/,
  );
  assert.deepEqual(listing(), []);
  await assert.rejects(
    fetchOmniglot(dir, {
      fetch: fakeFetch(files),
      pngCounts: { background: 2 },
      md5: false,
      sha256: { background: '00' },
    }),
    /sha256 is [0-9a-f]{64}, expected 00/,
  );
  assert.deepEqual(listing(), []);
  await assert.rejects(
    fetchOmniglot(dir, { fetch: fakeFetch(files, { status: 404 }) }),
    /download failed: HTTP 404/,
  );
  await assert.rejects(
    fetchOmniglot(dir, {
      fetch: fakeFetch({ 'images_background.zip': new TextEncoder().encode('<html>') }),
      md5: false,
    }),
    /downloaded file is not a valid zip/,
  );
  assert.deepEqual(listing(), []);
});

test('loadOmniglot({ download: true }) fetches what is missing into the data folder, then reads it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-dl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = {
    'images_background.zip': writeZip(miniOmniglot('background', ['A'], 1, 2).entries),
    'images_evaluation.zip': writeZip(miniOmniglot('evaluation', ['B'], 2, 2).entries),
    'train.txt': split,
    'val.txt': split,
    'trainval.txt': split,
    'test.txt': split,
  };
  let calls = 0;
  const counting: typeof fetch = (async (input: string | URL | Request) => {
    calls++;
    return fakeFetch(files)(input);
  }) as typeof fetch;
  const fetchOptions = { fetch: counting, md5: false as const, pngCounts: { background: 2, evaluation: 4 } };
  const cacheDir = join(dir, 'cache');
  const ds = await loadOmniglot('evaluation', { dataDir: dir, cacheDir, download: true, fetchOptions });
  assert.equal(ds.numClasses, 2);
  assert.equal(calls, 6); // two zips and four split files
  assert.ok(existsSync(join(dir, 'omniglot', 'images_background.zip')));
  // Everything present: no request at all, and the same images.
  const again = await loadOmniglot('evaluation', { dataDir: dir, cacheDir, download: true, fetchOptions });
  assert.equal(calls, 6);
  assert.deepEqual(again.rawPixels(), ds.rawPixels());
  // Without download, a missing folder is an error that says how to fetch.
  assert.throws(() => loadOmniglot('background', { dataDir: join(dir, 'none') }), /metalearn fetch/);
});
