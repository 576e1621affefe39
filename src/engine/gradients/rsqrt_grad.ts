import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

export const rsqrtGradConfig: MetaGradConfig = {
  kernelName: 'Rsqrt',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.div(tf.mul(-0.5, tf.rsqrt(x)), x)) }),
};
