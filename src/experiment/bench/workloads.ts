/**
 * The workloads of the peer benchmark's protocol, timed on this library: ProtoNet training and
 * inference, MAML with second- and first-order meta-gradients, a MANN (LSTM) step and a multi-task MLP
 * with per-task heads. Step definitions follow the peer: data is generated before timing and cycled; a
 * step runs from the prepared tensors to the end of the optimiser update (training) or to the predicted
 * labels (inference). `metalearn bench` runs them; the comparison with the PyTorch peer is a development
 * script (bench/bench.ts).
 */
import { tf } from '../../engine/tf.js';
import { kernelThreads, setKernelThreads } from '../../engine/backend.js';
import { nativeGemmPath, nativeKernelsActive } from '../../engine/kernels/native.js';
import { Rng } from '../../engine/rng.js';
import { sparseSoftmaxCrossEntropy } from '../../engine/ops.js';
import { conv4 } from '../../nn/conv4.js';
import { resnet12 } from '../../nn/resnet12.js';
import { dense } from '../../nn/layers.js';
import { lstm } from '../../nn/lstm.js';
import { mlp } from '../../nn/mlp.js';
import { sequential } from '../../nn/sequential.js';
import { TRAIN } from '../../nn/module.js';
import { disposeParams, subParams, valueAndGrads, withPrefix, type Params } from '../../nn/params.js';
import { adam } from '../../nn/optim.js';
import { negSquaredDistances, classMeans } from '../../meta/metric/protonet.js';

const N = 5;
const K = 1;
const QUERIES = 15;
const Q = QUERIES;
const POOL = 4;

/** Peer's synthetic images: a 7x7 U(0,1) grid upsampled 4x, plus N(0,1) noise per pixel; class order. */
export function images(rng: Rng, ways: number, perClass: number): tf.Tensor4D {
  const out = new Float32Array(ways * perClass * 784);
  for (let c = 0; c < ways; c++) {
    const g = rng.uniformArray(49);
    for (let k = 0; k < perClass; k++) {
      const o = (c * perClass + k) * 784;
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) out[o + y * 28 + x] = g[(y >> 2) * 7 + (x >> 2)] + rng.normal();
    }
  }
  return tf.tensor4d(out, [ways * perClass, 28, 28, 1]);
}

export const labels = (per: number) =>
  tf.tensor1d(
    Array.from({ length: N * per }, (_, i) => Math.floor(i / per)),
    'int32',
  );

/**
 * Wait for an update to land, like the peer's step end, by reading one value. (Returning a whole
 * dataSync() array from a tidy made tfjs walk every element of it: 0.3 s per MANN step.)
 */
export function settle(t: tf.Tensor): void {
  tf.tidy(() => {
    tf.slice(tf.reshape(t, [-1]), 0, 1).dataSync();
  });
}

interface Workload {
  prepare(rng: Rng): unknown;
  step(batch: unknown): void;
  dispose(): void;
}

/**
 * Colour images for the 84x84x3 workloads, made like `images`: a 21x21x3 U(0,1) grid per class upsampled
 * 4x, plus N(0,1) noise per value.
 */
function images84(rng: Rng, ways: number, perClass: number): tf.Tensor4D {
  const px = 84 * 84 * 3;
  const out = new Float32Array(ways * perClass * px);
  for (let c = 0; c < ways; c++) {
    const g = rng.uniformArray(21 * 21 * 3);
    for (let k = 0; k < perClass; k++) {
      const o = (c * perClass + k) * px;
      for (let y = 0; y < 84; y++)
        for (let x = 0; x < 84; x++)
          for (let ch = 0; ch < 3; ch++)
            out[o + (y * 84 + x) * 3 + ch] = g[((y >> 2) * 21 + (x >> 2)) * 3 + ch] + rng.normal();
    }
  }
  return tf.tensor4d(out, [ways * perClass, 84, 84, 3]);
}

/**
 * ProtoNet on a backbone: 'conv4' on the peer's 28x28 gray images (the peer workload), or on 84x84 colour
 * images ('conv4-84'), or MetaOptNet's ResNet-12 on 84x84 colour images ('resnet12'), with `Q` queries
 * per class. No peer figure for the last two.
 */
