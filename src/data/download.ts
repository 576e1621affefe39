import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './cache.js';
import { ZipArchive } from './zip.js';
import { resolveDataDir } from './paths.js';

/** The public Omniglot release (Lake et al.), as Torchvision and learn2learn download it. */
export const OMNIGLOT_URLS = {
  background: 'https://github.com/brendenlake/omniglot/raw/master/python/images_background.zip',
  evaluation: 'https://github.com/brendenlake/omniglot/raw/master/python/images_evaluation.zip',
} as const;

/** The Vinyals split as published with Prototypical Networks (Snell et al.). */
export const VINYALS_SPLIT_URL_BASE =
  'https://raw.githubusercontent.com/jakesnell/prototypical-networks/master/data/omniglot/splits/vinyals';

/**
 * MD5 of each public zip, as torchvision's `Omniglot` dataset checks them (torchvision/datasets/omniglot.py,
 * `zips_md5`). A mirror must serve the same bytes; pass `md5: false` for a re-encoded copy.
 */
export const OMNIGLOT_MD5 = {
  background: '68d2efa1b9178cc56df9314c21c6e718',
  evaluation: '6b91aef0f799c5bb55b94e3f2daec811',
} as const;

/** PNG images in each public zip: a content check that needs no checksum of a particular encoding. */
export const OMNIGLOT_PNG_COUNTS = { background: 19280, evaluation: 13180 } as const;

/** Options of fetchOmniglot: where to put the files and what to fetch. */
export interface FetchOmniglotOptions {
  /** Expected MD5 (hex) of each zip; default OMNIGLOT_MD5; `false` checks none. */
  md5?: Partial<Record<'background' | 'evaluation', string>> | false;
  /** Expected sha256 (hex) of each zip; checked when given. */
  sha256?: Partial<Record<'background' | 'evaluation', string>>;
  /** Expected PNG count per zip; default OMNIGLOT_PNG_COUNTS. */
  pngCounts?: Partial<Record<'background' | 'evaluation', number>>;
  /** Download again even when the file exists. */
  force?: boolean;
  /** Also fetch splits/vinyals/{train,val,trainval,test}.txt; default true. */
  vinyals?: boolean;
  /** Injected for tests and proxies; default the global fetch. */
  fetch?: typeof fetch;
  /** Override the URLs (mirrors). */
  urls?: Partial<Record<'background' | 'evaluation', string>>;
  log?: (msg: string) => void;
}

/**
 * Node's fetch reports every network failure as TypeError('fetch failed'); what went wrong (no DNS, a
 * refused connection, a reset) is in its `cause`, a system error with a code.
 */
function networkCause(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause as { code?: unknown; message?: unknown } | undefined;
  if (cause === undefined || cause === null) return '';
  const code = typeof cause.code === 'string' ? cause.code : '';
  const msg = typeof cause.message === 'string' ? cause.message : '';
  const text = code && msg ? `${code}: ${msg}` : code || msg || String(cause);
  return text ? ` (${text})` : '';
}

/** Fetch `url` whole (checking Content-Length); `offline` says what to do without a network (where to put the file by hand). */
export async function download(url: string, f: typeof fetch, offline: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await f(url, { redirect: 'follow' });
  } catch (e) {
    throw new Error(`${url}: download failed: ${(e as Error).message}${networkCause(e)}; ${offline}`);
  }
  if (!res.ok) throw new Error(`${url}: download failed: HTTP ${res.status} ${res.statusText}`);
  const body = new Uint8Array(await res.arrayBuffer());
  const len = res.headers.get('content-length');
  // A dropped connection can end the body early without an error; the declared length catches it.
  // (Skipped for compressed transfers, where the header counts encoded bytes.)
  if (len !== null && !res.headers.get('content-encoding') && Number(len) !== body.length) {
    throw new Error(`${url}: incomplete download: got ${body.length} bytes, Content-Length says ${len}`);
  }
  return body;
}

/**
 * Download the public Omniglot zips into the data directory `dir` (default: `resolveDataDir()`, so the
 * `dataDir` option, else `$METALEARN_DATA`, else the per-user data folder) as
 * `omniglot/images_background.zip` and `omniglot/images_evaluation.zip`, where `loadOmniglot` looks with the
 * same `dataDir`. Each file is checked (complete body, MD5, optional sha256, a readable zip with the
 * expected number of PNGs) before it is written through a temporary file and renamed, so a failed or
 * partial download never leaves a file behind. Returns the data directory.
 */
export async function fetchOmniglot(dir?: string, opts: FetchOmniglotOptions = {}): Promise<string> {
  const root = resolveDataDir(dir);
  const f = opts.fetch ?? globalThis.fetch;
  if (typeof f !== 'function')
    throw new Error('fetchOmniglot: no fetch available (Node 18+ or pass opts.fetch)');
  const log = opts.log ?? (() => {});
  for (const set of ['background', 'evaluation'] as const) {
    const path = join(root, 'omniglot', `images_${set}.zip`);
    if (existsSync(path) && !opts.force) {
      log(`${path}: present, not downloaded`);
      continue;
    }
    const url = opts.urls?.[set] ?? OMNIGLOT_URLS[set];
    log(`downloading ${url}`);
    const body = await download(
      url,
      f,
      `without a network, put images_background.zip and images_evaluation.zip into ${join(root, 'omniglot')} by hand`,
    );
    const md5 = opts.md5 === false ? undefined : (opts.md5 ?? OMNIGLOT_MD5)[set];
    if (md5 !== undefined) {
      const got = createHash('md5').update(body).digest('hex');
      if (got !== md5.toLowerCase())
        throw new Error(`${url}: MD5 is ${got}, expected ${md5} (a damaged or different file)`);
    }
    const want = opts.sha256?.[set];
    if (want !== undefined) {
      const got = createHash('sha256').update(body).digest('hex');
      if (got !== want.toLowerCase()) throw new Error(`${url}: sha256 is ${got}, expected ${want}`);
    }
    let pngs: number;
    try {
      pngs = ZipArchive.fromBuffer(body, url).entries.filter((e) =>
        e.name.toLowerCase().endsWith('.png'),
      ).length;
    } catch (e) {
      throw new Error(`${url}: downloaded file is not a valid zip: ${(e as Error).message}`);
    }
    const count = opts.pngCounts?.[set] ?? OMNIGLOT_PNG_COUNTS[set];
    if (pngs !== count) throw new Error(`${url}: zip holds ${pngs} PNG images, expected ${count}`);
    writeFileAtomic(path, body);
    log(`wrote ${path} (${body.length} bytes)`);
  }
  if (opts.vinyals ?? true) {
    for (const split of ['train', 'val', 'trainval', 'test']) {
      const path = join(root, 'omniglot', 'splits', 'vinyals', `${split}.txt`);
      if (existsSync(path) && !opts.force) continue;
      const url = `${VINYALS_SPLIT_URL_BASE}/${split}.txt`;
      const offline = `without a network, put the Vinyals split files (train.txt, val.txt, trainval.txt, test.txt) into ${join(root, 'omniglot', 'splits', 'vinyals')} by hand`;
      const text = new TextDecoder().decode(await download(url, f, offline));
      if (!/^[^\n]+\/rot\d{3}\s*$/m.test(text))
        throw new Error(`${url}: not a Vinyals split file (no 'Alphabet/characterNN/rotDDD' lines)`);
      writeFileAtomic(path, text);
    }
  }
  return root;
}
