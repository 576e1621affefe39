import * as os from 'node:os';
import { initEngine } from '../../engine/backend.js';
import { BACKENDS } from '../../experiment/config.js';
import {
  benchOurs,
  benchTable,
  BENCH_WORKLOADS,
  kernelPath,
  parseThreadList,
  DEFAULT_BENCH_WORKLOADS,
} from '../../experiment/bench/workloads.js';
import { timeMamlWorkers } from '../../experiment/bench/maml_workers.js';
import { flag, oneOf, posInt, str, type Command } from '../schema.js';

function nonNegative(s: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`bench: --warmup must be a non-negative integer, got '${s}'`);
  return v;
}

export const bench: Command = {
  name: 'bench',
  summary: "time the peer benchmark's workloads on this machine: metalearn bench [...]",
  positionals: { names: [], required: 0 },
  options: {
    workloads: {
      type: 'string',
      value: 'name:variant,...',
      help: `workloads to time (${BENCH_WORKLOADS.join(', ')})`,
      shown: DEFAULT_BENCH_WORKLOADS,
    },
    iters: { type: 'string', value: 'N', help: 'timed steps per workload', shown: '20' },
    'maml-iters': { type: 'string', value: 'N', help: 'timed steps of the MAML workloads', shown: '3' },
    warmup: { type: 'string', value: 'N', help: 'untimed steps first (MAML: 1)', shown: '3' },
    backend: { type: 'string', value: 'NAME', help: 'tfjs backend', shown: 'wasm' },
    'no-peer': {
      type: 'boolean',
      help: 'accepted for compatibility: the PyTorch peer runs from npm run bench',
    },
    json: { type: 'boolean', help: 'also print the results as one JSON line' },
    profile: { type: 'boolean', help: "print one profiled step's kernel times per workload" },
    threads: {
      type: 'string',
      value: 'N,...',
      help: 'threads inside each native kernel, one run per number (default: METALEARN_THREADS or all cores)',
    },
  },
  description: `Times the workloads of the peer benchmark's protocol here (median, p10, p90 ms per step): ProtoNet
training and inference, MAML second and first order, MANN, a multi-task MLP. The comparison with the
PyTorch peer (ours/peer) is 'npm run bench' in a checkout of the repository.`,
  run: async (a) => {
    const backend = await initEngine({ backend: oneOf('bench', a, 'backend', BACKENDS) ?? 'wasm' });
    console.error(
      `metalearn-ts on ${backend} (${kernelPath()}), ${os.cpus()[0]?.model ?? 'cpu'} x ${os.availableParallelism()}, node ${process.version}`,
    );
    const t = str(a, 'threads');
    const threads = t === undefined ? [undefined] : parseThreadList(t, 'bench');
    const ours = [];
    for (const t of threads) {
      ours.push(
        ...(await benchOurs({
          workloads: (str(a, 'workloads') ?? DEFAULT_BENCH_WORKLOADS).split(',').map((s) => s.trim()),
          iters: posInt('bench', a, 'iters') ?? 20,
          mamlIters: posInt('bench', a, 'maml-iters') ?? 3,
          warmup: nonNegative(str(a, 'warmup') ?? '3'),
          profile: flag(a, 'profile'),
          threads: t,
          mamlWorkers: timeMamlWorkers,
          log: (s) => console.error(s),
        })),
      );
    }
    for (const line of benchTable(ours)) console.log(line);
    if (flag(a, 'json')) console.log(JSON.stringify({ backend, ours, peer: {} }));
    return 0;
  },
};
