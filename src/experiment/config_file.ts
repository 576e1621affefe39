/** Config files and run folders' saved configs (Node: reads files). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveConfig, upgradeSavedConfig, type RunConfig } from './config.js';

/** A JSON config file (an object), with errors that name the file. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read config file (${(e as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${file}: a config file must hold a JSON object, got ${JSON.stringify(value)}`);
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
