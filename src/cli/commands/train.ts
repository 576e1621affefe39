import type { Command } from '../schema.js';
import { CONFIG_OPTIONS, runFromFlags } from '../config_options.js';

export const train: Command = {
  name: 'train',
  summary: 'meta-train a learner on a dataset, keep the best checkpoint, meta-test it',
  positionals: { names: [], required: 0 },
  options: CONFIG_OPTIONS,
  description: `Meta-trains a learner, validates every --val-every steps on fixed episodes, keeps the best
checkpoint, and meta-tests it on --test-episodes fixed episodes (mean and 95% CI).
Flags (--kebab-case) override the config file (camelCase fields); the resolved config is saved as
<out>/config.json. Defaults in brackets.`,
  epilog: `Example:
  metalearn train --dataset omniglot --learner protonet --way 20 --test-way 5 --steps 5000 --out runs/proto`,
  run: (a) => runFromFlags(a, {}),
};
