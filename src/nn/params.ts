import { tf } from '../engine/tf.js';

/**
 * Parameters are a flat record of tensors keyed by dotted paths ('block0.conv.w'). Flat records keep
 * gradients, optimiser state, inner-loop updates and serialisation one-liners, as in higher and Haiku.
 */
export type Params = Record<string, tf.Tensor>;

/** Non-trainable state (batch-norm running statistics), keyed like Params. */
export type State = Record<string, tf.Tensor>;

/** The entries of `p` under `prefix.`, with the prefix removed. */
export function subParams(p: Params, prefix: string): Params {
  const out: Params = {};
  const pre = prefix + '.';
  for (const k of Object.keys(p)) if (k.startsWith(pre)) out[k.slice(pre.length)] = p[k];
  return out;
}

/** The entries of `p` with `prefix.` added to every key. */
export function withPrefix(prefix: string, p: Params): Params {
  const out: Params = {};
  for (const k of Object.keys(p)) out[`${prefix}.${k}`] = p[k];
  return out;
}

/** A new Params record with `fn` applied to every tensor. */
export function mapParams(p: Params, fn: (t: tf.Tensor, name: string) => tf.Tensor): Params {
  const out: Params = {};
  for (const k of Object.keys(p)) out[k] = fn(p[k], k);
  return out;
}

/** Apply fn to matching entries of a and b (same keys required). */
export function zipParams(
  a: Params,
  b: Params,
  fn: (x: tf.Tensor, y: tf.Tensor, name: string) => tf.Tensor,
): Params {
  const out: Params = {};
  for (const k of Object.keys(a)) {
    if (!(k in b)) throw new Error(`parameter '${k}' is missing from the second record`);
    out[k] = fn(a[k], b[k], k);
  }
  return out;
}

/** Free every tensor of a Params record (undefined is allowed). */
export function disposeParams(p: Params | undefined): void {
  if (p) for (const k of Object.keys(p)) p[k].dispose();
}

/** A copy of every tensor of a Params record. */
export function cloneParams(p: Params): Params {
  return mapParams(p, (t) => tf.clone(t));
}

/** Total number of scalars in a Params record. */
export function countParams(p: Params): number {
  let n = 0;
  for (const k of Object.keys(p)) n += p[k].size;
  return n;
}

/** Values and gradients of a scalar loss of the parameters (keys preserved). */
export function valueAndGrads(
  params: Params,
  loss: (p: Params) => tf.Scalar,
): { value: tf.Scalar; grads: Params } {
  const names = Object.keys(params);
  const f = (...ts: tf.Tensor[]) => {
    const p: Params = {};
    names.forEach((n, i) => (p[n] = ts[i]));
    return loss(p);
  };
  const { value, grads } = tf.valueAndGrads(f)(names.map((n) => params[n]));
  const g: Params = {};
  names.forEach((n, i) => (g[n] = grads[i]));
  return { value, grads: g };
}
