/**
 * A run folder's layout and its per-step metric log (Node: files).
 *   config.json        the resolved config (rewritten on resume: --steps, --lr-schedule, --workers)
 *   metrics.jsonl      one line per step: step, loss, seconds, and val when validated
 *   checkpoint/        the latest state to resume from (checkpoint.old/ while it is replaced)
 *   best/, last/       params at the best validation and at the end
 *   val-episodes.json, test-episodes.json   the fixed episode sets (classification)
 *   results.json, report.html, curve-*.svg  the result and its report
 *   .lock              while a process writes the run: its pid and host (acquireRunLock)
 * config.json, metrics.jsonl (when rewritten), checkpoint/, best/ and last/ are replaced atomically.
 */
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { fileError } from '../nn/io_files.js';
import { writeFileAtomic } from '../data/cache.js';
import { formatCI } from '../engine/stats.js';
import type { StepInfo } from '../train/loop.js';
import { Progress } from './progress.js';
import type { RunConfig } from './config.js';

export interface RunFolder {
  root: string;
  config: string;
  metrics: string;
  checkpoint: string;
  best: string;
  last: string;
  results: string;
  lock: string;
}

export function runFolder(out: string): RunFolder {
  const root = path.resolve(out);
  return {
    root,
    config: path.join(root, 'config.json'),
    metrics: path.join(root, 'metrics.jsonl'),
    checkpoint: path.join(root, 'checkpoint'),
    best: path.join(root, 'best'),
    last: path.join(root, 'last'),
    results: path.join(root, 'results.json'),
    lock: path.join(root, '.lock'),
  };
}

/** A checkpoint, or the previous one kept while a new one is written. */
export const hasCheckpoint = (f: RunFolder): boolean =>
  existsSync(f.checkpoint) || existsSync(`${f.checkpoint}.old`);

/**
 * A validation or test metric as printed: accuracy in percent, MSE as it is; a `difference` of
 * accuracies (paired comparisons) in percentage points.
 */
export function formatMetric(
  metric: string,
  s: { mean: number; ci95: number; n: number },
  difference = false,
): string {
  const acc = metric === 'accuracy';
  return formatCI(s, acc ? 100 : 1, acc ? 2 : 4, acc ? (difference ? ' points' : '%') : '');
}

export const metricName = (metric: string): string => (metric === 'accuracy' ? 'accuracy' : 'MSE');

/** metrics.jsonl lines for every step, and progress (a bar on a terminal, plain lines elsewhere). */
export function stepLogger(
  cfg: RunConfig,
  metricsPath: string,
  unit: string,
  log: (s: string) => void,
): (s: StepInfo) => void {
  const progress = new Progress(cfg.steps, cfg.logEvery, unit, cfg.metaBatch, log);
  return (s) => {
    const rec: Record<string, unknown> = { step: s.step, loss: s.loss, seconds: s.seconds };
    if (s.val) rec.val = { mean: s.val.summary.mean, ci95: s.val.summary.ci95, n: s.val.summary.n };
    appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
    const rate = (s.step * cfg.metaBatch) / Math.max(1e-9, s.seconds);
    progress.update(s.step, rate, `loss ${s.loss.toFixed(4)}`);
    if (s.val) {
      progress.note(
        `step ${s.step}/${cfg.steps}  validation ${metricName(s.val.metric)} ${formatMetric(s.val.metric, s.val.summary)}`,
      );
    }
  };
}

/** A run file replaced atomically (data/cache.ts writeFileAtomic), with errors that name it. */
export function writeRunFile(file: string, data: string): void {
  try {
    writeFileAtomic(file, data);
  } catch (e) {
    throw fileError(file, 'write the file', e);
  }
}

/** Keep the metric lines of steps already in the checkpoint; drop any written after it (atomically). */
export function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return writeRunFile(file, '');
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      if (!l.trim()) return false;
      try {
        return (JSON.parse(l) as { step: number }).step <= step;
      } catch {
        return false; // a line cut short by a kill
      }
    });
  writeRunFile(file, kept.map((l) => l + '\n').join(''));
}

