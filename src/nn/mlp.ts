import { tf } from '../engine/tf.js';
import { type Module, childCtx } from './module.js';
import { type Activation, dense } from './layers.js';
import { type Params, subParams, withPrefix } from './params.js';

/** Options of mlp. */
export interface MlpOptions {
  activation?: Activation;
  /** Activation after the last layer too (default: no). */
  activateLast?: boolean;
}

/** Dense layers `sizes[0] -> sizes[1] -> ...`, params under `fc0`, `fc1`, ... */
export function mlp(sizes: number[], opts: MlpOptions = {}): Module {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new Error(
      `mlp: option 'sizes' must list at least an input and an output size, got ${JSON.stringify(sizes)}`,
    );
  }
  const act = opts.activation ?? 'relu';
  if (!['relu', 'tanh', 'sigmoid', 'identity'].includes(act)) {
    throw new Error(`mlp: unknown activation '${String(act)}'; expected relu, tanh, sigmoid or identity`);
  }
  // The activation inside each dense layer, where the native kernels fuse a ReLU with the product.
  const layers = sizes
    .slice(1)
    .map((out, i) =>
      dense(sizes[i], out, { activation: i < sizes.length - 2 || opts.activateLast ? act : 'identity' }),
    );
  return {
    name: 'mlp',
    init: (rng) => {
      let p: Params = {};
      layers.forEach((l, i) => (p = { ...p, ...withPrefix(`fc${i}`, l.init(rng)) }));
      return p;
    },
    apply: (p, x, ctx) =>
      tf.tidy(() => {
        let h = x;
        layers.forEach((l, i) => {
          h = l.apply(subParams(p, `fc${i}`), h, childCtx(ctx, `fc${i}`));
        });
        return h;
      }),
  };
}
