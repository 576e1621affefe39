import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

export const sigmoidGradConfig: MetaGradConfig = {
  kernelName: 'Sigmoid',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({
    x: () => {
      const s = tf.sigmoid(x);
      return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
    },
  }),
};
