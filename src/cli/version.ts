import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in the package's package.json: the nearest one named metalearn-ts above this module, so
 * that src/cli/version.ts (run through tsx) and a compiled dist/cli/version.js both find it.
 */
export function packageVersion(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'metalearn-ts' && typeof pkg.version === 'string') return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json of metalearn-ts above ${fileURLToPath(from)}`);
    dir = up;
  }
}
