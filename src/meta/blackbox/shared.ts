import { tf } from '../../engine/tf.js';
import { type Rng, sizeOf } from '../../engine/rng.js';
import { oneHotF32 } from '../../engine/onehot.js';
import { type Module, TRAIN, positiveInt } from '../../nn/module.js';
import { conv4, type Conv4Options } from '../../nn/conv4.js';
import { type Params, disposeParams, subParams, valueAndGrads, withPrefix } from '../../nn/params.js';
import type { SupportQuery } from '../../tasks/types.js';

/** How a black-box learner turns one input into a feature vector before it reads the set. */
export type EncoderSpec = 'flat' | 'conv4' | Module;

/** How a black-box learner embeds its inputs: a flat or Conv4 encoder, and the input shape. */
export interface EncoderOptions {
  /**
   * 'flat': the input's values as they are (raw pixels, as in Santoro et al. 2016); 'conv4': a Conv4
   * embedding trained end to end with the rest; or any module mapping [n, ...inputShape] to [n, embedDim].
   * Its params live under `encoder.`.
   */
  encoder?: EncoderSpec;
  /** Values per input for 'flat' (default: the product of inputShape, 784 for 28x28x1 images). */
  inputDim?: number;
  /** Shape of one input, for 'conv4' and the default of inputDim (default [28, 28, 1]). */
  inputShape?: number[];
  /** Options of the 'conv4' encoder (filters, blocks, batch norm). */
  conv4?: Conv4Options;
  /** Output size of a custom encoder module (required with one). */
  embedDim?: number;
}

export interface Encoder {
  readonly dim: number;
  init(rng: Rng): Params;
  /** [n, ...] -> [n, dim]. */
  encode(theta: Params, x: tf.Tensor): tf.Tensor;
  /**
   * Support and query features of episodes of one shape: [B, ns, dim] and [B, nq, dim]. A module
   * encoder sees each episode's support and query images in one pass, so a transductive batch norm
   * normalises every episode on its own statistics (as ProtoNets and the peer benchmark do), the same
   * whether the episode is evaluated alone or trained in a meta-batch.
   */
  encodeEpisodes(theta: Params, episodes: SupportQuery[]): { es: tf.Tensor; eq: tf.Tensor };
}

export function makeEncoder(opts: EncoderOptions, defaultKind: 'flat' | 'conv4', who: string): Encoder {
  const spec = opts.encoder ?? defaultKind;
  const inputShape = opts.inputShape ?? [28, 28, 1];
  if (
    !Array.isArray(inputShape) ||
    inputShape.length === 0 ||
    !inputShape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new Error(
      `${who}: option 'inputShape' must be a non-empty list of positive integers, got ${JSON.stringify(opts.inputShape)}`,
    );
  }
  if (spec === 'flat') {
    const dim = positiveInt(opts.inputDim ?? sizeOf(inputShape), 'inputDim', who);
    const flat = (x: tf.Tensor) => {
      const per = x.rank <= 1 ? 1 : sizeOf(x.shape.slice(1));
      if (per !== dim) {
        throw new Error(
          `${who}: the 'flat' encoder expects ${dim} values per input, got input of shape [${x.shape.join(', ')}]`,
        );
      }
      return tf.reshape(x, [x.shape[0], dim]);
    };
    return {
      dim,
      init: () => ({}),
      encode: (_theta, x) => flat(x),
      encodeEpisodes: (_theta, eps) =>
        tf.tidy(() => ({
          es: tf.stack(eps.map((e) => flat(e.support.x))),
          eq: tf.stack(eps.map((e) => flat(e.query.x))),
        })),
    };
  }
  let module: Module;
  let dim: number;
  if (spec === 'conv4') {
    if (inputShape.length !== 3) {
      throw new Error(
        `${who}: the 'conv4' encoder needs an image inputShape [h, w, c], got ${JSON.stringify(inputShape)}`,
      );
    }
    const c4 = conv4({ inChannels: inputShape[2], ...opts.conv4 });
    module = c4;
    dim = c4.outputDim(inputShape[0], inputShape[1]);
  } else if (spec && typeof spec === 'object' && typeof spec.apply === 'function') {
    module = spec;
    dim = positiveInt(opts.embedDim, 'embedDim', who);
  } else {
    throw new Error(
      `${who}: option 'encoder' must be 'flat', 'conv4' or a module, got ${JSON.stringify(spec)}`,
    );
  }
  const encode = (theta: Params, x: tf.Tensor) => {
    const e = module.apply(subParams(theta, 'encoder'), x, TRAIN);
    if (e.rank !== 2 || e.shape[1] !== dim) {
      throw new Error(`${who}: the encoder should give [n, ${dim}], gave [${e.shape.join(', ')}]`);
    }
    return e;
  };
  return {
    dim,
    init: (rng) => withPrefix('encoder', module.init(rng)),
    encode,
    encodeEpisodes: (theta, eps) =>
      tf.tidy(() => {
        const es: tf.Tensor[] = [];
        const eq: tf.Tensor[] = [];
        for (const ep of eps) {
          const ns = ep.support.x.shape[0];
          const e = encode(theta, tf.concat([ep.support.x, ep.query.x], 0));
          es.push(tf.slice(e, [0, 0], [ns, dim]));
          eq.push(tf.slice(e, [ns, 0], [-1, dim]));
        }
        return { es: tf.stack(es), eq: tf.stack(eq) };
      }),
  };
}

