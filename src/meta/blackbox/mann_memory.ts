import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { TRAIN, positiveInt } from '../../nn/module.js';
import { lstm, lstmScan } from '../../nn/lstm.js';
import { dense } from '../../nn/layers.js';
import { type Params, subParams, withPrefix } from '../../nn/params.js';
import type { MetaLearner } from '../types.js';
import type { LabelledSet, SupportQuery } from '../../tasks/types.js';
import { type EncoderOptions, batchedMetaGrads, checkWays, labelOneHot, makeEncoder } from './shared.js';
import { seedOfTensors } from '../common.js';

/** Options of mannMemory. */
export interface MannMemoryOptions extends EncoderOptions {
  /** Classes per episode (N). */
  ways: number;
  /** Units of the LSTM controller (default 200, as in Santoro et al. 2016). */
  controller?: number;
  /** Memory slots (default 128). */
  slots?: number;
  /** Size of one slot (default 40). */
  slotSize?: number;
  /** Read heads; each also writes (default 4). */
  heads?: number;
  /** Usage decay gamma (default 0.95). */
  gamma?: number;
  /**
   * A learned key strength beta >= 1 per head multiplies the cosine similarities before the softmax
   * (as the NTM's, Graves et al. 2014); without it (false, the MANN paper's equations) a cosine in
   * [-1, 1] spreads a read over all slots (default true).
   */
  keyStrength?: boolean;
  name?: string;
}

/**
 * The state of the memory network between two steps: controller state, the read vectors r_{t-1}, the
 * memory M_t, the read weights w^r_t, the usage w^u_t (plain numbers: it only picks the least-used
 * slots, an argmin with no gradient), and the label to present with the next input (one step late).
 */
export interface LruaState {
  h: tf.Tensor;
  c: tf.Tensor;
  /** [B, heads * slotSize]. */
  r: tf.Tensor;
  /** [B, slots, slotSize]. */
  memory: tf.Tensor;
  /** [B, heads, slots]. */
  readW: tf.Tensor;
  /** [B * slots], row-major. */
  usage: Float32Array;
  /** One-hot label of the last item read, [B, ways] (zeros before the first). */
  lastLabel: tf.Tensor;
}

/** A memory-augmented network with LRUA memory as a MetaLearner, with its sequence protocol exposed. */
export type MannMemoryLearner = MetaLearner<LruaState> & {
  /**
   * Logits at every step of sequences read as in the paper: step t sees x_t and the label of step
   * t - 1, so its output predicts x_t's class before that label is shown. x [B, T, ...] (encoded
   * through the learner's encoder), labels int [B, T] -> logits [B, T, ways].
   */
  sequenceLogits(theta: Params, x: tf.Tensor, labels: tf.Tensor): tf.Tensor;
};

/**
 * Accuracy at the k-th presentation of a class within sequences (Santoro et al. 2016, Table 1): the
 * step where a class appears for the k-th time is scored by its prediction there. logits [B, T, ways]
 * values and labels [B, T] -> for k = 1..maxK, correct and total counts.
 */
export function presentationAccuracy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  steps: number,
  ways: number,
  maxK = 10,
): { correct: number[]; total: number[] } {
  if (logits.length !== batch * steps * ways || labels.length !== batch * steps) {
    throw new Error(
      `presentationAccuracy: expected ${batch} x ${steps} x ${ways} logits and ${batch} x ${steps} labels, got ${logits.length} and ${labels.length}`,
    );
  }
  const correct = new Array<number>(maxK).fill(0);
  const total = new Array<number>(maxK).fill(0);
  for (let b = 0; b < batch; b++) {
    const seen = new Array<number>(ways).fill(0);
    for (let t = 0; t < steps; t++) {
      const y = labels[b * steps + t];
      const k = ++seen[y];
      if (k > maxK) continue;
      const o = (b * steps + t) * ways;
      let best = 0;
      for (let c = 1; c < ways; c++) if (logits[o + c] > logits[o + best]) best = c;
      total[k - 1]++;
      if (best === y) correct[k - 1]++;
    }
  }
  return { correct, total };
}

