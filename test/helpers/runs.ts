import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The per-step records of a CLI run's metrics.jsonl. */
export const metrics = (runDir: string) =>
  readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss: number });
