import { tf } from '../engine/tf.js';
import { nativeAdamStep } from '../engine/kernels/native.js';
import { type Params, disposeParams, mapParams, subParams, withPrefix } from './params.js';

/**
 * Functional optimisers: `step` returns new params and state and disposes the old ones, so a training
 * loop is `({ params, state } = opt.step(params, grads, state))` with flat tensor memory.
 */
export interface Optimizer<S> {
  init(params: Params): S;
  step(params: Params, grads: Params, state: S): { params: Params; state: S };
  dispose(state: S): void;
  /** State as tensors and plain values, for checkpoints (the tensors stay owned by the state). */
  save(state: S): { tensors: Params; meta: Record<string, unknown> };
  /** Rebuild a state from save()'s output; takes ownership of the tensors. */
  restore(tensors: Params, meta: Record<string, unknown>): S;
}

function checkGrads(params: Params, grads: Params): void {
  for (const k of Object.keys(params)) {
    if (!(k in grads)) throw new Error(`optimizer: no gradient for parameter '${k}'`);
  }
}

/** Plain gradient descent with learning rate `lr`. */
export function sgd(lr: number): Optimizer<null> {
  if (!(lr > 0)) throw new Error(`sgd: option 'lr' must be a positive number, got ${lr}`);
  return {
    init: () => null,
    step: (params, grads) => {
      checkGrads(params, grads);
      const next = mapParams(params, (p, k) => tf.tidy(() => tf.sub(p, tf.mul(grads[k], lr))));
      disposeParams(params);
      return { params: next, state: null };
    },
    dispose: () => {},
    save: () => ({ tensors: {}, meta: { kind: 'sgd' } }),
    restore: () => null,
  };
}

/** Options of adam. */
export interface AdamOptions {
  /** A rate, or the rate at each step (1-based, the step count Adam keeps and checkpoints). */
  lr?: number | ((step: number) => number);
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** Adam's state: first and second moment estimates, and the step count. */
export interface AdamState {
  t: number;
  m: Params;
  v: Params;
}

/** Adam with bias correction, as torch.optim.Adam computes it. */
export function adam(opts: AdamOptions = {}): Optimizer<AdamState> {
  const lr = opts.lr ?? 1e-3;
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  if (typeof lr !== 'function' && !(lr > 0)) {
    throw new Error(`adam: option 'lr' must be a positive number or a function of the step, got ${lr}`);
  }
  const rateAt = (t: number): number => {
    const r = typeof lr === 'function' ? lr(t) : lr;
    if (!(r > 0)) throw new Error(`adam: the learning rate at step ${t} must be a positive number, got ${r}`);
    return r;
  };
  return {
    init: (params) => ({
      t: 0,
      m: mapParams(params, (p) => tf.zerosLike(p)),
      v: mapParams(params, (p) => tf.zerosLike(p)),
    }),
    step: (params, grads, state) => {
      checkGrads(params, grads);
      const t = state.t + 1;
      const c1 = 1 - Math.pow(b1, t);
      const c2 = 1 - Math.pow(b2, t);
      const rate = rateAt(t);
      const m: Params = {};
      const v: Params = {};
      const next: Params = {};
      // One native kernel per parameter where the addon runs (thirteen tensor ops otherwise); the ops
      // when the step itself is being differentiated.
      const fuse = !tf.engine().isTapeOn();
      const attrs = { b1, b2, stepSize: rate / c1, c2, eps };
      for (const k of Object.keys(params)) {
        const g = grads[k];
        const fused = fuse ? nativeAdamStep(params[k], g, state.m[k], state.v[k], attrs) : null;
        if (fused) {
          [next[k], m[k], v[k]] = fused;
          continue;
        }
        m[k] = tf.tidy(() => tf.add(tf.mul(state.m[k], b1), tf.mul(g, 1 - b1)));
        v[k] = tf.tidy(() => tf.add(tf.mul(state.v[k], b2), tf.mul(tf.square(g), 1 - b2)));
        next[k] = tf.tidy(() =>
          tf.sub(params[k], tf.div(tf.mul(m[k], rate / c1), tf.add(tf.sqrt(tf.div(v[k], c2)), eps))),
        );
      }
      disposeParams(params);
      disposeParams(state.m);
      disposeParams(state.v);
      return { params: next, state: { t, m, v } };
    },
    dispose: (state) => {
      disposeParams(state.m);
      disposeParams(state.v);
    },
    save: (state) => ({
      tensors: { ...withPrefix('m', state.m), ...withPrefix('v', state.v) },
      meta: { kind: 'adam', t: state.t },
    }),
    restore: (tensors, meta) => {
      if (meta.kind !== 'adam' || typeof meta.t !== 'number') {
        throw new Error(`adam: cannot restore optimiser state of kind '${String(meta.kind)}'`);
      }
      return { t: meta.t, m: subParams(tensors, 'm'), v: subParams(tensors, 'v') };
    },
  };
}
