import { gunzipSync } from 'node:zlib';

/**
 * The regular files of a tar archive (POSIX ustar, with GNU long names), gunzipped first when it starts
 * with the gzip magic. Enough for the dataset archives read here (CIFAR-100's); `file` names the archive in
 * errors.
 */
export function readTar(data: Uint8Array, file: string): Map<string, Uint8Array> {
  let buf = data;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  const out = new Map<string, Uint8Array>();
  const text = (a: number, b: number) => {
    let end = a;
    while (end < b && buf[end] !== 0) end++;
    return new TextDecoder().decode(buf.subarray(a, end));
  };
  let pos = 0;
  let longName: string | undefined;
  while (pos + 512 <= buf.length) {
    // Two zero blocks end the archive; one is enough to stop.
    if (buf.subarray(pos, pos + 512).every((v) => v === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : buf[pos + i];
    const stored = parseInt(text(pos + 148, pos + 156).trim(), 8);
    if (stored !== sum) throw new Error(`${file}: corrupt tar archive (header checksum at byte ${pos})`);
    const size = parseInt(text(pos + 124, pos + 136).trim() || '0', 8);
    const type = String.fromCharCode(buf[pos + 156]);
    const prefix = text(pos + 345, pos + 500);
    let name = text(pos, pos + 100);
    if (prefix) name = `${prefix}/${name}`;
    const start = pos + 512;
    if (start + size > buf.length) throw new Error(`${file}: truncated tar archive (entry '${name}')`);
    const body = buf.subarray(start, start + size);
    if (type === 'L') longName = new TextDecoder().decode(body).replace(/\0+$/, '');
    else {
      if (longName !== undefined) name = longName;
      longName = undefined;
      if (type === '0' || type === '\0') out.set(name.replace(/^\.\//, ''), body);
    }
    pos = start + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** A tar archive of `files` (for tests and fixtures): ustar headers, no compression. */
export function writeTar(files: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, body] of Object.entries(files)) {
    if (name.length > 99) throw new Error(`writeTar: name '${name}' is over 99 characters`);
    const h = new Uint8Array(512);
    const put = (s: string, at: number) => h.set(new TextEncoder().encode(s), at);
    put(name, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(body.length.toString(8).padStart(11, '0') + '\0', 124);
    put('00000000000\0', 136);
    h[156] = '0'.charCodeAt(0);
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    parts.push(h, body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
