import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

export const tanhGradConfig: MetaGradConfig = {
  kernelName: 'Tanh',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({
    x: () => {
      const t = tf.tanh(x);
      return tf.mul(dy, tf.sub(1, tf.square(t)));
    },
  }),
};
