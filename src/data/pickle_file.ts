/**
 * Pickle files read from disk in pieces: the file is never held whole, so a pickle's large byte strings
 * (a numpy array's data) are the only copy of their bytes in memory. Node-only.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { type PickleSource, type PickleValue, type ReadPickleOptions, readPickle } from './pickle.js';

/** A PickleSource over an open file, with a read-ahead window. */
export class FileSource implements PickleSource {
  private readonly win: Uint8Array;
  private start = 0; // file offset of win[0]
  private len = 0; // valid bytes in win
  private pos = 0; // index in win of the next byte

  constructor(
    private readonly fd: number,
    window = 1 << 20,
  ) {
    this.win = new Uint8Array(window);
  }

  get offset(): number {
    return this.start + this.pos;
  }

  private fill(): void {
    this.start += this.len;
    this.pos = 0;
    this.len = readSync(this.fd, this.win, 0, this.win.length, this.start);
  }

  byte(): number {
    if (this.pos >= this.len) {
      this.fill();
      if (this.len === 0) return -1;
    }
    return this.win[this.pos++];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    const have = Math.min(n, this.len - this.pos);
    out.set(this.win.subarray(this.pos, this.pos + have));
    o += have;
    this.pos += have;
    if (o === n) return out;
    // The rest straight into `out` when it is large; through the window when small.
    let at = this.start + this.len;
    if (n - o > this.win.length) {
      while (o < n) {
        const r = readSync(this.fd, out, o, Math.min(n - o, 1 << 30), at);
        if (r === 0) break;
        o += r;
        at += r;
      }
      this.start = at;
      this.len = 0;
      this.pos = 0;
      return o === n ? out : out.subarray(0, o);
    }
    this.fill();
    const more = Math.min(n - o, this.len);
    out.set(this.win.subarray(0, more), o);
    this.pos = more;
    o += more;
    return o === n ? out : out.subarray(0, o);
  }
}

/**
 * Read the pickle file `path` (see readPickle for what it reads). Memory: the decoded values, which for
 * a numpy array of bytes is its size once (plus a 1 MB window), not the file twice.
 */
export function readPickleFile(path: string, opts: Omit<ReadPickleOptions, 'file'> = {}): PickleValue {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    if (statSync(path).size === 0) throw new Error(`${path}: empty file, not a pickle`);
    return readPickle(new FileSource(fd), { ...opts, file: path });
  } finally {
    closeSync(fd);
  }
}
