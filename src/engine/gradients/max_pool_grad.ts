import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';
import { maxPoolTilingGrad } from './max_pool_backprop.js';
import { isTilingPool, pair } from '../window_attrs.js';

// tfjs's own MaxPool gradient, taken when this module is first evaluated: after the tfjs import above
// has registered it and before registerMetaGradients replaces it.
const stockMaxPool = tf.getGradient('MaxPool');

export const maxPoolGradConfig: MetaGradConfig = {
  kernelName: 'MaxPool',
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [kh, kw] = pair(attrs.filterSize as number | number[], 'maxPool filterSize');
    const [sh, sw] = pair(attrs.strides as number | number[], 'maxPool strides');
    if (isTilingPool(kh, kw, sh, sw, attrs.pad)) {
      return { x: () => maxPoolTilingGrad(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, kh, kw) };
    }
    // Overlapping or padded windows: tfjs's MaxPoolGrad kernel (first order only).
    if (!stockMaxPool) throw new Error('MaxPool gradient: no fallback gradient registered');
    return stockMaxPool.gradFunc(dy, saved, attrs as tf.NamedAttrMap);
  },
};
