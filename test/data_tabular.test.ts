import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvTable, parseCsv } from '../src/data/csv.js';
import { HashingTextEmbedder, hashString } from '../src/data/text.js';
import { type TabularTask, Standardiser } from '../src/data/tabular.js';
import {
  PARKINSONS_FEATURES,
  loadParkinsons,
  loadYoutubeSpam,
  tasksFromTable,
} from '../src/data/tabular_files.js';

test('csv: quoted fields with delimiters, escaped quotes and newlines; CRLF; BOM; blank lines', () => {
  const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n\r\n2,"line1\nline2",\n3,,"" \n';
  assert.deepEqual(parseCsv(text), [
    ['a', 'b', 'c'],
    ['1', 'x, y', 'say "hi"'],
    ['2', 'line1\nline2', ''],
    ['3', '', ' '],
  ]);
  assert.deepEqual(parseCsv('a;b\n"1;2";3', { delimiter: ';' }), [
    ['a', 'b'],
    ['1;2', '3'],
  ]);
  assert.deepEqual(parseCsv('x\n"last"'), [['x'], ['last']]);
  // A stray quote inside an unquoted field is kept, not treated as an error.
  assert.deepEqual(parseCsv('a,b"c\n'), [['a', 'b"c']]);
});

test('csv: errors name the file and line', () => {
  assert.throws(
    () => parseCsv('a,b\n1,"open\n2,3\n', { file: 'f.csv' }),
    /f\.csv:2: unterminated quoted field/,
  );
  assert.throws(
    () => new CsvTable('t.csv', 'a,b\n1,2\n3\n'),
    /t\.csv:3: row has 1 fields, but the header has 2/,
  );
  const t = new CsvTable('t.csv', 'id,val\n1,2\n2,oops\n');
  assert.throws(
    () => t.columnIndex('label', 'label'),
    /t\.csv: missing label column 'label'; the header has: id, val/,
  );
  assert.throws(() => t.numericColumn('val'), /t\.csv:3: column 'val' should be a number, got 'oops'/);
  assert.throws(() => CsvTable.read('/nonexistent/x.csv'), /\/nonexistent\/x\.csv: cannot read CSV file/);
});

test('tasksFromTable groups rows by the task column, numerically ordered', () => {
  const t = new CsvTable('m.csv', 'task,f1,f2,y,meta\n10,1,2,0.5,7\n2,3,4,1.5,8\n10,5,6,2.5,7\n');
  const tasks = tasksFromTable(t, {
    taskColumn: 'task',
    featureColumns: ['f1', 'f2'],
    targetColumns: ['y'],
    metadataColumns: ['meta'],
  });
  assert.deepEqual(
    tasks.map((x) => x.id),
    ['2', '10'],
  );
  assert.deepEqual(Array.from(tasks[1].x), [1, 2, 5, 6]);
  assert.deepEqual(Array.from(tasks[1].y), [0.5, 2.5]);
  assert.deepEqual(Array.from(tasks[0].metadata!), [8]);
  assert.throws(
    () => tasksFromTable(t, { taskColumn: 'subject', featureColumns: ['f1'], targetColumns: ['y'] }),
    /m\.csv: missing task column 'subject'/,
  );
});

test('text embedding: deterministic, unit length, similar texts closer than different ones', () => {
  const e = new HashingTextEmbedder({ dim: 128 });
  const a = e.embed('Check out my channel, subscribe please!');
  assert.deepEqual(a, e.embed('Check out my channel, subscribe please!'));
  assert.ok(Math.abs(a.reduce((s, v) => s + v * v, 0) - 1) < 1e-5);
  const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
  const b = e.embed('please subscribe to my channel and check it out');
  const c = e.embed('this song reminds me of summer 2012');
  assert.ok(dot(a, b) > dot(a, c) + 0.2, `${dot(a, b)} vs ${dot(a, c)}`);
  assert.equal(hashString('abc'), hashString('abc'));
  assert.notEqual(hashString('abc', 1), hashString('abc', 2));
  assert.deepEqual(e.embed(''), new Float32Array(128));
});