function protonet(
  variant: string,
  rng: Rng,
  backbone: 'conv4' | 'conv4-84' | 'resnet12' = 'conv4',
  Q = QUERIES,
): Workload {
  const net = backbone === 'resnet12' ? resnet12() : conv4({ inChannels: backbone === 'conv4' ? 1 : 3 });
  const make = backbone === 'conv4' ? images : images84;
  let params: Params = net.init(rng);
  const opt = adam({ lr: 1e-3 });
  let state = opt.init(params);
  const ys = labels(K);
  const yq = labels(Q);
  const logits = (p: Params, x: tf.Tensor) => {
    // Support and query in one forward pass, as the peer does: support first, queries after.
    const e = net.apply(p, x, TRAIN);
    return negSquaredDistances(
      tf.slice(e, [N * K, 0], [-1, -1]),
      classMeans(tf.slice(e, [0, 0], [N * K, -1]), ys, N),
    );
  };
  return {
    prepare: (r) => {
      const s = make(r, N, K + Q); // [c0 k0..k15, c1 ...]: split into support and query in class order
      const idx = (first: boolean) =>
        tf.tensor1d(
          Array.from({ length: N * (first ? K : Q) }, (_, i) => {
            const per = first ? K : Q;
            return Math.floor(i / per) * (K + Q) + (first ? 0 : K) + (i % per);
          }),
          'int32',
        );
      const x = tf.concat([tf.gather(s, idx(true)), tf.gather(s, idx(false))], 0);
      s.dispose();
      return x;
    },
    step: (x) => {
      if (variant === 'infer') {
        tf.tidy(() => tf.argMax(logits(params, x as tf.Tensor), -1).dataSync());
        return;
      }
      const { value, grads } = valueAndGrads(params, (p) =>
        sparseSoftmaxCrossEntropy(logits(p, x as tf.Tensor), yq),
      );
      value.dispose();
      ({ params, state } = opt.step(params, grads, state));
      disposeParams(grads);
      settle(params[backbone === 'resnet12' ? 'block0.conv1.w' : 'block0.conv.w']); // wait for the update, like the peer's step end
    },
    dispose: () => {
      opt.dispose(state);
      disposeParams(params);
      tf.dispose([ys, yq]);
    },
  };
}

function maml(variant: string, rng: Rng): Workload {
  const model = sequential([
    ['backbone', conv4()],
    ['head', dense(64, N)],
  ]);
  let params: Params = model.init(rng);
  const opt = adam({ lr: 1e-3 });
  let state = opt.init(params);
  const ys = labels(K);
  const yq = labels(Q);
  const second = variant === 'second_order';
  return {
    prepare: (r) => Array.from({ length: 32 }, () => ({ s: images(r, N, K), q: images(r, N, Q) })),
    step: (tasks) => {
      let acc: Params | null = null;
      for (const t of tasks as { s: tf.Tensor; q: tf.Tensor }[]) {
        const { value, grads } = valueAndGrads(params, (p) => {
          const inner = valueAndGrads(p, (w) => sparseSoftmaxCrossEntropy(model.apply(w, t.s, TRAIN), ys));
          inner.value.dispose();
          const adapted: Params = {};
          for (const k of Object.keys(p)) {
            const g = second ? inner.grads[k] : tf.tensor(inner.grads[k].dataSync(), inner.grads[k].shape);
            adapted[k] = tf.sub(p[k], tf.mul(g, 0.4));
          }
          return tf.div(sparseSoftmaxCrossEntropy(model.apply(adapted, t.q, TRAIN), yq), 32) as tf.Scalar;
        });
        value.dispose();
        if (acc === null) acc = grads;
        else {
          const prev: Params = acc;
          acc = {};
          for (const k of Object.keys(prev)) acc[k] = tf.add(prev[k], grads[k]);
          disposeParams(prev);
          disposeParams(grads);
        }
      }
      ({ params, state } = opt.step(params, acc!, state));
      disposeParams(acc!);
      settle(params['head.w']);
    },
    dispose: () => {
      opt.dispose(state);
      disposeParams(params);
      tf.dispose([ys, yq]);
    },
  };
}

