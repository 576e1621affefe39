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
          h = maxPool2d(tf.leakyRelu(tf.add(y, s), leak), 2);
        });
        return pool === 'avg' ? tf.mean(h, [1, 2]) : flatten(h);
      });
    },
  };
}
