// Vite config of the demo page (root: web/). `npx vite web` serves it, `npx vite build web` builds to web/dist.
import { builtinModules } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Vite would quietly swap a Node built-in for an empty stub that throws when used; the library's browser
 * entry (src/browser.ts) must never reach one, so make any such import a build error that names the importer.
 */
function noNodeBuiltins(): Plugin {
  return {
    name: 'metalearn:no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id.startsWith('node:') || NODE_BUILTINS.has(id)) {
        // tfjs's own packages name fs/path/os/crypto/worker_threads in code that only runs under Node and are
        // mapped to `false` by their package.json "browser" fields; only our sources are held to the rule.
        if (importer && !importer.includes('/node_modules/')) {
          this.error(`'${id}' imported by ${importer}: the browser build must not import Node built-ins`);
        }
      }
      return null;
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [noNodeBuiltins()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
  },
  server: { port: 5173 },
  preview: { port: 4173 },
});