function mann(rng: Rng): Workload {
  const B = 128;
  const l1 = lstm(784 + N, 128);
  const l2 = lstm(128, N);
  let params: Params = { ...withPrefix('l1', l1.init(rng)), ...withPrefix('l2', l2.init(rng)) };
  const opt = adam({ lr: 1e-3 });
  let state = opt.init(params);
  return {
    prepare: (r) => {
      const seq = new Float32Array(B * 10 * 789);
      const target = new Int32Array(B * N);
      for (let b = 0; b < B; b++) {
        const x = images(r, N, 2).dataSync();
        const perm = r.shuffle([0, 1, 2, 3, 4]);
        for (let i = 0; i < 10; i++) {
          const o = (b * 10 + i) * 789;
          const c = i < N ? i : perm[i - N];
          seq.set(x.subarray((c * 2 + (i < N ? 0 : 1)) * 784, (c * 2 + (i < N ? 0 : 1) + 1) * 784), o);
          if (i < N) seq[o + 784 + c] = 1;
          else target[b * N + i - N] = c;
        }
      }
      return { seq: tf.tensor3d(seq, [B, 10, 789]), target: tf.tensor1d(target, 'int32') };
    },
    step: (batch) => {
      const { seq, target } = batch as { seq: tf.Tensor; target: tf.Tensor };
      const { value, grads } = valueAndGrads(params, (p) => {
        const h = l2.apply(subParams(p, 'l2'), l1.apply(subParams(p, 'l1'), seq));
        return sparseSoftmaxCrossEntropy(tf.reshape(tf.slice(h, [0, N, 0], [-1, N, -1]), [-1, N]), target);
      });
      value.dispose();
      ({ params, state } = opt.step(params, grads, state));
      disposeParams(grads);
      settle(params['l1.wx']);
    },
    dispose: () => {
      opt.dispose(state);
      disposeParams(params);
    },
  };
}

function mtl(rng: Rng): Workload {
  const T = 20;
  const M = 32;
  const trunk = mlp([784, 256, 256], { activateLast: true });
  const b = 1 / Math.sqrt(256);
  let params: Params = {
    ...withPrefix('trunk', trunk.init(rng)),
    'heads.w': rng.uniformTensor([T, 256, 5], -b, b),
    'heads.b': rng.uniformTensor([T, 1, 5], -b, b),
  };
  const opt = adam({ lr: 1e-3 });
  let state = opt.init(params);
  const teachers = tf.matMul(
    rng.normalTensor([784, 16]),
    tf.reshape(rng.normalTensor([T, 16, 5]), [T, 16, 5]) as tf.Tensor3D,
  );
  return {
    prepare: (r) =>
      tf.tidy(() => {
        const x = r.uniformTensor([T, M, 784]);
        const y = tf.argMax(tf.matMul(tf.sub(x, 0.5), teachers), -1);
        return { x, y };
      }),
    step: (batch) => {
      const { x, y } = batch as { x: tf.Tensor; y: tf.Tensor };
      const { value, grads } = valueAndGrads(params, (p) => {
        const h = tf.reshape(trunk.apply(subParams(p, 'trunk'), tf.reshape(x, [T * M, 784])), [T, M, 256]);
        const logits = tf.add(tf.matMul(h, p['heads.w']), p['heads.b']);
        return tf.mul(
          sparseSoftmaxCrossEntropy(tf.reshape(logits, [T * M, 5]), tf.reshape(y, [T * M])),
          T,
        ) as tf.Scalar;
      });
      value.dispose();
      ({ params, state } = opt.step(params, grads, state));
      disposeParams(grads);
      settle(params['heads.w']);
    },
    dispose: () => {
      opt.dispose(state);
      disposeParams(params);
      teachers.dispose();
    },
  };
}

export function percentile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** One workload's step time, in the peer's JSON format. */
export interface BenchResult {
  workload: string;
  variant: string;
  /** How ours used its threads: inside each kernel (absent) or as that many worker threads ('workers'). */
  mode?: 'workers';
  /** Threads inside each kernel (ours: the native kernels' pool; the peer: torch.set_num_threads). */
  threads?: number;
  median_ms: number;
  p10_ms: number;
  p90_ms: number;
  iters: number;
}

