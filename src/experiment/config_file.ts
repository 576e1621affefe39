/** Config files and run folders' saved configs (Node: reads files). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveConfig, upgradeSavedConfig, type RunConfig } from './config.js';

/** Whether a config or spec file is YAML (by its extension); otherwise it is JSON. */
export const isYamlFile = (file: string): boolean => /\.ya?ml$/i.test(file);

/**
 * A config file (an object): JSON, or YAML when its name ends in .yaml or .yml (parsed to the same
 * plain values, then validated like JSON). Errors name the file.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read config file (${(e as Error).message})`);
  }
  const yaml = isYamlFile(file);
  let value: unknown;
  try {
    // YAML 1.2 core schema: numbers, booleans, null, strings, lists and maps, as JSON has; a key given
    // twice is an error.
    value = yaml ? parseYaml(text, { uniqueKeys: true }) : JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid ${yaml ? 'YAML' : 'JSON'} (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(
      `${file}: a config file must hold ${yaml ? 'a YAML mapping' : 'a JSON object'}, got ${JSON.stringify(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * `<runDir>/config.json`, upgraded (upgradeSavedConfig) and validated, with `flags` on top: what resume,
 * eval, export and predict read.
 */
export function readRunConfig(runDir: string, flags: Record<string, string> = {}): RunConfig {
  const file = path.join(runDir, 'config.json');
  return resolveConfig(upgradeSavedConfig(readConfigFile(file)), file, flags);
}
