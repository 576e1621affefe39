import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

export const logGradConfig: MetaGradConfig = {
  kernelName: 'Log',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.div(dy, x) }),
};
