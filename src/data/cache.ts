import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { testKillPoint } from '../nn/io_files.js';

export type Chunk = Uint8Array | string;
/** Data to write: whole, or a producer that calls `write` for each piece (so large files need no concat). */
export type WriteSource = Chunk | ((write: (chunk: Chunk) => void) => void);

/**
 * Write `path` so that it either appears complete or not at all: the data goes to a uniquely named
 * temporary file in the same folder (same file system, so the rename is atomic), is flushed to disk,
 * then renamed over `path`. Any failure removes the temporary file and rethrows. Unique names also make
 * two processes building the same cache at once safe: the last rename wins with identical content.
 */
export function writeFileAtomic(path: string, source: WriteSource): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    const write = (chunk: Chunk) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    };
    if (typeof source === 'function') source(write);
    else write(source);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    testKillPoint(path, 'written');
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; keep the first error */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already gone */
    }
    throw e;
  }
}

/** True for the temporary names writeFileAtomic uses (for tests and clean-up tools). */
export function isTempCacheFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/** A JSON file's content, or undefined when it is missing or unreadable (a cache miss, not an error). */
export function readJsonOrUndefined<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Size and modification time of a source file: enough to notice it was replaced, cheap to compute. */
export interface SourceStamp {
  size: number;
  mtimeMs: number;
}

export function stampOf(path: string): SourceStamp {
  const s = statSync(path);
  return { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
}

export function sameStamp(a: SourceStamp | undefined, b: SourceStamp): boolean {
  return a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export function fileSizeOrMinusOne(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}
