import { tf } from '../engine/tf.js';
import { type Module, childCtx } from './module.js';
import { type Params, type State, subParams, withPrefix } from './params.js';

/**
 * Modules applied one after another, each under its own name: sequential([['backbone', conv4()],
 * ['head', dense(64, 5)]]) has params 'backbone.*' and 'head.*'. Intermediate outputs are freed.
 */
export function sequential(layers: [string, Module][]): Module {
  const names = new Set<string>();
  for (const [n] of layers) {
    if (!/^[A-Za-z_][\w]*$/.test(n))
      throw new Error(`sequential: layer name '${n}' must be an identifier (no dots)`);
    if (names.has(n)) throw new Error(`sequential: layer name '${n}' is used twice`);
    names.add(n);
  }
  return {
    name: 'sequential',
    init: (rng) => {
      let p: Params = {};
      for (const [n, m] of layers) p = { ...p, ...withPrefix(n, m.init(rng)) };
      return p;
    },
    initState: () => {
      let s: State = {};
      for (const [n, m] of layers) if (m.initState) s = { ...s, ...withPrefix(n, m.initState()) };
      return s;
    },
    apply: (p, x, ctx) =>
      tf.tidy(() => {
        let h = x;
        for (const [n, m] of layers) h = m.apply(subParams(p, n), h, childCtx(ctx, n));
        return h;
      }),
  };
}
