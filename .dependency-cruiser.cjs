// Layer rules of the library (see README's architecture section), checked by `npm run lint:deps`.
// Ranks, lowest first; a module may import only from its own folder or from lower ranks:
//   engine (0) < nn (1) < data (2) < report (2.5) < tasks (3) < meta, multitask (4, not each other)
//   < train (5) < experiment (6) < cli (7).
const RANK = {
  engine: 0,
  nn: 1,
  data: 2,
  report: 2.5,
  tasks: 3,
  meta: 4,
  multitask: 4,
  train: 5,
  experiment: 6,
  cli: 7,
};
const folders = Object.keys(RANK);

const layerRules = folders
  .map((from) => {
    const above = folders.filter((to) => to !== from && RANK[to] >= RANK[from]);
    return {
      name: `layers-${from}`,
      severity: 'error',
      comment: `src/${from}/ (rank ${RANK[from]}) may import only from its own folder and lower ranks`,
      from: { path: `^src/${from}/` },
      to: { path: `^src/(${above.join('|')})/` },
    };
  })
  .filter((r) => !r.to.path.endsWith('()/'));

// Node built-ins, with or without the node: prefix.
const NODE_BUILTINS = `^(node:.*|${require('node:module').builtinModules.join('|')})$`;

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycles between files',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'browser-barrels-no-node',
      severity: 'error',
      comment:
        "folder index.ts files and src/browser.ts are the browser-safe API: nothing they reach may import a Node built-in (those modules belong in the folder's node.ts)",
      from: { path: ['^src/browser[.]ts$', '^src/[^/]+/index[.]ts$'] },
      to: { path: NODE_BUILTINS, reachable: true },
    },
    {
      name: 'browser-barrels-no-node-barrels',
      severity: 'error',
      comment: 'folder index.ts files and src/browser.ts must not reach a node.ts barrel',
      from: { path: ['^src/browser[.]ts$', '^src/[^/]+/index[.]ts$'] },
      to: { path: '^src/[^/]+/node[.]ts$', reachable: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'every import resolves',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count too: `import type` from a higher layer is still a layering error.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.mjs$' },
  },
};
