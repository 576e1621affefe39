import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Environment variable naming the data directory (the folder holding omniglot/, youtube-spam/, ...). */
export const DATA_ENV = 'METALEARN_DATA';
/** Environment variable naming the cache directory (decoded images and other derived files). */
export const CACHE_ENV = 'METALEARN_CACHE';

const APP = 'metalearn';

const nonEmpty = (s: string | undefined): s is string => s !== undefined && s.length > 0;

/**
 * The per-user folder of one kind, following each platform's convention (the XDG base-directory
 * specification on Linux and other Unixes, as env-paths and Python's platformdirs do): data in
 * `$XDG_DATA_HOME/metalearn` (`~/.local/share/metalearn`), caches in `$XDG_CACHE_HOME/metalearn`
 * (`~/.cache/metalearn`); `~/Library/Application Support/metalearn` and `~/Library/Caches/metalearn` on
 * macOS; `%LOCALAPPDATA%\metalearn\Data` and `...\Cache` on Windows.
 */
export function userDir(kind: 'data' | 'cache', env: NodeJS.ProcessEnv = process.env): string {
  const home = nonEmpty(env.HOME) ? env.HOME : homedir();
  if (process.platform === 'darwin') {
    return kind === 'data'
      ? join(home, 'Library', 'Application Support', APP)
      : join(home, 'Library', 'Caches', APP);
  }
  if (process.platform === 'win32') {
    const local = nonEmpty(env.LOCALAPPDATA) ? env.LOCALAPPDATA : join(home, 'AppData', 'Local');
    return join(local, APP, kind === 'data' ? 'Data' : 'Cache');
  }
  const xdg = kind === 'data' ? env.XDG_DATA_HOME : env.XDG_CACHE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  if (nonEmpty(xdg) && xdg.startsWith('/')) return join(xdg, APP);
  return kind === 'data' ? join(home, '.local', 'share', APP) : join(home, '.cache', APP);
}

/** The `dataDir` option, else `$METALEARN_DATA`, else the per-user data folder (see `userDir`). */
export function resolveDataDir(dataDir?: string): string {
  if (nonEmpty(dataDir)) return resolve(dataDir);
  const env = process.env[DATA_ENV];
  if (nonEmpty(env)) return resolve(env);
  return userDir('data');
}

/**
 * `<cache>/<name>`: the `cacheDir` option as given, else `$METALEARN_CACHE/<name>`, else
 * `<per-user cache folder>/<name>`.
 */
export function resolveCacheDir(name: string, cacheDir?: string): string {
  if (nonEmpty(cacheDir)) return resolve(cacheDir);
  const env = process.env[CACHE_ENV];
  return join(nonEmpty(env) ? resolve(env) : userDir('cache'), name);
}

/**
 * The first candidate that exists, else an error that lists every place looked at and how to point the
 * library elsewhere, so a missing data set never looks like an empty one.
 */
export function findExisting(what: string, candidates: string[], hint?: string): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(
    `${what} not found; looked for:\n  ${candidates.join('\n  ')}\n` +
      `Pass the option dataDir (--data-dir) or set ${DATA_ENV} to the folder that holds the data sets.` +
      (hint !== undefined ? `\n${hint}` : ''),
  );
}
