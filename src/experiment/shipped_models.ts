import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's models/ folder: two levels above this module both in the sources (src/experiment/) and in
 * the installed package (dist/experiment/), so it is found wherever npm put the package.
 */
export function shippedModelsRoot(): string {
  return fileURLToPath(new URL('../../models/', import.meta.url));
}

/** Names of the trained models shipped with the package (folders of models/ holding a model.json). */
export function shippedModels(): string[] {
  const root = shippedModelsRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'model.json')))
    .map((d) => d.name)
    .sort();
}

/**
 * The folder of a shipped model, for `loadParams`, `evaluateModel` or `predictFolder`:
 * `await loadParams(shippedModelDir('omniglot-protonet-vinyals'))`. Each folder has a MODEL_CARD.md.
 */
export function shippedModelDir(name: string): string {
  const names = shippedModels();
  if (!names.includes(name)) {
    throw new Error(
      `no shipped model '${name}'; the package's models/ (${shippedModelsRoot()}) holds: ${names.join(', ') || 'none'}`,
    );
  }
  return path.join(shippedModelsRoot(), name);
}

/**
 * A model argument of the command line: an existing folder as given, else the name of a shipped model.
 * A name that is neither gets an error naming both readings.
 */
export function resolveModelArg(arg: string): string {
  if (existsSync(arg)) return arg;
  const names = shippedModels();
  if (!arg.includes('/') && !arg.includes(path.sep) && names.includes(arg))
    return path.join(shippedModelsRoot(), arg);
  throw new Error(`${arg}: no such folder, and not a shipped model (${names.join(', ') || 'none shipped'})`);
}