/** One step under tf.profile: kernel wall time summed by kernel name, largest first. */
async function profileStep(label: string, step: () => void, log: (s: string) => void): Promise<void> {
  const t0 = performance.now();
  // tf.profile awaits its query, so profiling stays on until this await returns: nothing else may run.
  await tf
    .profile(() => step())
    .then((info) => {
      const wall = performance.now() - t0;
      const by = new Map<string, { ms: number; n: number }>();
      for (const k of info.kernels) {
        const e = by.get(k.name) ?? { ms: 0, n: 0 };
        e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        e.n += 1;
        by.set(k.name, e);
      }
      const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.reduce((a, [, e]) => a + e.ms, 0);
      log(
        `profile ${label}: ${info.kernels.length} kernels, ${total.toFixed(1)} ms in kernels, ${wall.toFixed(1)} ms wall`,
      );
      for (const [k, e] of rows.slice(0, 15))
        log(`  ${k.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.n).padStart(5)} calls`);
    });
}

async function time(
  name: string,
  variant: string,
  make: () => Workload,
  iters: number,
  warmup: number,
  profile: boolean,
  log: (s: string) => void,
): Promise<BenchResult> {
  const rng = new Rng(0);
  const w = make();
  const pool = Array.from({ length: POOL }, () => w.prepare(rng));
  for (let i = 0; i < warmup; i++) w.step(pool[i % POOL]);
  if (profile) await profileStep(`${name}:${variant}`, () => w.step(pool[0]), log);
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    w.step(pool[i % POOL]);
    ms.push(performance.now() - t0);
  }
  w.dispose();
  tf.dispose(pool as tf.TensorContainer);
  ms.sort((a, b) => a - b);
  return {
    workload: name,
    variant,
    median_ms: percentile(ms, 0.5),
    p10_ms: percentile(ms, 0.1),
    p90_ms: percentile(ms, 0.9),
    iters,
  };
}

const MAKERS: Record<string, (variant: string) => Workload> = {
  protonet: (v) => protonet(v, new Rng(0)),
  // One ProtoNet training (or inference) step on 84x84x3 images: Conv4, and ResNet-12 (Lee et al. 2019).
  'protonet-conv4-84': (v) => protonet(v, new Rng(0), 'conv4-84'),
  // 5 queries a class (30 images of 84x84): the standard 15 (80 images) needs more than the 4 GiB the wasm
  // heap can hold for ResNet-12's activations (results/images/README.md).
  'protonet-resnet12': (v) => protonet(v, new Rng(0), 'resnet12', 5),
  maml: (v) => maml(v, new Rng(0)),
  mann: () => mann(new Rng(0)),
  mtl: () => mtl(new Rng(0)),
};

/** The workload names (a name:variant picks a variant, e.g. maml:first_order). */
export const BENCH_WORKLOADS: readonly string[] = Object.keys(MAKERS);

/** What `metalearn bench` and `npm run bench` time unless told otherwise. */
export const DEFAULT_BENCH_WORKLOADS =
  'protonet:train,protonet:infer,maml:second_order,maml:first_order,mann:train,mtl:train_bmm';

export interface BenchOptions {
  /** name[:variant] of each workload, e.g. ['protonet:train', 'maml:first_order']. */
  workloads: string[];
  /** Timed steps (MAML: `mamlIters`, its steps are long) after `warmup` untimed ones (MAML: 1). */
  iters: number;
  mamlIters: number;
  warmup: number;
  /** Print one profiled step's kernel times per workload. */
  profile?: boolean;
  /** Threads of the native kernels for these runs (default: as they are); restored afterwards. */
  threads?: number;
  /**
   * With more than one thread, also time MAML with its tasks shared among that many worker threads:
   * `timeMamlWorkers` of the Node-only experiment API (worker threads are not browser-safe, so it is
   * passed in rather than imported here). Needs the native kernels.
   */
  mamlWorkers?: (variant: string, workers: number, iters: number) => Promise<BenchResult>;
  /** Progress and per-workload lines. */
  log?: (s: string) => void;
}