/**
 * The `heads` least-used slots of each row of usage [B * slots], least first, ties to the lower index:
 * one-hot [B, heads, slots] (head i writes to the i-th least used slot), and the least used as [B, slots].
 */
function leastUsed(usage: Float32Array, b: number, slots: number, heads: number) {
  const lu = new Float32Array(b * heads * slots);
  const first = new Float32Array(b * slots);
  const idx = Array.from({ length: slots }, (_, i) => i);
  for (let r = 0; r < b; r++) {
    const order = idx.slice().sort((i, j) => usage[r * slots + i] - usage[r * slots + j] || i - j);
    for (let h = 0; h < heads; h++) lu[(r * heads + h) * slots + order[h]] = 1;
    first[r * slots + order[0]] = 1;
  }
  return { lu: tf.tensor3d(lu, [b, heads, slots]), first: tf.tensor2d(first, [b, slots]) };
}

/**
 * A memory-augmented neural network with least-recently-used access (Santoro et al. 2016, "One-shot
 * learning with memory-augmented neural networks"): an LSTM controller reads [x_t, y_{t-1}, r_{t-1}];
 * each head emits a key k_t (tanh), a write gate sigma(alpha_t) and a key strength; writes go to
 * w^w_t = sigma(alpha) w^r_{t-1} + (1 - sigma(alpha)) w^lu_{t-1} after the least-used slot is zeroed;
 * reads are w^r_t = softmax(beta cos(k_t, M_t(i))), r_t = w^r_t M_t; usage w^u_t = gamma w^u_{t-1} +
 * w^r_t + w^w_t. The logits are a dense layer on [h_t, r_t]. The label comes one step late, as in the
 * paper, so the network must bind a label to the memory of the previous input.
 *
 * As a MetaLearner: adapt reads the support set as a sequence (in an order shuffled by a seed of the
 * support, since episodes come sorted by class); predict reads each query as one more step from that
 * memory, with the last support label as its label input, so queries do not see each other.
 * metaGrads uses the paper's objective: support and query items shuffled into one sequence and the
 * cross-entropy at every step. Params: encoder.*, controller.{wx,wh,b}, key.*, gate.*, beta.*, out.*.
 */
