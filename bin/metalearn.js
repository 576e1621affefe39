#!/usr/bin/env node
// The installed command: runs the compiled CLI in dist/ (built by `npm run build`, which `npm ci` and
// `npm pack` run through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error(
    `metalearn: ${entry.pathname} is missing: the package is not built. In a clone of the repository run ` +
      '`npm run build` (npm ci does it); an installed package ships it.',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  },
);