/** `--threads 1,2`: the kernel thread counts to bench, integers from 1 to 256, or an error naming `who`. */
export function parseThreadList(s: string, who: string): number[] {
  return s.split(',').map((t) => {
    const v = Number(t);
    if (!Number.isInteger(v) || v < 1 || v > 256)
      throw new Error(`${who}: --threads must list integers from 1 to 256, got '${t}'`);
    return v;
  });
}

/**
 * Which kernels run the arithmetic: 'native, GEMM openblas' (or own-avx2, ...) when the addon is
 * installed on the wasm backend, else the backend's own ('wasm', 'cpu', ...).
 */
export function kernelPath(): string {
  const gemm = nativeGemmPath();
  return nativeKernelsActive() && tf.getBackend() === 'wasm' && gemm
    ? `native, GEMM ${gemm}`
    : tf.getBackend();
}

/** Time each workload on the current tfjs backend (initEngine first). */
export async function benchOurs(opts: BenchOptions): Promise<BenchResult[]> {
  const before = kernelThreads();
  const threads = opts.threads === undefined ? before : setKernelThreads(opts.threads);
  try {
    return await benchAt(opts, threads);
  } finally {
    if (opts.threads !== undefined) setKernelThreads(before);
  }
}

async function benchAt(opts: BenchOptions, threads: number): Promise<BenchResult[]> {
  const log = opts.log ?? (() => {});
  const ours: BenchResult[] = [];
  for (const w of opts.workloads) {
    const [name, variant = 'train'] = w.split(':');
    if (!MAKERS[name])
      throw new Error(`--workloads: unknown workload '${name}'; known: ${Object.keys(MAKERS).join(', ')}`);
    const isMaml = name === 'maml';
    const r = await time(
      name,
      variant,
      () => MAKERS[name](variant),
      isMaml ? opts.mamlIters : opts.iters,
      isMaml ? 1 : opts.warmup,
      opts.profile ?? false,
      log,
    );
    ours.push({ ...r, threads });
    log(
      `ours  ${w.padEnd(22)} ${threads} thread${threads === 1 ? ' ' : 's'} median ${r.median_ms.toFixed(1)} ms  (p10 ${r.p10_ms.toFixed(1)}, p90 ${r.p90_ms.toFixed(1)}, ${r.iters} steps)`,
    );
    // MAML's tasks are small, so its kernels use a second thread poorly: with several threads it is also
    // timed with the tasks shared among as many workers (issue 17 compares whichever is faster).
    if (isMaml && threads > 1 && opts.mamlWorkers && nativeKernelsActive()) {
      const wr = await opts.mamlWorkers(variant, threads, opts.mamlIters);
      ours.push({ ...wr, threads });
      log(
        `ours  ${w.padEnd(22)} ${threads} workers median ${wr.median_ms.toFixed(1)} ms  (p10 ${wr.p10_ms.toFixed(1)}, p90 ${wr.p90_ms.toFixed(1)}, ${wr.iters} steps)`,
      );
    }
  }
  return ours;
}

/**
 * The Markdown table of our times, and the peer's with the ratio ours/peer where it has them (matched
 * by workload, variant and threads).
 */
export function benchTable(ours: BenchResult[], peer: Record<string, BenchResult> = {}): string[] {
  const f = (x: BenchResult) => `${x.median_ms.toFixed(1)} (${x.p10_ms.toFixed(1)}-${x.p90_ms.toFixed(1)})`;
  return [
    `| workload | threads | ours median ms (p10-p90) | peer median ms (p10-p90) | ours/peer |`,
    `|---|---|---|---|---|`,
    ...ours.map((r) => {
      const p = peer[benchKey(r)];
      const t = r.mode === 'workers' ? `${r.threads} (workers)` : `${r.threads ?? '-'}`;
      return `| ${r.workload}:${r.variant} | ${t} | ${f(r)} | ${p ? f(p) : '-'} | ${p ? (r.median_ms / p.median_ms).toFixed(2) : '-'} |`;
    }),
  ];
}

/** workload:variant:threads, how benchTable matches a peer result to ours. */
export function benchKey(r: BenchResult): string {
  return `${r.workload}:${r.variant}:${r.threads ?? 1}`;
}