/**
 * Class labels as float one-hot rows, after checking they are integers in 0..ways-1: an out-of-range
 * label would otherwise become a silent all-zero row, indistinguishable from a query's empty slot.
 */
export function labelOneHot(y: tf.Tensor, ways: number, who: string): tf.Tensor {
  if (y.rank !== 1) throw new Error(`${who}: class labels must have shape [n], got [${y.shape.join(', ')}]`);
  const v = y.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isInteger(v[i]) || v[i] < 0 || v[i] >= ways) {
      throw new Error(`${who}: label ${v[i]} at index ${i} is not a class index in 0..${ways - 1}`);
    }
  }
  return oneHotF32(y, ways);
}

/** Episodes grouped by the shapes of their four tensors, so each group can be stacked into one batch. */
export function groupByShape(episodes: SupportQuery[]): SupportQuery[][] {
  const groups = new Map<string, SupportQuery[]>();
  for (const ep of episodes) {
    const key = [ep.support.x, ep.support.y, ep.query.x, ep.query.y].map((t) => t.shape.join('x')).join('|');
    const g = groups.get(key);
    if (g) g.push(ep);
    else groups.set(key, [ep]);
  }
  return [...groups.values()];
}

/**
 * Mean query loss over a meta-batch and its gradient, one tape for the whole batch. `groupLoss` gives
 * the mean loss over all queries of a group of same-shaped episodes, which equals the mean of their
 * per-episode means; groups are weighted by their number of episodes, so the result is the same
 * per-episode mean that the default (one episode at a time) metaGrads computes.
 */
export function batchedMetaGrads(
  who: string,
  theta: Params,
  episodes: SupportQuery[],
  groupLoss: (p: Params, group: SupportQuery[]) => tf.Scalar,
): { loss: number; grads: Params } {
  if (episodes.length === 0) throw new Error(`${who}: the meta-batch is empty`);
  const groups = groupByShape(episodes);
  const n = episodes.length;
  const { value, grads } = valueAndGrads(theta, (p) =>
    tf.tidy(() => {
      let total: tf.Tensor | null = null;
      for (const g of groups) {
        const l = tf.mul(groupLoss(p, g), g.length / n);
        total = total === null ? l : tf.add(total, l);
      }
      return total as tf.Scalar;
    }),
  );
  const loss = value.dataSync()[0];
  value.dispose();
  if (!Number.isFinite(loss)) {
    disposeParams(grads);
    throw new Error(`${who}: the query loss is ${loss}; training stopped before the parameters were updated`);
  }
  return { loss, grads };
}

/** [B, ...rest] -> [B * k, ...rest], each row repeated k times in a row (b0, b0, ..., b1, b1, ...). */
export function repeatRows(t: tf.Tensor, k: number): tf.Tensor {
  // A broadcasting add, whose gradient is a sum over the repeats: gather's gradient needs
  // UnsortedSegmentSum (missing on wasm), and tile's slices inner axes (slow on cpu).
  return tf.tidy(() => {
    const [b, ...rest] = t.shape;
    const wide = tf.add(tf.expandDims(t, 1), tf.zeros([1, k, ...rest]));
    return tf.reshape(wide, [b * k, ...rest]);
  });
}

export function checkWays(ways: unknown, who: string): number {
  const w = positiveInt(ways, 'ways', who);
  if (w < 2) throw new Error(`${who}: option 'ways' must be at least 2, got ${w}`);
  return w;
}

/** A non-empty list of positive layer sizes from option `field` (default `dflt`), or a clear error. */
export function layerSizes(v: unknown, field: string, who: string, dflt: number[]): number[] {
  const s = v ?? dflt;
  if (!Array.isArray(s) || s.length === 0)
    throw new Error(`${who}: option '${field}' must be a non-empty list of layer sizes`);
  s.forEach((d, i) => positiveInt(d, `${field}[${i}]`, who));
  return s as number[];
}

/** t as float32 rows [n, d] (one example per leading index), or an error naming `what` and the shape. */
export function asRows(t: tf.Tensor, d: number, what: string, who: string): tf.Tensor {
  const per = t.rank <= 1 ? 1 : t.shape.slice(1).reduce((a, b) => a * b, 1);
  if (per !== d)
    throw new Error(`${who}: expected ${what} with ${d} value(s) per example, got [${t.shape.join(', ')}]`);
  return tf.reshape(tf.cast(t, 'float32'), [t.shape[0], d]);
}

/** Regression episodes of one shape stacked for a set encoder: xs, ys [B, ns, .] and xq, yq [B, nq, .]. */
export function stackRegression(
  eps: SupportQuery[],
  xDim: number,
  yDim: number,
  who: string,
): { xs: tf.Tensor; ys: tf.Tensor; xq: tf.Tensor; yq: tf.Tensor } {
  const rows = (t: tf.Tensor, d: number, what: string) => asRows(t, d, what, who);
  return tf.tidy(() => ({
    xs: tf.stack(eps.map((e) => rows(e.support.x, xDim, 'support x'))),
    ys: tf.stack(eps.map((e) => rows(e.support.y, yDim, 'support y'))),
    xq: tf.stack(eps.map((e) => rows(e.query.x, xDim, 'query x'))),
    yq: tf.stack(eps.map((e) => rows(e.query.y, yDim, 'query y'))),
  }));
}
