// Builds native/build/metalearn_native.node (native/kernels.cc, gemm.cc and pool.cc) with the system C++
// compiler and Node's own headers. Run by `npm install` / `npm ci`; never fails the install: without a
// compiler or Node headers the library keeps using the wasm kernels, and this prints why.
// The matrix products go to OpenBLAS when it is installed (Debian: apt-get install libopenblas-dev), else
// to our own GEMM (native/gemm.cc, which needs nothing but the compiler); this prints which.
//   METALEARN_NATIVE=0        skip the build
//   METALEARN_GEMM=own        our GEMM even when OpenBLAS is installed (METALEARN_GEMM=openblas: the default)
//   METALEARN_BLAS=none       act as if OpenBLAS were not installed (to test that build on a machine with it)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'build');
const target = path.join(outDir, 'metalearn_native.node');
const say = (s) => console.error(`[metalearn native] ${s}`);
const blasIncludes = [
  '/usr/include/x86_64-linux-gnu',
  '/usr/include/aarch64-linux-gnu',
  '/usr/include/openblas',
];

/** null when it built `out`; else the compiler's first errors, or (ran: false) why it could not run. */
function compile(cxx, include, own, out) {
  const args = [
    '-O3',
    '-march=x86-64-v2',
    '-std=c++17',
    '-fno-math-errno',
    '-shared',
    '-fPIC',
    '-pthread',
    '-DNODE_GYP_MODULE_NAME=metalearn_native',
    `-I${include}`,
    ...(own ? ['-DMETALEARN_OWN_GEMM'] : blasIncludes.map((d) => `-I${d}`)),
    path.join(here, 'kernels.cc'),
    path.join(here, 'gemm.cc'),
    path.join(here, 'pool.cc'),
    '-o',
    out,
    ...(own ? [] : ['-lopenblas']),
  ];
  // x86-64: no fused multiply-adds the source did not ask for, so the elementwise kernels' per-CPU clones
  // (ML_CLONES in kernels.cc) round exactly as the x86-64-v2 baseline does; the GEMM's FMAs are intrinsics.
  if (process.arch === 'x64') args.splice(2, 0, '-ffp-contract=off');
  else args.splice(1, 1);
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (!r.error && r.status === 0) return null;
  rmSync(out, { force: true });
  if (r.error) return { ran: false, why: r.error.message };
  const err = (r.stderr || '')
    .split('\n')
    .filter((l) => l.includes('error'))
    .slice(0, 2)
    .join(' ')
    .trim();
  return { ran: true, why: err || `${cxx} exited with status ${r.status}` };
}

function main() {
  if (process.env.METALEARN_NATIVE === '0') return say('skipped (METALEARN_NATIVE=0)');
  if (process.platform !== 'linux' && process.platform !== 'darwin')
    return say(`no native build on ${process.platform}; using the wasm kernels`);
  const include = [
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  ].find((d) => d && existsSync(path.join(d, 'node_api.h')));
  if (!include) return say("Node's headers (node_api.h) not found; using the wasm kernels");
  const gemm = process.env.METALEARN_GEMM ?? 'own';
  if (gemm !== 'own' && gemm !== 'openblas')
    say(`METALEARN_GEMM must be 'own' or 'openblas', not '${gemm}'; using the default (our own)`);
  const blasOff = process.env.METALEARN_BLAS === 'none';
  const hasCblas = !blasOff && blasIncludes.some((d) => existsSync(path.join(d, 'cblas.h')));
  const cxx = process.env.CXX || 'g++';
  mkdirSync(outDir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  let failed = null;
  let gemmPath = 'our own (AVX-512, AVX2+FMA or portable, chosen at run time by the CPU)';
  if (gemm === 'openblas' && hasCblas) {
    failed = compile(cxx, include, false, tmp);
    if (!failed) gemmPath = 'OpenBLAS';
    else if (failed.ran)
      say(`OpenBLAS found but the build with it failed (${failed.why}); building with our own GEMM`);
  } else if (gemm === 'openblas') {
    say(`OpenBLAS not found${blasOff ? ' (METALEARN_BLAS=none)' : ''}; building with our own GEMM`);
  }
  if (gemmPath !== 'OpenBLAS' && (!failed || failed.ran)) failed = compile(cxx, include, true, tmp);
  if (failed) {
    // An older build would not match kernels.cc (the library calls what this source defines): remove it.
    rmSync(target, { force: true });
    return say(`not built (${failed.why}); using the wasm kernels`);
  }
  renameSync(tmp, target); // whole file or none, like every other write of this project
  say(`built ${path.relative(process.cwd(), target)}, GEMM: ${gemmPath}`);
}

main();
