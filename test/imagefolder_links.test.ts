// Issue 16, case 6: symbolic links in an image folder are followed (a linked class folder or PNG
// is a class or image like any other), with loops and broken links refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageFolder } from '../src/data/imagefolder.js';
import { readExample } from '../src/data/types.js';
import { grayPng } from './fixtures/png_writer.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-links-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('image folder: linked class folders and linked PNGs are loaded like real ones', (t) => {
  const dir = tmp(t);
  const root = join(dir, 'data');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(join(root, 'real'), { recursive: true });
  mkdirSync(join(elsewhere, 'kept'), { recursive: true });
  writeFileSync(join(root, 'real', 'a.png'), grayPng(4, 4, new Array(16).fill(1)));
  writeFileSync(join(elsewhere, 'kept', 'b.png'), grayPng(4, 4, new Array(16).fill(0)));
  writeFileSync(join(elsewhere, 'single.png'), grayPng(4, 4, new Array(16).fill(0.5)));
  symlinkSync(join(elsewhere, 'kept'), join(root, 'linked')); // a class folder
  symlinkSync(join(elsewhere, 'single.png'), join(root, 'real', 'z.png')); // one image
  const ds = loadImageFolder(root);
  assert.equal(ds.numClasses, 2);
  assert.deepEqual([ds.className(0), ds.className(1)], ['linked', 'real']);
  assert.deepEqual([ds.examplesOf(0), ds.examplesOf(1)], [1, 2]);
  assert.ok(readExample(ds, 0, 0).every((v) => Math.abs(v) < 1e-6));
  assert.ok(readExample(ds, 1, 1).every((v) => Math.abs(v - 128 / 255) < 1e-6));
  assert.equal(ds.fileOf(1, 1), join(root, 'real', 'z.png'));
});

test('image folder: a link loop and a broken link are refused, naming the link', (t) => {
  const root = tmp(t);
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'x.png'), grayPng(2, 2, [0, 0, 0, 0]));
  symlinkSync(join(root, 'a'), join(root, 'a', 'b', 'up'));
  assert.throws(
    () => loadImageFolder(root),
    (e: Error) =>
      e.message.startsWith(join(root, 'a', 'b', 'up')) &&
      /symbolic link loop: it leads back to .*, a folder above it/.test(e.message),
  );
  rmSync(join(root, 'a', 'b', 'up'));
  symlinkSync(join(root, 'nowhere.png'), join(root, 'a', 'b', 'y.png'));
  assert.throws(
    () => loadImageFolder(root),
    (e: Error) =>
      e.message.startsWith(join(root, 'a', 'b', 'y.png')) && /broken symbolic link/.test(e.message),
  );
});

test('image folder: one folder reached twice through links is refused (its images would count twice)', (t) => {
  const root = tmp(t);
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'a', 'x.png'), grayPng(2, 2, [0, 0, 0, 0]));
  symlinkSync(join(root, 'a'), join(root, 'b'));
  assert.throws(
    () => loadImageFolder(root),
    /b: this folder is also reached as .*a \(through symbolic links\)/,
  );
});
