import { tf } from '../engine/tf.js';
import { nativeLstmSeq } from '../engine/kernels/native.js';
import { lstmCellOps } from '../engine/lstm_cell.js';
import type { Rng } from '../engine/rng.js';
import { type Module, expectShape, positiveInt, where } from './module.js';
import type { Params } from './params.js';

/**
 * One LSTM layer over [batch, time, in] -> [batch, time, hidden], zero initial state, gates in PyTorch's
 * order (input, forget, cell, output). The input projection of all time steps is one matmul; a single
 * bias stands for PyTorch's two (their sum). Params: wx [in, 4h], wh [h, 4h], b [4h].
 */
export function lstm(inDim: number, hidden: number): Module {
  const who = 'lstm';
  positiveInt(inDim, 'inDim', who);
  positiveInt(hidden, 'hidden', who);
  const bound = 1 / Math.sqrt(hidden);
  const u = (rng: Rng, shape: number[]) => rng.uniformTensor(shape, -bound, bound);
  return {
    name: 'lstm',
    init: (rng) => {
      const wx = u(rng, [inDim, 4 * hidden]);
      const wh = u(rng, [hidden, 4 * hidden]);
      // PyTorch draws two bias vectors from U(-b, b); their sum is what the cell sees.
      const b1 = u(rng, [4 * hidden]);
      const b2 = u(rng, [4 * hidden]);
      const b = tf.add(b1, b2);
      tf.dispose([b1, b2]);
      return { wx, wh, b };
    },
    apply: (p, x, ctx) => {
      expectShape(x, [null, null, inDim], where(ctx, who));
      return tf.tidy(() => lstmScan(p, x).outputs);
    },
  };
}

/** Output sequence and final state of an LSTM run (see lstmScan). */
export interface LstmScan {
  /** Hidden output at every step, [batch, time, hidden]. */
  outputs: tf.Tensor;
  /** Final hidden and cell state, [batch, hidden] each. */
  h: tf.Tensor;
  c: tf.Tensor;
}

/**
 * The computation of `lstm(...).apply`, starting from a given state (zeros when omitted) and also
 * returning the final state: what a learner needs to continue a sequence later (a black-box learner's
 * memory after the support set). Takes the params of `lstm(inDim, hidden)`; the sizes come from them.
 * A sequence of zero steps returns the initial state and an empty output.
 */
export function lstmScan(p: Params, x: tf.Tensor, h0?: tf.Tensor, c0?: tf.Tensor): LstmScan {
  const who = 'lstmScan';
  if (!p.wx || !p.wh || !p.b) {
    throw new Error(`${who}: params must hold 'wx', 'wh' and 'b' (from lstm(inDim, hidden).init)`);
  }
  const inDim = p.wx.shape[0];
  const hidden = p.wh.shape[0];
  expectShape(x, [null, null, inDim], who);
  const [batch, steps] = x.shape;
  if (h0) expectShape(h0, [batch, hidden], `${who} (h0)`);
  if (c0) expectShape(c0, [batch, hidden], `${who} (c0)`);
  return tf.tidy(() => {
    let h: tf.Tensor = h0 ? tf.clone(h0) : tf.zeros([batch, hidden]);
    let c: tf.Tensor = c0 ? tf.clone(c0) : tf.zeros([batch, hidden]);
    if (steps === 0) return { outputs: tf.zeros([batch, 0, hidden]), h, c };
    const xp = tf.matMul(tf.reshape(x, [batch * steps, inDim]) as tf.Tensor2D, p.wx as tf.Tensor2D);
    // The whole layer in one native kernel where there is one (bias, recurrent products and gates: each
    // tfjs kernel call costs some tens of microseconds, and a MANN step made ~450 of them).
    const fused = nativeLstmSeq(
      tf.reshape(xp, [batch, steps, 4 * hidden]) as tf.Tensor3D,
      p.wh as tf.Tensor2D,
      p.b as tf.Tensor1D,
      h as tf.Tensor2D,
      c as tf.Tensor2D,
    );
    if (fused) {
      const [hs, cs] = fused;
      const last = (s: tf.Tensor) =>
        tf.reshape(tf.slice(s, [0, steps - 1, 0], [batch, 1, hidden]), [batch, hidden]);
      return { outputs: hs, h: last(hs), c: last(cs) };
    }
    const xw = tf.reshape(tf.add(xp, p.b), [batch, steps, 4 * hidden]);
    // Time-major, so that each step's slice and the output stack are contiguous copies (slicing and
    // stacking along an inner axis were a third of a MANN step on wasm).
    const xs =
      steps === 1 ? [tf.reshape(xw, [batch, 4 * hidden])] : tf.unstack(tf.transpose(xw, [1, 0, 2]), 0);
    const outs: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const gates = tf.add(xs[t], tf.matMul(h as tf.Tensor2D, p.wh as tf.Tensor2D));
      [h, c] = lstmCellOps(gates, c);
      outs.push(h);
    }
    const outputs = steps === 1 ? tf.expandDims(h, 1) : tf.transpose(tf.stack(outs, 0), [1, 0, 2]);
    return { outputs, h, c };
  });
}
