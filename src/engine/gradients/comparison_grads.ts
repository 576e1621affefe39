import * as tf from '@tensorflow/tfjs';
import type { MetaGradConfig } from './grad_config.js';

/**
 * Comparisons are piecewise constant; tfjs registers no gradient for them, which breaks any tape that
 * passes through a mask (e.g. the first-order gradient of max, differentiated again). The six kernels
 * share one zero gradient, so they share one file.
 */
export const comparisonGradConfigs: readonly MetaGradConfig[] = [
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
].map((kernelName) => ({
  kernelName,
  inputsToSave: ['a', 'b'],
  gradFunc: (_dy, [a, b]) => ({
    a: () => tf.zerosLike(a),
    b: () => tf.zerosLike(b),
  }),
}));
