#!/usr/bin/env node
// The installed command: runs the compiled CLI in dist/ (built by `npm run build`, which `npm ci` and
// `npm pack` run through the prepare script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error(
    `metalearn: ${entry} is missing: the package is not built. In a clone of the repository run ` +
      '`npm run build` (npm ci does it); an installed package ships it.',
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  },
);
