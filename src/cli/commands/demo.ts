import type { Command } from '../schema.js';
import { CONFIG_OPTIONS, runFromFlags } from '../config_options.js';

export const demo: Command = {
  name: 'demo',
  summary: 'meta-train on the built-in synthetic alphabet and print meta-test accuracy (no data needed)',
  positionals: { names: [], required: 0 },
  options: CONFIG_OPTIONS,
  description: `Meta-trains a prototypical network on the synthetic alphabet (no data files needed) for 300
5-way 1-shot episodes and meta-tests it on 1,000 fixed episodes of unseen characters.
Accepts the same options as 'train'; the run folder defaults to runs/demo. 'npm start' runs the
black-box version:
  metalearn demo --learner snail --meta-batch 8 --query 5 --steps 500`,
  // A config file's or a flag's --out replaces the demo's folder.
  run: (a) => runFromFlags(a, { out: 'runs/demo' }),
};
