import { tf } from '../engine/tf.js';
import { type Module, childCtx, expectShape, positiveInt, where } from './module.js';
import { batchNorm, conv2d, flatten, maxPool2d, type BatchNormOptions } from './layers.js';
import { type Params, type State, subParams, withPrefix } from './params.js';

/** Options of conv4. */
export interface Conv4Options {
  inChannels?: number;
  /** Filters per block (64 in the literature). */
  hidden?: number;
  blocks?: number;
  batchNorm?: BatchNormOptions;
}

/**
 * The few-shot backbone of Vinyals et al. / Finn et al.: blocks of [conv 3x3 (same), batch norm, ReLU,
 * max-pool 2]. 28x28 input gives 28 -> 14 -> 7 -> 3 -> 1, a 64-d embedding. Batch norm defaults to
 * transductive batch statistics, as MAML and ProtoNets use it in episodes. Params: block{i}.conv.{w,b},
 * block{i}.bn.{gamma,beta}.
 */
export function conv4(opts: Conv4Options = {}): Module & { outputDim(h: number, w: number): number } {
  const inC = positiveInt(opts.inChannels ?? 1, 'inChannels', 'conv4');
  const hidden = positiveInt(opts.hidden ?? 64, 'hidden', 'conv4');
  const nBlocks = positiveInt(opts.blocks ?? 4, 'blocks', 'conv4');
  const convs = Array.from({ length: nBlocks }, (_, i) => conv2d(i === 0 ? inC : hidden, hidden, 3));
  const bns = Array.from({ length: nBlocks }, () => batchNorm(hidden, opts.batchNorm));
  return {
    name: 'conv4',
    outputDim: (h, w) => {
      for (let i = 0; i < nBlocks; i++) {
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
      }
      if (h < 1 || w < 1) throw new Error(`conv4: input too small for ${nBlocks} blocks of 2x2 pooling`);
      return h * w * hidden;
    },
    init: (rng) => {
      let p: Params = {};
      for (let i = 0; i < nBlocks; i++) {
        p = {
          ...p,
          ...withPrefix(`block${i}.conv`, convs[i].init(rng)),
          ...withPrefix(`block${i}.bn`, bns[i].init(rng)),
        };
      }
      return p;
    },
    initState: () => {
      let s: State = {};
      for (let i = 0; i < nBlocks; i++) s = { ...s, ...withPrefix(`block${i}.bn`, bns[i].initState!()) };
      return s;
    },
    apply: (p, x, ctx) => {
      expectShape(x, [null, null, null, inC], where(ctx, 'conv4'));
      if ((x.shape[1] as number) < 2 ** nBlocks || (x.shape[2] as number) < 2 ** nBlocks) {
        throw new Error(
          `${where(ctx, 'conv4')}: input [${x.shape.join(', ')}] is too small for ${nBlocks} pooling blocks`,
        );
      }
      return tf.tidy(() => {
        let h = x;
        for (let i = 0; i < nBlocks; i++) {
          const c = childCtx(ctx, `block${i}`);
          h = convs[i].apply(subParams(p, `block${i}.conv`), h, childCtx(c, 'conv'));
          h = bns[i].apply(subParams(p, `block${i}.bn`), h, childCtx(c, 'bn'));
          // relu(maxPool(h)) = maxPool(relu(h)), values and gradients (ReLU is monotone), on a quarter of
          // the elements.
          h = tf.relu(maxPool2d(h, 2));
        }
        return flatten(h);
      });
    },
  };
}
