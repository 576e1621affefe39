import { tf } from '../engine/tf.js';
import { type Module, childCtx, expectShape, positiveInt, where } from './module.js';
import { batchNorm, conv2d, flatten, maxPool2d, type BatchNormOptions } from './layers.js';
import { type Params, type State, subParams, withPrefix } from './params.js';

/** Options of resnet12. */
export interface ResNet12Options {
  inChannels?: number;
  /** Channels of the four residual blocks; default [64, 160, 320, 640] (Lee et al. 2019, MetaOptNet). */
  channels?: readonly [number, number, number, number];
  /** Slope of the leaky ReLUs; default 0.1. */
  leak?: number;
  /**
   * 'flatten' (default, as MetaOptNet: 84x84 input gives 5 x 5 x 640 = 16,000 features) or 'avg' (global
   * average pooling, 640 features, as Tian et al. 2020 and later work).
   */
  pool?: 'flatten' | 'avg';
  batchNorm?: BatchNormOptions;
}

/** Float32 tensors of each block's convolution output size that a training pass keeps for backprop. */
const KEPT_PER_BLOCK = 12.25; // 3 convs, 3 batch norms, 2 leaky ReLUs, shortcut conv + norm, sum, ReLU, pool (1/4)

/**
 * Bytes of the activations resnet12 keeps for the backward pass on `batch` images of h x w: about 12
 * float32 tensors of each block's output size. 80 images of 84x84 (a 5-way 1-shot 15-query episode) at the
 * default widths: 3.4 GiB.
 */
