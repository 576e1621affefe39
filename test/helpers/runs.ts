import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The per-step records of a CLI run's metrics.jsonl. */
export const metrics = (runDir: string) =>
  readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss: number });

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** Run the CLI (`bin/metalearn.js`, the compiled dist/) from the repository root, `env` added to ours. */
export const runCli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [path.join(root, 'bin/metalearn.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
