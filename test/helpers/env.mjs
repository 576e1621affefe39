// Loaded with `--import` by the repository's test and bench scripts: points the library at the data set
// beside this repository (../shared/data) and keeps its caches in .cache/, through the same environment
// variables a user would set. The library itself knows nothing of this layout.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.METALEARN_DATA ||= path.resolve(root, '..', 'shared', 'data');
process.env.METALEARN_CACHE ||= path.join(root, '.cache');
