import { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import { moments } from '../engine/ops.js';
import { fusedBatchNorm } from '../engine/batch_norm.js';
import { nativeDense } from '../engine/kernels/native.js';
import { type Ctx, type Module, expectShape, positiveInt, where } from './module.js';
import type { Params, State } from './params.js';

// PyTorch 1.13's default initialisation (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), so
// results can be compared with the peer implementations.
function torchUniform(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const b = 1 / Math.sqrt(fanIn);
  return rng.uniformTensor(shape, -b, b);
}

/** Options of dense. */
export interface DenseOptions {
  bias?: boolean;
  /** Applied to the output (default identity); with the native kernels, a ReLU after the bias is fused into one kernel. */
  activation?: Activation;
}

/** y = act(x W + b) on the last axis (act: identity unless given). Params: w [in, out], b [out]. */
export function dense(inDim: number, outDim: number, opts: DenseOptions = {}): Module {
  positiveInt(inDim, 'inDim', 'dense');
  positiveInt(outDim, 'outDim', 'dense');
  const bias = opts.bias ?? true;
  const act = opts.activation ?? 'identity';
  return {
    name: 'dense',
    init: (rng) => {
      const p: Params = { w: torchUniform(rng, [inDim, outDim], inDim) };
      if (bias) p.b = torchUniform(rng, [outDim], inDim);
      return p;
    },
    apply: (p, x, ctx) => {
      if (x.shape[x.rank - 1] !== inDim) {
        throw new Error(
          `${where(ctx, 'dense')}: expected last dimension ${inDim}, got [${x.shape.join(', ')}]`,
        );
      }
      return tf.tidy(() => {
        const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inDim]);
        const fused =
          bias && (act === 'relu' || act === 'identity') ? nativeDense(flat, p.w, p.b, act === 'relu') : null;
        let y: tf.Tensor;
        if (fused) y = fused;
        else {
          y = tf.matMul(flat as tf.Tensor2D, p.w as tf.Tensor2D) as tf.Tensor;
          if (bias) y = tf.add(y, p.b);
          y = activate(y, act);
        }
        return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
      });
    },
  };
}

/** Convolution padding: 'same', 'valid', or a number of pixels on each side. */
export type Padding = 'same' | 'valid' | number;

/** Options of conv2d. */
export interface Conv2dOptions {
  stride?: number;
  padding?: Padding;
  bias?: boolean;
}

/** 2-D convolution on NHWC input. Params: w [k, k, in, out] (HWIO), b [out]. */
export function conv2d(
  inChannels: number,
  outChannels: number,
  kernel: number,
  opts: Conv2dOptions = {},
): Module {
  const who = 'conv2d';
  positiveInt(inChannels, 'inChannels', who);
  positiveInt(outChannels, 'outChannels', who);
  positiveInt(kernel, 'kernel', who);
  const stride = positiveInt(opts.stride ?? 1, 'stride', who);
  const padding = opts.padding ?? 'same';
  if (!(
    padding === 'same' ||
    padding === 'valid' ||
    (Number.isInteger(padding) && (padding as number) >= 0)
  )) {
    throw new Error(
      `${who}: option 'padding' must be 'same', 'valid' or a non-negative integer, got ${JSON.stringify(padding)}`,
    );
  }
  const bias = opts.bias ?? true;
  const fanIn = inChannels * kernel * kernel;
  return {
    name: 'conv2d',
    init: (rng) => {
      const p: Params = { w: torchUniform(rng, [kernel, kernel, inChannels, outChannels], fanIn) };
      if (bias) p.b = torchUniform(rng, [outChannels], fanIn);
      return p;
    },
    apply: (p, x, ctx) => {
      expectShape(x, [null, null, null, inChannels], where(ctx, who));
      return tf.tidy(() => {
        // Explicit numeric padding goes through tf.pad with a full [[..]] spec: a bare number reaching
        // tfjs's pad was once read as NaN and corrupted wasm memory.
        let xin = x as tf.Tensor4D;
        let pad: 'same' | 'valid' = padding === 'same' ? 'same' : 'valid';
        if (typeof padding === 'number' && padding > 0) {
          xin = tf.pad(xin, [
            [0, 0],
            [padding, padding],
            [padding, padding],
            [0, 0],
          ]);
          pad = 'valid';
        }
        let y: tf.Tensor = tf.conv2d(xin, p.w as tf.Tensor4D, [stride, stride], pad);
        if (bias) y = tf.add(y, p.b);
        return y;
      });
    },
  };
}

/** Options of batchNorm. */
export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  /**
   * Keep running statistics (used when ctx.training is false). Without them the module always
   * normalises with the statistics of the current batch: the transductive batch norm of MAML and
   * ProtoNets, where every episode is normalised on its own.
   */
  trackRunningStats?: boolean;
  affine?: boolean;
}

