// Issue 16, case 9: `report` tolerates a last line of metrics.jsonl cut short by a kill (as resume
// does) and names the file and line of any other bad line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeRunReport } from '../src/report/run_report.js';

function runDir(t: { after: (fn: () => void) => void }, metrics: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ learner: 'protonet', dataset: 'synthetic', out: dir }),
  );
  writeFileSync(join(dir, 'metrics.jsonl'), metrics);
  return dir;
}

const line = (step: number) => JSON.stringify({ step, loss: 1 / step, seconds: step });

test('report: a truncated last line of metrics.jsonl is skipped, as resume skips it', (t) => {
  const whole = [1, 2, 3].map(line).join('\n') + '\n';
  const dir = runDir(t, whole + line(4).slice(0, 9));
  const r = writeRunReport(dir);
  assert.ok(existsSync(r.html));
  assert.equal(r.skipped, `${join(dir, 'metrics.jsonl')}:4 (cut short)`);
});

test('metalearn report on a killed run: exit 0, with a note naming the line left out', (t) => {
  const dir = runDir(t, [1, 2].map(line).join('\n') + '\n' + line(3).slice(0, 5));
  const bin = new URL('../bin/metalearn.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [bin, 'report', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`note: left out ${join(dir, 'metrics.jsonl')}:3 (cut short)`), r.stderr);
  assert.ok(r.stdout.includes(join(dir, 'report.html')));
});

test('report: any other bad line is named by file and line', (t) => {
  const file = (dir: string) => join(dir, 'metrics.jsonl');
  let dir = runDir(t, [line(1), '{"step": 2, "loss"', line(3)].join('\n') + '\n');
  assert.throws(
    () => writeRunReport(dir),
    (e: Error) => e.message.startsWith(`${file(dir)}:2: not a JSON line`),
  );
  dir = runDir(t, [line(1), JSON.stringify({ step: 2, loss: 'x', seconds: 1 })].join('\n') + '\n');
  assert.throws(
    () => writeRunReport(dir),
    (e: Error) => e.message === `${file(dir)}:2: field 'loss' must be a number, got "x"`,
  );
  // A complete last line that is not JSON was not cut by a kill: named too.
  dir = runDir(t, [line(1), 'garbage'].join('\n') + '\n');
  assert.throws(
    () => writeRunReport(dir),
    (e: Error) => e.message.startsWith(`${file(dir)}:2: not a JSON line`),
  );
});