/**
 * Create the run folder (and its parents), with the real cause when that fails: Node's recursive
 * mkdir reports a read-only file system as ENOENT, so each missing level is created in turn.
 */
export function makeRunDir(root: string): void {
  const missing: string[] = [];
  for (let d = root; !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw fileError(root, `create the run folder at ${d}`, e);
    }
  }
  if (!statSync(root).isDirectory()) throw new Error(`${root}: not a folder; choose another --out`);
}

interface LockInfo {
  pid: number;
  host: string;
  started?: string;
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return typeof v?.pid === 'number' && typeof v?.host === 'string' ? v : null;
  } catch {
    return null; // gone, or cut short while it was written
  }
}

/** Whether process `pid` runs on this host (EPERM: it runs, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Make this process the run folder's only writer: `<root>/.lock`, created exclusively (O_EXCL), holds
 * our pid and host. A lock whose process is gone (same host) is stale and taken over, with a note; any
 * other is refused with who holds it. Returns the release function.
 */
export function acquireRunLock(f: RunFolder, log: (s: string) => void): () => void {
  const info = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() });
  // Written whole first, then linked in: link() fails if the lock exists (an exclusive create), and a
  // reader never sees a lock without its holder.
  const mine = `${f.lock}-${process.pid}`;
  try {
    writeFileSync(mine, info);
  } catch (e) {
    rmSync(mine, { force: true });
    throw fileError(f.lock, 'create the run lock', e);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, f.lock);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(f.lock, 'create the run lock', e);
      }
      const held = readLock(f.lock);
      // A stale lock: its process is gone. (Two processes breaking the same stale lock at the same
      // moment could both succeed; starting two resumes of a dead run within microseconds is not guarded.)
      if (held !== null && held.host === hostname() && !alive(held.pid) && attempt === 0) {
        log(`removing a stale lock ${f.lock} (process ${held.pid} on ${held.host} is gone)`);
        rmSync(f.lock, { force: true });
        continue;
      }
      const who = held ? `process ${held.pid} on ${held.host}` : 'another process';
      throw new Error(
        `${f.root} is in use by ${who} (lock ${f.lock}); wait for it to finish, or, if no run is using ` +
          `the folder, delete the lock file`,
      );
    }
  } finally {
    rmSync(mine, { force: true });
  }
  return () => {
    if (readLock(f.lock)?.pid === process.pid) unlinkSync(f.lock);
  };
}

/** Entries of a run folder that belong to a run (what --overwrite removes). */
const RUN_ENTRY =
  /^(config\.json|metrics\.jsonl|results\.json|report\.html|curve-.*\.(svg|png)|(val|test)-episodes.*\.json|eval-.*\.json|(checkpoint|best|last)(\.old)?)$/;

/**
 * Temps of an atomic write cut short by a kill or an error: replaceDir's folders, writeFileAtomic's
 * files, a lock being created.
 */
const TEMP_ENTRY = /^((checkpoint|best|last)\.tmp-\d+|\..+\.tmp|\.lock-\d+)$/;

/** The entries of a run in `f` (empty for a new or unrelated folder). */
export function runEntries(f: RunFolder): string[] {
  return existsSync(f.root) ? readdirSync(f.root).filter((n) => RUN_ENTRY.test(n)) : [];
}

/** Remove the run in `f` (for --overwrite): only the run's own entries, nothing else of the folder. */
export function clearRun(f: RunFolder): void {
  for (const n of runEntries(f)) rmSync(path.join(f.root, n), { recursive: true, force: true });
}

/**
 * Remove temps left by a writer that was killed or hit a full disk. Only while holding the lock: then
 * no other process is writing them. Returns what was removed.
 */
export function removeStaleTemps(f: RunFolder): string[] {
  const temps = readdirSync(f.root).filter((n) => TEMP_ENTRY.test(n));
  for (const n of temps) rmSync(path.join(f.root, n), { recursive: true, force: true });
  return temps;
}
