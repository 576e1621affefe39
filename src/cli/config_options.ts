/** The options of train and demo: one per run-config field (config.ts SCHEMA), plus --config and --overwrite. */
import {
  CONFIG_KEYS,
  DEFAULTS,
  SCHEMA,
  camelCase,
  kebabCase,
  resolveConfig,
  type RunConfig,
} from '../experiment/config.js';
import { readConfigFile } from '../experiment/config_file.js';
import { runExperiment } from '../experiment/run.js';
import { ensureOmniglot } from '../data/omniglot.js';
import { flag, str, type OptionSpec, type ParsedArgs } from './schema.js';

function fieldOption(key: keyof RunConfig): OptionSpec {
  const f = SCHEMA[key];
  const choices = typeof f.kind === 'object' ? `: ${f.kind.oneOf.join(' | ')}` : '';
  const value = typeof f.kind === 'object' ? 'NAME' : f.kind === 'string' ? 'TEXT' : 'N';
  const d = DEFAULTS[key];
  return { type: 'string', value, help: f.help + choices, shown: d !== undefined ? String(d) : f.note };
}

export const CONFIG_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', value: 'FILE', help: 'JSON config file (camelCase fields); flags override it' },
  overwrite: {
    type: 'boolean',
    help: 'replace a run already in --out (its run files are deleted); without it such a folder is refused',
  },
  ...Object.fromEntries(CONFIG_KEYS.map((k) => [kebabCase(k), fieldOption(k)])),
};

/** Resolve defaults, then the config file, then the flags, and run. */
export async function runFromFlags(
  a: ParsedArgs,
  base: Record<string, unknown>,
  onConfig?: (cfg: RunConfig) => void,
): Promise<number> {
  const config = str(a, 'config');
  const flags: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.values))
    if (k !== 'config' && typeof v === 'string') flags[camelCase(k)] = v;
  const file = config ? readConfigFile(config) : undefined;
  const cfg = resolveConfig({ ...base, ...(file ?? {}) }, config ?? '(defaults)', flags);
  onConfig?.(cfg);
  // Like learn2learn's benchmark task sets: Omniglot not in the data folder yet is downloaded (and checked) there.
  if (cfg.dataset === 'omniglot') await ensureOmniglot(cfg.dataDir, { log: console.log });
  await runExperiment(cfg, console.log, { overwrite: flag(a, 'overwrite') });
  return 0;
}
