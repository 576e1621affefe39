/**
 * A fingerprint of a run's data (Node: files): the classes of each meta-split with their example
 * counts, and the example shape, saved as <run>/data.json. resume and eval compare it with the data they
 * load and refuse a change: a class added to an image folder re-splits it, so earlier meta-training
 * classes would become meta-test classes and the fixed episode sets would silently change.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ClassDataset } from '../data/types.js';
import type { MetaDatasets } from './datasets.js';

export const DATA_FILE = 'data.json';

const SPLITS: readonly Split[] = ['train', 'val', 'test'];
/** A meta-split of a run's data. */
export type Split = 'train' | 'val' | 'test';

/** Class lists are kept (to say which classes changed) up to this many classes in all; above, a hash. */
const MAX_LISTED_CLASSES = 2000;

export interface SplitFingerprint {
  classes: number;
  examples: number;
  /** sha256 of the 'name\tcount' lines of the split's classes, in order. */
  sha256: string;
  /** [name, count] of every class, when the data has at most MAX_LISTED_CLASSES classes. */
  list?: [string, number][];
}

export interface DataFingerprint {
  kind: 'metalearn-data';
  /** The data as the run described it (dataset and folder). */
  source: string;
  exampleShape: number[];
  splits: Record<Split, SplitFingerprint>;
}

function classList(ds: ClassDataset): [string, number][] {
  const out: [string, number][] = [];
  for (let c = 0; c < ds.numClasses; c++) out.push([ds.className(c), ds.examplesOf(c)]);
  return out;
}

/** The fingerprint of a run's meta-splits; `source` names the data (e.g. "dataset 'folder' data/x"). */
export function dataFingerprint(data: MetaDatasets, source: string): DataFingerprint {
  const lists = SPLITS.map((s) => classList(data[s]));
  const keep = lists.reduce((n, l) => n + l.length, 0) <= MAX_LISTED_CLASSES;
  const splits = {} as Record<Split, SplitFingerprint>;
  SPLITS.forEach((s, i) => {
    const l = lists[i];
    splits[s] = {
      classes: l.length,
      examples: l.reduce((n, [, k]) => n + k, 0),
      sha256: createHash('sha256')
        .update(l.map(([name, k]) => `${name}\t${k}\n`).join(''))
        .digest('hex'),
      ...(keep ? { list: l } : {}),
    };
  });
  return { kind: 'metalearn-data', source, exampleShape: [...data.train.exampleShape], splits };
}

/** <run>/data.json, or null for a run saved before fingerprints were kept. Throws on a damaged file. */
export function readDataFingerprint(runDir: string): DataFingerprint | null {
  const file = path.join(runDir, DATA_FILE);
  if (!existsSync(file)) return null;
  let fp: DataFingerprint;
  try {
    fp = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the data fingerprint (${(e as Error).message})`);
  }
  const bad = (field: string, expected: string): never => {
    throw new Error(`${file}: field '${field}' must be ${expected}`);
  };
  if (fp?.kind !== 'metalearn-data') bad('kind', "'metalearn-data'");
  if (!Array.isArray(fp.exampleShape) || !fp.exampleShape.every((d) => Number.isInteger(d) && d > 0))
    bad('exampleShape', 'a list of positive integers');
  for (const s of SPLITS) {
    const f = fp.splits?.[s];
    if (!f || !Number.isInteger(f.classes) || !Number.isInteger(f.examples) || typeof f.sha256 !== 'string')
      bad(`splits.${s}`, 'an object with integer classes, examples and a sha256 string');
  }
  return fp;
}

/** Write <run>/data.json through a temporary file. */
export function writeDataFingerprint(runDir: string, fp: DataFingerprint): void {
  const file = path.join(runDir, DATA_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(fp) + '\n');
  renameSync(tmp, file);
}

/** What differs between two fingerprints, in a few words per split; [] when they match. */
export function dataChanges(was: DataFingerprint, now: DataFingerprint): string[] {
  const out: string[] = [];
  if (was.exampleShape.join('x') !== now.exampleShape.join('x'))
    out.push(`examples were [${was.exampleShape.join(', ')}], now [${now.exampleShape.join(', ')}]`);
  for (const s of SPLITS) {
    const a = was.splits[s];
    const b = now.splits[s];
    if (a.sha256 === b.sha256) continue;
    let what = `${a.classes} classes / ${a.examples} examples then, ${b.classes} / ${b.examples} now`;
    if (a.list && b.list) {
      const before = new Map(a.list);
      const after = new Map(b.list);
      const names = (xs: string[]) =>
        xs.slice(0, 5).join(', ') + (xs.length > 5 ? `, ... (${xs.length})` : '');
      const added = [...after.keys()].filter((n) => !before.has(n));
      const removed = [...before.keys()].filter((n) => !after.has(n));
      const counts = [...after.keys()].filter((n) => before.has(n) && before.get(n) !== after.get(n));
      const parts = [
        added.length ? `added ${names(added)}` : '',
        removed.length ? `removed ${names(removed)}` : '',
        counts.length ? `other example counts in ${names(counts)}` : '',
      ].filter(Boolean);
      if (parts.length) what += `: ${parts.join('; ')}`;
    }
    out.push(`${s} split: ${what}`);
  }
  return out;
}

/**
 * Refuse data that differs from the run's fingerprint (resume, eval). A run without data.json (saved
 * before fingerprints were kept) is not checked.
 */
export function checkDataFingerprint(runDir: string, now: DataFingerprint, what: string): void {
  const was = readDataFingerprint(runDir);
  if (was === null) return;
  const changes = dataChanges(was, now);
  if (changes.length === 0) return;
  throw new Error(
    `${path.join(runDir, DATA_FILE)}: the data changed since the run was trained (${now.source}): ${changes.join('; ')}. ` +
      `${what} would split it into other meta-train/val/test classes and episodes; restore the data, or train a new run on it`,
  );
}

/**
 * At the start of a run: a fresh run records its data's fingerprint; a resumed one checks it (and
 * records it when the run had none).
 */
export function keepDataFingerprint(runDir: string, now: DataFingerprint | undefined, resume: boolean): void {
  if (now === undefined) return;
  if (resume && readDataFingerprint(runDir) !== null) return checkDataFingerprint(runDir, now, 'resume');
  writeDataFingerprint(runDir, now);
}
