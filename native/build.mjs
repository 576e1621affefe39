// Builds native/build/metalearn_native.node (native/kernels.cc against OpenBLAS) with the system C++
// compiler and Node's own headers. Run by `npm install` / `npm ci`; never fails the install: without a
// compiler, Node headers or OpenBLAS (Debian: apt-get install g++ libopenblas-dev) the library keeps
// using the wasm kernels, and this prints why. METALEARN_NATIVE=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'build');
const target = path.join(outDir, 'metalearn_native.node');
const say = (s) => console.error(`[metalearn native] ${s}`);

function main() {
  if (process.env.METALEARN_NATIVE === '0') return say('skipped (METALEARN_NATIVE=0)');
  if (process.platform !== 'linux' && process.platform !== 'darwin')
    return say(`no native build on ${process.platform}; using the wasm kernels`);
  const include = [
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  ].find((d) => d && existsSync(path.join(d, 'node_api.h')));
  if (!include) return say("Node's headers (node_api.h) not found; using the wasm kernels");
  const cxx = process.env.CXX || 'g++';
  mkdirSync(outDir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  const args = [
    '-O3',
    '-march=x86-64-v2',
    '-std=c++17',
    '-fno-math-errno',
    '-shared',
    '-fPIC',
    '-DNODE_GYP_MODULE_NAME=metalearn_native',
    `-I${include}`,
    '-I/usr/include/x86_64-linux-gnu',
    '-I/usr/include/openblas',
    path.join(here, 'kernels.cc'),
    '-o',
    tmp,
    '-lopenblas',
  ];
  if (process.arch !== 'x64') args.splice(1, 1);
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    // An older build would not match kernels.cc (the library calls what this source defines): remove it.
    rmSync(target, { force: true });
    const err = (r.stderr || '').split('\n').slice(0, 3).join(' ').trim();
    const why = r.error ? r.error.message : err || `${cxx} exited with status ${r.status}`;
    return say(`not built (${why}); using the wasm kernels`);
  }
  renameSync(tmp, target); // whole file or none, like every other write of this project
  say(`built ${path.relative(process.cwd(), target)}`);
}

main();
