import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variable naming the data directory (the folder holding omniglot/, youtube-spam/, ...). */
export const DATA_ENV = 'METALEARN_DATA';

// Resolved from this file rather than process.cwd() so tests, benches and the CLI agree wherever they start.
const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (two levels above src/data/). */
export const REPO_ROOT = resolve(here, '..', '..');

/** `dataDir` option, else $METALEARN_DATA, else `../shared/data` next to the repository. */
export function resolveDataDir(dataDir?: string): string {
  if (dataDir !== undefined && dataDir.length > 0) return resolve(dataDir);
  const env = process.env[DATA_ENV];
  if (env !== undefined && env.length > 0) return resolve(env);
  return resolve(REPO_ROOT, '..', 'shared', 'data');
}

/** `<repo>/.cache/<name>` unless a directory is given. */
export function resolveCacheDir(name: string, cacheDir?: string): string {
  return cacheDir !== undefined && cacheDir.length > 0 ? resolve(cacheDir) : join(REPO_ROOT, '.cache', name);
}

/**
 * The first candidate that exists, else an error that lists every place looked at and how to point the
 * library elsewhere, so a missing data set never looks like an empty one.
 */
export function findExisting(what: string, candidates: string[]): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(
    `${what} not found; looked for:\n  ${candidates.join('\n  ')}\n` +
      `Pass the option dataDir or set ${DATA_ENV} to the folder that holds the data sets.`,
  );
}
