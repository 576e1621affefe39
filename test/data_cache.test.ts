import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/data/cache.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'metalearn-cache-'));
}

test('writeFileAtomic writes whole files, from bytes, text or a producer', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileAtomic(join(dir, 'a.bin'), Uint8Array.from([1, 2, 3]));
  writeFileAtomic(join(dir, 'sub', 'b.txt'), 'hello');
  writeFileAtomic(join(dir, 'c.bin'), (write) => {
    write(Uint8Array.from([9]));
    write('xy');
  });
  assert.deepEqual([...readFileSync(join(dir, 'a.bin'))], [1, 2, 3]);
  assert.equal(readFileSync(join(dir, 'sub', 'b.txt'), 'utf8'), 'hello');
  assert.deepEqual([...readFileSync(join(dir, 'c.bin'))], [9, 120, 121]);
  assert.deepEqual(readdirSync(dir).sort(), ['a.bin', 'c.bin', 'sub']);
});

test('a writer that fails half-way leaves neither the file nor a temporary behind', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'pixels.u8');
  assert.throws(
    () =>
      writeFileAtomic(path, (write) => {
        write(new Uint8Array(1 << 20)); // a megabyte reaches the disk first
        throw new Error('disk full (simulated)');
      }),
    /disk full \(simulated\)/,
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('a failed write keeps the previous complete file untouched', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'index.json');
  writeFileAtomic(path, '{"v":1}');
  assert.throws(() =>
    writeFileAtomic(path, (write) => {
      write('{"v":2, "half');
      throw new Error('killed');
    }),
  );
  assert.equal(readFileSync(path, 'utf8'), '{"v":1}');
  assert.deepEqual(readdirSync(dir), ['index.json']);
});

test('a failing rename (target is a folder) removes the temporary file', (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'taken'));
  assert.throws(() => writeFileAtomic(join(dir, 'taken'), 'data'));
  assert.deepEqual(readdirSync(dir), ['taken']);
});
