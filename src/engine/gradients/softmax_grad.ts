import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

// Softmax's kernel input is named `logits`.
export const softmaxGradConfig: MetaGradConfig = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => {
      const x = saved[0];
      const dim = (attrs.dim as number) ?? -1;
      if (dim !== -1 && dim !== x.rank - 1)
        throw new Error(`Softmax gradient: only the last axis is supported`);
      const s = tf.softmax(x);
      return tf.mul(s, tf.sub(dy, tf.sum(tf.mul(dy, s), -1, true)));
    },
  }),
};