export function resnet12ActivationBytes(
  batch: number,
  h: number,
  w: number,
  channels: readonly number[] = [64, 160, 320, 640],
): number {
  let total = 0;
  for (const c of channels) {
    total += batch * h * w * c * 4 * KEPT_PER_BLOCK;
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  return total;
}

/**
 * The most activation bytes (resnet12ActivationBytes) a differentiated resnet12 pass may need on the wasm
 * backend, whose memory is one wasm32 heap of at most 4 GiB. The backward pass needs about twice the kept
 * activations (gradients, masks, heap fragments): measured at 84x84, 32 images (1.37 GiB by this count)
 * ran with the heap at 2.8 GiB, while 58 (2.5 GiB) and 80 (3.4 GiB) ran the heap out and aborted
 * (results/images/README.md). 1.4 GiB admits up to 32 images of 84x84.
 */
export const WASM_ACTIVATION_LIMIT = 1.4 * 2 ** 30;

/**
 * ResNet-12 of MetaOptNet (Lee et al. 2019): four residual blocks, each three 3x3 convolutions (no bias)
 * with batch norm and leaky ReLU between them, a 1x1 convolution + batch norm on the shortcut, leaky ReLU
 * after the sum, then 2x2 max-pooling. DropBlock regularisation is not included. Params:
 * block{i}.conv{1,2,3}.w, block{i}.bn{1,2,3}.{gamma,beta}, block{i}.short.w, block{i}.shortbn.{gamma,beta}.
 */
export function resnet12(opts: ResNet12Options = {}): Module & { outputDim(h: number, w: number): number } {
  const who = 'resnet12';
  const inC = positiveInt(opts.inChannels ?? 3, 'inChannels', who);
  const chans = opts.channels ?? [64, 160, 320, 640];
  if (chans.length !== 4)
    throw new Error(`${who}: option channels must list 4 block widths, got ${chans.length}`);
  chans.forEach((c, i) => positiveInt(c, `channels[${i}]`, who));
  const leak = opts.leak ?? 0.1;
  const pool = opts.pool ?? 'flatten';
  const blocks = chans.map((out, i) => {
    const inn = i === 0 ? inC : chans[i - 1];
    return {
      convs: [
        conv2d(inn, out, 3, { bias: false }),
        conv2d(out, out, 3, { bias: false }),
        conv2d(out, out, 3, { bias: false }),
      ],
      bns: [0, 1, 2].map(() => batchNorm(out, opts.batchNorm)),
      short: conv2d(inn, out, 1, { bias: false }),
      shortbn: batchNorm(out, opts.batchNorm),
    };
  });
  return {
    name: 'resnet12',
    outputDim: (h, w) => {
      for (let i = 0; i < 4; i++) {
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
      }
      if (h < 1 || w < 1) throw new Error(`${who}: input too small for 4 blocks of 2x2 pooling`);
      return pool === 'avg' ? chans[3] : h * w * chans[3];
    },
    init: (rng) => {
      let p: Params = {};
      blocks.forEach((b, i) => {
        b.convs.forEach((c, j) => (p = { ...p, ...withPrefix(`block${i}.conv${j + 1}`, c.init(rng)) }));
        b.bns.forEach((n, j) => (p = { ...p, ...withPrefix(`block${i}.bn${j + 1}`, n.init(rng)) }));
        p = { ...p, ...withPrefix(`block${i}.short`, b.short.init(rng)) };
        p = { ...p, ...withPrefix(`block${i}.shortbn`, b.shortbn.init(rng)) };
      });
      return p;
    },
    initState: () => {
      let s: State = {};
      blocks.forEach((b, i) => {
        b.bns.forEach((n, j) => (s = { ...s, ...withPrefix(`block${i}.bn${j + 1}`, n.initState!()) }));
        s = { ...s, ...withPrefix(`block${i}.shortbn`, b.shortbn.initState!()) };
      });
      return s;
    },
    apply: (p, x, ctx) => {
      expectShape(x, [null, null, null, inC], where(ctx, who));
      if ((x.shape[1] as number) < 16 || (x.shape[2] as number) < 16)
        throw new Error(
          `${where(ctx, who)}: input [${x.shape.join(', ')}] is too small for 4 pooling blocks`,
        );
      checkWasmMemory(x.shape as number[], chans, where(ctx, who));
      return tf.tidy(() => {
        let h = x;
        blocks.forEach((b, i) => {
          const name = `block${i}`;
          const c = childCtx(ctx, name);
          let y = h;
          for (let j = 0; j < 3; j++) {
            y = b.convs[j].apply(subParams(p, `${name}.conv${j + 1}`), y, childCtx(c, `conv${j + 1}`));
            y = b.bns[j].apply(subParams(p, `${name}.bn${j + 1}`), y, childCtx(c, `bn${j + 1}`));
            if (j < 2) y = tf.leakyRelu(y, leak);
          }
          let s = b.short.apply(subParams(p, `${name}.short`), h, childCtx(c, 'short'));
          s = b.shortbn.apply(subParams(p, `${name}.shortbn`), s, childCtx(c, 'shortbn'));
          // Pool first: leaky ReLU is increasing, so it commutes with the max (values and gradients).
          h = tf.leakyRelu(maxPool2d(tf.add(y, s), 2), leak);
        });
        return pool === 'avg' ? tf.mean(h, [1, 2]) : flatten(h);
      });
    },
  };
}

/**
 * Refuse, with the way out, a differentiated pass on the wasm backend whose activations cannot fit in its
 * 4 GiB heap: there the step would end in an abort of the wasm module ("Aborted()" or "memory access out
 * of bounds"), which loses every tensor.
 */
function checkWasmMemory(shape: number[], chans: readonly number[], who: string): void {
  if (tf.getBackend() !== 'wasm') return;
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  if ((state?.gradientDepth ?? 0) === 0) return;
  const [n, h, w] = shape;
  const need = resnet12ActivationBytes(n, h, w, chans);
  if (need <= WASM_ACTIVATION_LIMIT) return;
  const most = Math.floor((WASM_ACTIVATION_LIMIT / need) * n);
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  throw new Error(
    `${who}: a training pass on ${n} images of ${h}x${w} keeps about ${gib(need)} GiB of activations, more than the wasm backend's 4 GiB memory holds (its limit here: ${gib(WASM_ACTIVATION_LIMIT)} GiB, up to ${most} images of this size); use fewer images per episode (ways x (shots + queries)), smaller images, narrower channels, or the tensorflow backend (@tensorflow/tfjs-node)`,
  );
}
