import { tf } from '../engine/tf.js';
import { type Module, childCtx, positiveInt, where } from './module.js';
import { dense } from './layers.js';
import { type Params, subParams, withPrefix } from './params.js';

/** Options of multiHeadAttention. */
export interface AttentionOptions {
  /** Position i attends only to positions <= i (SNAIL-style sequences). */
  causal?: boolean;
  /** Dimension of keys/values when they come from another sequence (defaults to dim). */
  memoryDim?: number;
  /**
   * Dimension of a separate key sequence (input `keys`), for attention whose keys and values differ, as
   * the attentive neural process's (Kim et al. 2019: keys x_i, values r_i; defaults to memoryDim).
   */
  keyDim?: number;
}

/**
 * Input of attention: a sequence to attend within, or a query sequence and a memory to attend to (the
 * keys come from `keys` [batch, tk, keyDim] when given, else from the memory).
 */
export type AttentionInput = tf.Tensor | { query: tf.Tensor; memory: tf.Tensor; keys?: tf.Tensor };

/**
 * Multi-head scaled dot-product attention with output projection. Self-attention on [batch, time, dim],
 * or cross-attention from `query` [batch, tq, dim] to `memory` [batch, tk, memoryDim].
 * Params: q, k, v, o (each dense: w, b).
 */
export function multiHeadAttention(
  dim: number,
  heads: number,
  opts: AttentionOptions = {},
): Module<AttentionInput> {
  const who = 'multiHeadAttention';
  positiveInt(dim, 'dim', who);
  positiveInt(heads, 'heads', who);
  if (dim % heads !== 0) throw new Error(`${who}: 'dim' (${dim}) must be divisible by 'heads' (${heads})`);
  const memDim = opts.memoryDim ?? dim;
  const keyDim = opts.keyDim ?? memDim;
  const dh = dim / heads;
  const q = dense(dim, dim);
  const k = dense(keyDim, dim);
  const v = dense(memDim, dim);
  const o = dense(dim, dim);
  const split = (t: tf.Tensor) => {
    const [b, n] = t.shape;
    return tf.transpose(tf.reshape(t, [b, n, heads, dh]), [0, 2, 1, 3]); // [b, heads, n, dh]
  };
  return {
    name: who,
    init: (rng) => ({
      ...withPrefix('q', q.init(rng)),
      ...withPrefix('k', k.init(rng)),
      ...withPrefix('v', v.init(rng)),
      ...withPrefix('o', o.init(rng)),
    }),
    apply: (p: Params, x: AttentionInput, ctx) => {
      const query = x instanceof tf.Tensor ? x : x.query;
      const memory = x instanceof tf.Tensor ? x : x.memory;
      const keys = x instanceof tf.Tensor ? x : (x.keys ?? x.memory);
      if (query.rank !== 3 || memory.rank !== 3 || query.shape[0] !== memory.shape[0]) {
        throw new Error(
          `${where(ctx, who)}: expected query [batch, tq, ${dim}] and memory [batch, tk, ${memDim}], got [${query.shape.join(', ')}] and [${memory.shape.join(', ')}]`,
        );
      }
      if (keys.rank !== 3 || keys.shape[0] !== memory.shape[0] || keys.shape[1] !== memory.shape[1]) {
        throw new Error(
          `${where(ctx, who)}: expected keys [${memory.shape[0]}, ${memory.shape[1]}, ${keyDim}] (one per memory row), got [${keys.shape.join(', ')}]`,
        );
      }
      return tf.tidy(() => {
        const [b, tq] = query.shape as [number, number];
        const tk = memory.shape[1] as number;
        const Q = split(q.apply(subParams(p, 'q'), query, childCtx(ctx, 'q')));
        const K = split(k.apply(subParams(p, 'k'), keys, childCtx(ctx, 'k')));
        const V = split(v.apply(subParams(p, 'v'), memory, childCtx(ctx, 'v')));
        let scores = tf.mul(tf.matMul(Q, K, false, true), 1 / Math.sqrt(dh)); // [b, h, tq, tk]
        if (opts.causal) {
          const mask = new Float32Array(tq * tk);
          for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) mask[i * tk + j] = -1e9;
          scores = tf.add(scores, tf.tensor(mask, [tq, tk]));
        }
        const att = tf.matMul(tf.softmax(scores), V); // [b, h, tq, dh]
        const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [b, tq, dim]);
        return o.apply(subParams(p, 'o'), merged, childCtx(ctx, 'o'));
      });
    },
  };
}
