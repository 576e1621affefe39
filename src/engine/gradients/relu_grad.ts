import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

export const reluGradConfig: MetaGradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.step(x)) }),
};
