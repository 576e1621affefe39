import * as tf from '@tensorflow/tfjs';
import { conv2dFilterGrad, conv2dInputGrad, explicitPadding, type PadAttr } from './conv2d_backprop.js';
import { pair } from '../window_attrs.js';
import type { MetaGradConfig } from './grad_config.js';

/** Both gradients as forward convolutions (conv2d_backprop.ts): differentiable again, and no wasm gap. */
export const conv2dGradConfig: MetaGradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, [x, filter], attrs) => {
    if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
      throw new Error(`conv2d gradient: only NHWC is supported, got ${String(attrs.dataFormat)}`);
    }
    const dy4 = dy as tf.Tensor4D;
    const x4 = x as tf.Tensor4D;
    const w4 = filter as tf.Tensor4D;
    const strides = pair(attrs.strides as number | number[], 'conv2d strides');
    const dilations = pair((attrs.dilations as number | number[]) ?? 1, 'conv2d dilations');
    const [kh, kw] = w4.shape;
    const pad = explicitPadding(
      attrs.pad as PadAttr,
      x4.shape[1],
      x4.shape[2],
      kh,
      kw,
      strides[0],
      strides[1],
      dilations[0],
      dilations[1],
    );
    const g = { strides, dilations, pad };
    return {
      x: () => conv2dInputGrad(dy4, w4, x4.shape, g),
      filter: () => conv2dFilterGrad(x4, dy4, w4.shape, g),
    };
  },
};
