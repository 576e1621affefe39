// The peer benchmark's workloads (../shared/peer/README.md), timed on this library (src/experiment/bench),
// and the PyTorch peer run in the same invocation when it is installed, with the ratio ours/peer per
// workload and thread count.
//   npm run bench -- [--workloads protonet,maml:first_order] [--threads 1,2] [--iters 20] [--warmup 3]
//                    [--no-peer] [--backend wasm] [--profile] [--json]
// Ours at N threads: N threads inside each native kernel (METALEARN_THREADS, setKernelThreads); the peer
// at N threads: torch.set_num_threads(N) (its bench.py --threads N). `metalearn bench` times ours alone;
// the peer and where it lives are this development script's business.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { initEngine, type BackendName } from '../src/engine/backend.js';
import { timeMamlWorkers } from '../src/experiment/bench/maml_workers.js';
import {
  benchKey,
  benchOurs,
  benchTable,
  kernelPath,
  parseThreadList,
  DEFAULT_BENCH_WORKLOADS,
  type BenchResult,
} from '../src/experiment/bench/workloads.js';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: DEFAULT_BENCH_WORKLOADS },
    threads: { type: 'string', default: '1,2' },
    iters: { type: 'string', default: '20' },
    'maml-iters': { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    'no-peer': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});

const backend = await initEngine({ backend: values.backend as BackendName });
const iters = Number(values.iters);
const mamlIters = Number(values['maml-iters']);
const warmup = Number(values.warmup);
const threads = parseThreadList(values.threads!, 'npm run bench');
const flags = (() => {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return ['avx512f', 'avx2', 'fma'].filter((f) => new RegExp(`\\b${f}\\b`).test(info)).join(' ');
  } catch {
    return '';
  }
})();
const machine = `${os.cpus()[0]?.model ?? 'cpu'} x ${os.availableParallelism()} (${flags}), node ${process.version}`;
console.error(`metalearn-ts on ${backend} (${kernelPath()}), ${machine}`);
const workloads = values.workloads!.split(',').map((s) => s.trim());
const peerScript = path.resolve(new URL('.', import.meta.url).pathname, '../../shared/peer/bench.py');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const runPeer = !values['no-peer'] && existsSync(peerScript) && hasTorch;
const ours: BenchResult[] = [];
const peer: Record<string, BenchResult> = {};

function peerRun(workload: string, variant: string, t: number): void {
  const isMaml = workload === 'maml';
  const p = spawnSync(
    '/usr/bin/python3',
    [
      peerScript,
      '--workloads',
      `${workload}:${variant}`,
      '--threads',
      String(t),
      '--iters',
      String(isMaml ? mamlIters : iters),
      '--warmup',
      String(isMaml ? 1 : warmup),
    ],
    { encoding: 'utf8' },
  );
  for (const line of p.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as BenchResult;
    peer[benchKey(j)] = j;
    console.error(`peer  ${benchKey(j).padEnd(24)} median ${j.median_ms.toFixed(1)} ms`);
  }
}

// Workload by workload, the peer right after ours: the VM's speed drifts by 10-30% over minutes, so each
// ratio compares two runs seconds apart rather than the two halves of a long invocation.
for (const t of threads) {
  for (const w of workloads) {
    const rows = await benchOurs({
      workloads: [w],
      iters,
      mamlIters,
      warmup,
      threads: t,
      mamlWorkers: timeMamlWorkers,
      profile: values.profile,
      log: (s) => console.error(s),
    });
    ours.push(...rows);
    if (runPeer && rows[0]) peerRun(rows[0].workload, rows[0].variant, t);
  }
}
if (!runPeer && !values['no-peer']) {
  console.error(
    `peer not run: ${!existsSync(peerScript) ? `${peerScript} missing` : 'python3-torch not installed (apt-get install python3-torch libopenblas0-pthread)'}`,
  );
}

console.log(`ours: ${kernelPath()}; machine: ${machine}`);
for (const line of benchTable(ours, peer)) console.log(line);
if (values.json) console.log(JSON.stringify({ backend, kernels: kernelPath(), machine, ours, peer }));