/** Batch normalisation over every axis but the last (channels), built from moments. */
export function batchNorm(channels: number, opts: BatchNormOptions = {}): Module {
  const who = 'batchNorm';
  positiveInt(channels, 'channels', who);
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const track = opts.trackRunningStats ?? false;
  const affine = opts.affine ?? true;
  return {
    name: 'batchNorm',
    init: (): Params => (affine ? { gamma: tf.ones([channels]), beta: tf.zeros([channels]) } : {}),
    initState: (): State => (track ? { mean: tf.zeros([channels]), var: tf.ones([channels]) } : {}),
    apply: (p, x, ctx) => {
      if (x.shape[x.rank - 1] !== channels) {
        throw new Error(
          `${where(ctx, who)}: expected ${channels} channels in the last axis, got [${x.shape.join(', ')}]`,
        );
      }
      const key = (k: string) => (ctx?.path ? `${ctx.path}.${k}` : k);
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      const useBatch = !track || (ctx?.training ?? true);
      if (!useBatch && !(ctx?.state && ctx.state[key('mean')] && ctx.state[key('var')])) {
        throw new Error(
          `${where(ctx, who)}: evaluation with running statistics needs ctx.state['${key('mean')}'] and ['${key('var')}']`,
        );
      }
      const fused = useBatch && affine ? fusedBatchNorm(x, p.gamma, p.beta, eps) : null; // native kernels only
      const y =
        fused ??
        tf.tidy(() => {
          // The centred input is computed once and gamma is folded into the per-channel scale: two fewer
          // full-size ops forward, and fewer again in each order of the gradient (MAML differentiates this
          // twice, 4 layers x 32 tasks per meta-iteration).
          const mean = useBatch ? tf.mean(x, axes, true) : ctx!.state![key('mean')];
          const xc = tf.sub(x, mean);
          const variance = useBatch ? tf.mean(tf.square(xc), axes, true) : ctx!.state![key('var')];
          let scale = tf.rsqrt(tf.add(variance, eps));
          if (affine) scale = tf.mul(scale, p.gamma);
          const out = tf.mul(xc, scale);
          return affine ? tf.add(out, p.beta) : out;
        });
      if (track && useBatch && ctx?.stateOut && ctx.state) {
        // Running statistics as PyTorch keeps them: unbiased variance, exponential moving average.
        const n = x.size / channels;
        const [m, v] = tf.tidy(() => {
          const { mean, variance } = moments(x, axes);
          const unbiased = tf.mul(tf.reshape(variance, [channels]), n / Math.max(1, n - 1));
          const oldM = ctx.state![key('mean')];
          const oldV = ctx.state![key('var')];
          return [
            tf.add(tf.mul(oldM, 1 - momentum), tf.mul(tf.reshape(mean, [channels]), momentum)),
            tf.add(tf.mul(oldV, 1 - momentum), tf.mul(unbiased, momentum)),
          ];
        });
        // keep(): the caller owns these, even when this runs inside an enclosing tidy.
        ctx.stateOut[key('mean')] = tf.keep(m);
        ctx.stateOut[key('var')] = tf.keep(v);
      }
      return y;
    },
  };
}

/** Layer normalisation over the last axis. */
export function layerNorm(dim: number, opts: { eps?: number } = {}): Module {
  positiveInt(dim, 'dim', 'layerNorm');
  const eps = opts.eps ?? 1e-5;
  return {
    name: 'layerNorm',
    init: () => ({ gamma: tf.ones([dim]), beta: tf.zeros([dim]) }),
    apply: (p, x, ctx) => {
      if (x.shape[x.rank - 1] !== dim) {
        throw new Error(
          `${where(ctx, 'layerNorm')}: expected last dimension ${dim}, got [${x.shape.join(', ')}]`,
        );
      }
      return tf.tidy(() => {
        const { mean, variance } = moments(x, [x.rank - 1]);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), p.gamma), p.beta);
      });
    },
  };
}

/** 2-D max pooling with non-overlapping windows (the case with exact second-order gradients). */
export function maxPool2d(x: tf.Tensor, size = 2): tf.Tensor {
  if (x.rank !== 4) throw new Error(`maxPool2d: expected NHWC input of rank 4, got [${x.shape.join(', ')}]`);
  positiveInt(size, 'size', 'maxPool2d');
  return tf.maxPool(x as tf.Tensor4D, [size, size], [size, size], 'valid');
}

/** Reshape [n, ...] to [n, prod(...)]. */
export function flatten(x: tf.Tensor): tf.Tensor {
  return tf.reshape(x, [x.shape[0], -1]);
}

/** An elementwise activation function by name. */
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'identity';

/** Apply activation `a` to `x`. */
export function activate(x: tf.Tensor, a: Activation): tf.Tensor {
  switch (a) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'identity':
      return x;
    default:
      throw new Error(`unknown activation '${String(a)}'; expected relu, tanh, sigmoid or identity`);
  }
}

export type { Ctx };
