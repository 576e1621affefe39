import { tf } from '../engine/tf.js';
import type { Optimizer } from '../nn/optim.js';
import type { Params } from '../nn/params.js';

/**
 * Runs one of the library's optimisers per group of parameters (the trainer groups by owner: the shared
 * parameters, each task's own, the weighting strategy's), stepping only groups that got a gradient.
 * A task absent from a step (task sampling) keeps its head, its Adam moments and its step count, as
 * PyTorch skips parameters whose .grad is None, so independent models inside a multi-task run train
 * exactly as they would alone. One optimiser call per group rather than per tensor keeps the update
 * cheap. Within a group that got some gradients, a key without one is stepped with a zero gradient.
 */
export class GroupedOptimizer<S> {
  private readonly states = new Map<string, S>();

  constructor(
    private readonly opt: Optimizer<S>,
    private readonly groupOf: (key: string) => string = (k) => k,
  ) {}

  /** New params record: stepped entries replace (and dispose) the old tensors, the rest are carried over. */
  step(params: Params, grads: Params): Params {
    const groups = new Map<string, string[]>();
    for (const k of Object.keys(params)) {
      const g = this.groupOf(k);
      let list = groups.get(g);
      if (!list) groups.set(g, (list = []));
      list.push(k);
    }
    for (const k of Object.keys(grads)) {
      if (!(k in params)) throw new Error(`optimizer: gradient for unknown parameter '${k}'`);
    }
    const out: Params = { ...params };
    for (const [g, keys] of groups) {
      if (!keys.some((k) => k in grads)) continue;
      const p: Params = {};
      const gr: Params = {};
      const zeros: tf.Tensor[] = [];
      for (const k of keys) {
        p[k] = params[k];
        if (k in grads) gr[k] = grads[k];
        else zeros.push((gr[k] = tf.zerosLike(params[k])));
      }
      const r = this.opt.step(p, gr, this.states.get(g) ?? this.opt.init(p));
      tf.dispose(zeros);
      for (const k of keys) out[k] = r.params[k];
      this.states.set(g, r.state);
    }
    return out;
  }

  dispose(): void {
    for (const s of this.states.values()) this.opt.dispose(s);
    this.states.clear();
  }
}
