import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.js';

/** One file in a zip archive, as listed by the central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate; others are rejected when read. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
  readonly isDirectory: boolean;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/**
 * A zip archive held in memory and read through its central directory (the authoritative listing; local
 * headers may carry zero sizes when the writer streamed). Supports stored and deflated entries and zip64.
 */
export class ZipArchive {
  readonly entries: readonly ZipEntry[];
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(
    /** The file path (or label) used in every error message. */
    readonly source: string,
    private readonly buf: Buffer,
  ) {
    this.entries = readCentralDirectory(buf, source);
    for (const e of this.entries) this.byName.set(e.name, e);
  }

  static open(path: string): ZipArchive {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (e) {
      throw new Error(`${path}: cannot read zip file: ${(e as Error).message}`);
    }
    return new ZipArchive(path, buf);
  }

  static fromBuffer(buf: Uint8Array, label = '<zip buffer>'): ZipArchive {
    return new ZipArchive(label, Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** The uncompressed bytes of an entry, checked against its CRC-32. */
  read(entry: ZipEntry | string): Buffer {
    const e = typeof entry === 'string' ? this.byName.get(entry) : entry;
    if (e === undefined) throw new Error(`${this.source}: no entry named '${String(entry)}'`);
    const where = `${this.source}: entry '${e.name}'`;
    const b = this.buf;
    const o = e.localHeaderOffset;
    if (o + 30 > b.length || b.readUInt32LE(o) !== SIG_LOCAL) {
      throw new Error(`${where}: corrupt zip (no local file header at offset ${o})`);
    }
    const start = o + 30 + b.readUInt16LE(o + 26) + b.readUInt16LE(o + 28);
    const end = start + e.compressedSize;
    if (end > b.length) throw new Error(`${where}: corrupt zip (data runs past the end of the file)`);
    const raw = b.subarray(start, end);
    let out: Buffer;
    if (e.method === 0) {
      out = raw;
    } else if (e.method === 8) {
      try {
        out = inflateRawSync(raw);
      } catch (err) {
        throw new Error(`${where}: corrupt deflate data: ${(err as Error).message}`);
      }
    } else {
      throw new Error(
        `${where}: unsupported compression method ${e.method} (expected 0 = stored or 8 = deflate)`,
      );
    }
    if (out.length !== e.size) {
      throw new Error(`${where}: corrupt zip (expected ${e.size} bytes, got ${out.length})`);
    }
    if (crc32(out) !== e.crc32) throw new Error(`${where}: corrupt zip (CRC-32 mismatch)`);
    return out;
  }
}

function findEocd(b: Buffer, source: string): number {
  // The end record sits in the last 22 bytes plus an optional comment of up to 65,535 bytes.
  const stop = Math.max(0, b.length - 22 - 0xffff);
  for (let i = b.length - 22; i >= stop; i--) {
    if (b.readUInt32LE(i) === SIG_EOCD) return i;
  }
  throw new Error(`${source}: not a zip file (no end-of-central-directory record)`);
}

function readCentralDirectory(b: Buffer, source: string): ZipEntry[] {
  if (b.length < 22) throw new Error(`${source}: not a zip file (only ${b.length} bytes)`);
  const eocd = findEocd(b, source);
  let count = b.readUInt16LE(eocd + 10);
  let cdSize = b.readUInt32LE(eocd + 12);
  let cdOffset = b.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || b.readUInt32LE(loc) !== SIG_EOCD64_LOCATOR) {
      throw new Error(`${source}: corrupt zip64 archive (missing zip64 end-of-central-directory locator)`);
    }
    const rec = Number(b.readBigUInt64LE(loc + 8));
    if (rec + 56 > b.length || b.readUInt32LE(rec) !== SIG_EOCD64) {
      throw new Error(`${source}: corrupt zip64 archive (bad zip64 end-of-central-directory record)`);
    }
    count = Number(b.readBigUInt64LE(rec + 32));
    cdSize = Number(b.readBigUInt64LE(rec + 40));
    cdOffset = Number(b.readBigUInt64LE(rec + 48));
  }
  if (cdOffset + cdSize > b.length) {
    throw new Error(`${source}: corrupt or truncated zip (central directory runs past the end of the file)`);
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > b.length || b.readUInt32LE(p) !== SIG_CENTRAL) {
      throw new Error(`${source}: corrupt zip (central directory entry ${k} of ${count} is damaged)`);
    }
    const flags = b.readUInt16LE(p + 8);
    const method = b.readUInt16LE(p + 10);
    const crc = b.readUInt32LE(p + 16);
    let compressedSize = b.readUInt32LE(p + 20);
    let size = b.readUInt32LE(p + 24);
    const nameLen = b.readUInt16LE(p + 28);
    const extraLen = b.readUInt16LE(p + 30);
    const commentLen = b.readUInt16LE(p + 32);
    let localHeaderOffset = b.readUInt32LE(p + 42);
    const name = b.toString('utf8', p + 46, p + 46 + nameLen);
    if (flags & 1) throw new Error(`${source}: entry '${name}' is encrypted (not supported)`);
    // zip64 sizes live in extra field 0x0001, in this order, only for the fields that overflowed.
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      let q = p + 46 + nameLen;
      const qEnd = q + extraLen;
      while (q + 4 <= qEnd) {
        const id = b.readUInt16LE(q);
        const len = b.readUInt16LE(q + 2);
        if (id === 0x0001) {
          let r = q + 4;
          if (size === 0xffffffff) {
            size = Number(b.readBigUInt64LE(r));
            r += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = Number(b.readBigUInt64LE(r));
            r += 8;
          }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(b.readBigUInt64LE(r));
          break;
        }
        q += 4 + len;
      }
    }
    entries.push({
      name,
      method,
      compressedSize,
      size,
      crc32: crc,
      localHeaderOffset,
      isDirectory: name.endsWith('/'),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