export function mannMemory(opts: MannMemoryOptions): MannMemoryLearner {
  const who = 'mannMemory';
  const ways = checkWays(opts.ways, who);
  const hidden = positiveInt(opts.controller ?? 200, 'controller', who);
  const slots = positiveInt(opts.slots ?? 128, 'slots', who);
  const slotSize = positiveInt(opts.slotSize ?? 40, 'slotSize', who);
  const heads = positiveInt(opts.heads ?? 4, 'heads', who);
  if (heads > slots) throw new Error(`${who}: option 'heads' (${heads}) must not exceed 'slots' (${slots})`);
  const gamma = opts.gamma ?? 0.95;
  if (!(gamma >= 0 && gamma <= 1)) throw new Error(`${who}: option 'gamma' must be in [0, 1], got ${gamma}`);
  const useBeta = opts.keyStrength ?? true;
  const enc = makeEncoder(opts, 'flat', who);
  const readDim = heads * slotSize;
  const ctrl = lstm(enc.dim + ways + readDim, hidden);
  const keyL = dense(hidden, readDim);
  const gateL = dense(hidden, heads);
  const betaL = dense(hidden, heads);
  const outL = dense(hidden + readDim, ways);

  const initial = (b: number): LruaState => ({
    h: tf.zeros([b, hidden]),
    c: tf.zeros([b, hidden]),
    r: tf.zeros([b, readDim]),
    // Not exactly 0, so cosine similarities are defined before the first write.
    memory: tf.fill([b, slots, slotSize], 1e-6),
    readW: tf.zeros([b, heads, slots]),
    usage: new Float32Array(b * slots),
    lastLabel: tf.zeros([b, ways]),
  });

  /** One step: features e [B, dim] with the state's lastLabel; returns logits [B, ways] and the next state (label not yet set). */
  const step = (theta: Params, s: LruaState, e: tf.Tensor) => {
    const b = e.shape[0];
    const { lu, first } = leastUsed(s.usage, b, slots, heads);
    const out = tf.tidy(() => {
      const inp = tf.expandDims(tf.concat([e, s.lastLabel, s.r], 1), 1);
      const cs = lstmScan(subParams(theta, 'controller'), inp, s.h, s.c);
      const k = tf.reshape(tf.tanh(keyL.apply(subParams(theta, 'key'), cs.h, TRAIN)), [b, heads, slotSize]);
      const a = tf.expandDims(tf.sigmoid(gateL.apply(subParams(theta, 'gate'), cs.h, TRAIN)), 2);
      const writeW = tf.add(tf.mul(a, s.readW), tf.mul(tf.sub(1, a), lu)); // [B, H, N]
      const cleared = tf.mul(s.memory, tf.expandDims(tf.sub(1, first), 2));
      const memory = tf.add(cleared, tf.matMul(tf.transpose(writeW, [0, 2, 1]), k));
      const kn = tf.div(k, tf.add(tf.norm(k, 'euclidean', 2, true), 1e-8));
      const mn = tf.div(memory, tf.add(tf.norm(memory, 'euclidean', 2, true), 1e-8));
      let sim = tf.matMul(kn, tf.transpose(mn, [0, 2, 1])); // [B, H, N]
      if (useBeta) {
        const beta = tf.add(tf.softplus(betaL.apply(subParams(theta, 'beta'), cs.h, TRAIN)), 1);
        sim = tf.mul(sim, tf.expandDims(beta, 2));
      }
      const readW = tf.softmax(sim, -1);
      const r = tf.reshape(tf.matMul(readW, memory), [b, readDim]);
      const logits = outL.apply(subParams(theta, 'out'), tf.concat([cs.h, r], 1), TRAIN);
      return { h: cs.h, c: cs.c, r, memory, readW, writeW, logits };
    });
    tf.dispose([lu, first]);
    // Usage is bookkeeping for the argmin of the next step: plain numbers, no gradient (the paper's
    // w^lu is an indicator, so none would flow through it).
    const wr = out.readW.dataSync();
    const ww = out.writeW.dataSync();
    out.writeW.dispose();
    const usage = new Float32Array(b * slots);
    for (let r = 0; r < b; r++) {
      for (let i = 0; i < slots; i++) {
        let u = gamma * s.usage[r * slots + i];
        for (let h = 0; h < heads; h++)
          u += wr[(r * heads + h) * slots + i] + ww[(r * heads + h) * slots + i];
        usage[r * slots + i] = u;
      }
    }
    const next = { h: out.h, c: out.c, r: out.r, memory: out.memory, readW: out.readW, usage };
    return { logits: out.logits, next };
  };

  const disposeState = (s: LruaState) => tf.dispose([s.h, s.c, s.r, s.memory, s.readW, s.lastLabel]);

  /**
   * Runs features es [B, T, dim] with labels oh [B, T, ways] (each shown one step late) from a fresh
   * memory; returns every step's logits [B, T, ways] and the final state, its lastLabel the last item's.
   * Intermediate states are freed as it goes, except what the tape holds.
   */
  const run = (theta: Params, es: tf.Tensor, oh: tf.Tensor, keepState: boolean) => {
    const [b, steps] = es.shape as [number, number];
    let s = initial(b);
    const xs = tf.unstack(es, 1);
    const ys = tf.unstack(oh, 1);
    const logits: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const o = step(theta, s, xs[t]);
      disposeState(s);
      s = { ...o.next, lastLabel: ys[t] };
      logits.push(o.logits);
    }
    tf.dispose(xs);
    const out = tf.stack(logits, 1);
    tf.dispose(logits);
    if (!keepState) {
      disposeState(s);
      return { logits: out, state: null };
    }
    return { logits: out, state: s };
  };

  /** A seeded permutation of 0..n-1. */
  const perm = (n: number, seed: number) => new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));

  const sequenceLogits = (theta: Params, x: tf.Tensor, labels: tf.Tensor) =>
    tf.tidy(() => {
      const [b, steps] = labels.shape as [number, number];
      const e = tf.reshape(enc.encode(theta, tf.reshape(x, [b * steps, ...x.shape.slice(2)])), [
        b,
        steps,
        enc.dim,
      ]);
      const oh = tf.reshape(labelOneHot(tf.reshape(labels, [b * steps]), ways, who), [b, steps, ways]);
      return run(theta, e, oh, false).logits;
    });

  /** Each episode's support and query, shuffled together by a seed of the episode, as sequences. */
  const trainLoss = (theta: Params, grp: SupportQuery[]) =>
    tf.tidy(() => {
      const { es, eq } = enc.encodeEpisodes(theta, grp);
      const ns = es.shape[1] as number;
      const n = ns + (eq.shape[1] as number);
      const all = tf.concat([es, eq], 1);
      const labels = tf.concat(
        [tf.stack(grp.map((e) => e.support.y)), tf.stack(grp.map((e) => e.query.y))],
        1,
      );
      const orders = grp.map((e) => perm(n, seedOfTensors([e.support.x, e.query.x])));
      const idx = tf.tensor2d(
        orders.flatMap((o, bi) => o.map((j) => bi * n + j)),
        [grp.length, n],
        'int32',
      );
      // Gathering rows by a flat index: the gradient of gather is an unsorted segment sum, so the
      // permutation is applied as a one-hot matmul instead (wasm has no UnsortedSegmentSum).
      const p = tf.stack(orders.map((o) => tf.oneHot(tf.tensor1d(o, 'int32'), n).asType('float32')));
      const seq = tf.matMul(p, all);
      const ys = tf.reshape(tf.gather(tf.reshape(labels, [-1]), idx), [grp.length, n]);
      const oh = tf.reshape(labelOneHot(tf.reshape(ys, [-1]), ways, who), [grp.length, n, ways]);
      const logits = run(theta, seq, oh, false).logits;
      const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), oh), 2)));
      return ce as tf.Scalar;
    });

  return {
    name: opts.name ?? 'mann-memory',
    family: 'black-box',
    loss: 'cross-entropy',
    init: (rng) => ({
      ...enc.init(rng),
      ...withPrefix('controller', ctrl.init(rng)),
      ...withPrefix('key', keyL.init(rng)),
      ...withPrefix('gate', gateL.init(rng)),
      ...(useBeta ? withPrefix('beta', betaL.init(rng)) : {}),
      ...withPrefix('out', outL.init(rng)),
    }),
    sequenceLogits,
    adapt: (theta, support: LabelledSet) => {
      const n = support.x.shape[0];
      const order = perm(n, seedOfTensors([support.x, support.y]));
      const prepared = tf.tidy(() => {
        const e = tf.gather(enc.encode(theta, support.x), tf.tensor1d(order, 'int32'));
        const y = tf.gather(support.y, tf.tensor1d(order, 'int32'));
        return { e: tf.expandDims(e, 0), oh: tf.expandDims(labelOneHot(y, ways, who), 0) };
      });
      const { logits, state } = run(theta, prepared.e, prepared.oh, true);
      tf.dispose([logits, prepared.e, prepared.oh]);
      return state!;
    },
    predict: (theta, phi, x) => {
      const e = enc.encode(theta, x);
      const nq = e.shape[0];
      const rep = (t: tf.Tensor) => tf.tidy(() => tf.add(t, tf.zeros([nq, ...t.shape.slice(1)])));
      const usage = new Float32Array(nq * slots);
      for (let q = 0; q < nq; q++) usage.set(phi.usage.subarray(0, slots), q * slots);
      const s: LruaState = {
        h: rep(phi.h),
        c: rep(phi.c),
        r: rep(phi.r),
        memory: rep(phi.memory),
        readW: rep(phi.readW),
        usage,
        lastLabel: rep(phi.lastLabel),
      };
      const o = step(theta, s, e);
      disposeState(s);
      tf.dispose([e, o.next.h, o.next.c, o.next.r, o.next.memory, o.next.readW]);
      return o.logits;
    },
    disposePhi: disposeState,
    metaGrads: (theta, episodes) => batchedMetaGrads(who, theta, episodes, trainLoss),
  };
}
