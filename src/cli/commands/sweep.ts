import * as path from 'node:path';
import { readConfigFile } from '../../experiment/config_file.js';
import { DEFAULT_QUEUE, expandSweep } from '../../experiment/sweep.js';
import { readFileSync } from 'node:fs';
import { flag, str, type Command } from '../schema.js';

export const sweep: Command = {
  name: 'sweep',
  summary:
    'enqueue a grid or random search x seeds on a Redis queue: metalearn sweep <spec.json|.yaml> --redis URL',
  positionals: { names: ['spec.json'], required: 1 },
  options: {
    redis: {
      type: 'string',
      value: 'URL',
      help: 'Redis of the queue',
      shown: '$METALEARN_REDIS or redis://127.0.0.1:6379',
    },
    queue: { type: 'string', value: 'NAME', help: 'queue name', shown: DEFAULT_QUEUE },
    wait: { type: 'boolean', help: 'wait until the last run has ended and print the sweep table' },
    'dry-run': { type: 'boolean', help: 'validate and list the runs; enqueue nothing' },
  },
  description: `Expands the spec (JSON, or YAML for a .yaml/.yml file: "out", "base" run-config fields, "grid" {field: [values]} or "random"
{"trials", "seed", "fields": {field: [values] | {"min", "max", "log"}}}, and "seeds": [...]) into one
run per setting and seed, validated like run configs, and adds them to the queue as one BullMQ flow.
'metalearn worker' processes take the runs; when the last one ends, the table (mean ± 95% CI over seeds
per setting, the best setting) is written to <out>/sweep.md, sweep.json and sweep.svg. Runs are in
<out>/<setting>/seed-<seed>/; "out" is resolved against this directory and must be the same path on
every worker (shared storage). Enqueueing the same sweep again adds nothing: job ids come from the
sweep's name ("name", default the spec's file name), setting and seed.`,
  epilog: `Example:
  metalearn worker --redis redis://127.0.0.1:6379 &
  metalearn sweep examples/sweep.json --redis redis://127.0.0.1:6379 --wait`,
  run: async (a) => {
    // Loaded on use: the queue client (bullmq, ioredis) is not part of every command's start-up.
    const { enqueueSweep, waitForSweep } = await import('../../experiment/sweep_queue.js');
    const file = a.positionals[0];
    const spec = readConfigFile(file);
    const s = expandSweep(spec, file, (o) => path.resolve(o));
    console.log(
      `sweep ${s.name}: ${s.settings.length} settings x ${s.runs.length / s.settings.length} seeds = ${s.runs.length} runs in ${s.out}`,
    );
    if (flag(a, 'dry-run')) {
      for (const r of s.runs) console.log(`  ${r.setting}/seed-${r.seed}`);
      return 0;
    }
    const conn = {
      redis: str(a, 'redis') ?? process.env.METALEARN_REDIS ?? 'redis://127.0.0.1:6379',
      queue: str(a, 'queue'),
    };
    await enqueueSweep(s, conn);
    console.log(`enqueued on ${conn.redis} queue ${conn.queue ?? DEFAULT_QUEUE}`);
    if (flag(a, 'wait')) {
      const r = await waitForSweep(s, conn);
      console.log(readFileSync(r.files.md, 'utf8'));
      console.log(`wrote ${r.files.md}, ${r.files.svg} and ${r.files.json}`);
      if (r.failed > 0) return 1;
    }
    return 0;
  },
};