test('YouTube spam: 5 tasks, 1,956 comments (350, 350, 438, 448, 370), labels 0/1', () => {
  const set = loadYoutubeSpam();
  assert.equal(set.kind, 'classification');
  assert.deepEqual(
    set.tasks.map((t) => t.id),
    ['Psy', 'KatyPerry', 'LMFAO', 'Eminem', 'Shakira'],
  );
  assert.deepEqual(
    set.tasks.map((t) => t.n),
    [350, 350, 438, 448, 370],
  );
  assert.equal(
    set.tasks.reduce((s, t) => s + t.n, 0),
    1956,
  );
  for (const t of set.tasks) {
    assert.ok(t.y.every((v) => v === 0 || v === 1));
    const spam = t.y.reduce((s, v) => s + v, 0);
    assert.ok(spam > 0.3 * t.n && spam < 0.7 * t.n, `${t.id}: ${spam} spam of ${t.n}`);
    assert.equal(t.x.length, t.n * 256);
  }
});

test('YouTube spam: a CSV without its label column fails naming the file and column', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-yt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'youtube-spam'));
  writeFileSync(
    join(dir, 'youtube-spam', 'Youtube09-Test.csv'),
    'COMMENT_ID,AUTHOR,DATE,CONTENT,LABEL\n1,a,d,"hi, there",1\n',
  );
  assert.throws(() => loadYoutubeSpam({ dataDir: dir }), /Youtube09-Test\.csv: missing label column 'CLASS'/);
  writeFileSync(
    join(dir, 'youtube-spam', 'Youtube09-Test.csv'),
    'COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\n1,a,d,"hi",spam\n',
  );
  assert.throws(
    () => loadYoutubeSpam({ dataDir: dir }),
    /Youtube09-Test\.csv:2: column 'CLASS' should be 0 or 1, got 'spam'/,
  );
  rmSync(join(dir, 'youtube-spam', 'Youtube09-Test.csv'));
  assert.throws(() => loadYoutubeSpam({ dataDir: dir }), /no \.csv files/);
});

test('Parkinsons: 42 patients, 5,875 rows, 16 features, 2 targets; standardised on training rows only', () => {
  const { train, test: held, standardiser } = loadParkinsons();
  const all = [...train.tasks, ...held.tasks];
  assert.equal(all.length, 42);
  assert.equal(
    all.reduce((s, t) => s + t.n, 0),
    5875,
  );
  assert.ok(all.every((t) => t.n >= 101 && t.n <= 168));
  assert.equal(PARKINSONS_FEATURES.length, 16);
  assert.deepEqual(train.targetNames, ['motor_UPDRS', 'total_UPDRS']);
  assert.equal(held.tasks.length, 10);
  assert.ok(all.every((t) => t.metadata!.length === 2));
  // Training rows have mean 0 and deviation 1 per feature; test rows are scaled with the same numbers.
  const d = 16;
  const stats = (tasks: readonly TabularTask[]) => {
    const m = new Float64Array(d);
    const s = new Float64Array(d);
    let rows = 0;
    for (const t of tasks) {
      rows += t.n;
      for (let i = 0; i < t.n * d; i++) {
        m[i % d] += t.x[i];
        s[i % d] += t.x[i] ** 2;
      }
    }
    return Array.from(m, (v, j) => [v / rows, Math.sqrt(s[j] / rows - (v / rows) ** 2)]);
  };
  for (const [mean, sd] of stats(train.tasks)) {
    assert.ok(Math.abs(mean) < 1e-4, `train mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 1e-3, `train sd ${sd}`);
  }
  const testMeans = stats(held.tasks).map(([m]) => Math.abs(m));
  assert.ok(Math.max(...testMeans) > 0.01, 'test rows must not have been standardised on themselves');
  // Refitting on the (standardised) test rows gives different statistics than the stored ones.
  assert.equal(standardiser.mean.length, 16);
  const refit = Standardiser.fit(held.tasks, 16);
  assert.ok(refit.mean.some((v) => Math.abs(v) > 0.01));
});

test('Parkinsons: explicit test subjects, and a missing task column named', (t) => {
  const { test: held } = loadParkinsons({ testSubjects: [1, 2, 3] });
  assert.deepEqual(
    held.tasks.map((x) => x.id),
    ['1', '2', '3'],
  );
  assert.throws(() => loadParkinsons({ testSubjects: [99] }), /test subject 99 is not in column 'subject#'/);
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-pk-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'parkinsons'));
  writeFileSync(join(dir, 'parkinsons', 'parkinsons_updrs.data'), 'patient,age\n1,60\n');
  assert.throws(
    () => loadParkinsons({ dataDir: dir }),
    /parkinsons_updrs\.data: missing task column 'subject#'/,
  );
});
