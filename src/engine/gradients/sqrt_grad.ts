import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

export const sqrtGradConfig: MetaGradConfig = {
  kernelName: 'Sqrt',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.div(dy, tf.mul(2, tf.sqrt(x))) }),
};
