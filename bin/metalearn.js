#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  },
);
