// The single place the library imports TensorFlow.js from. The umbrella package registers tfjs's own
// gradients (tfjs-core's Node bundle does not); our overrides in gradients/ are installed after it.
import * as tf from '@tensorflow/tfjs';
import { registerMetaGradients } from './gradients/register.js';

registerMetaGradients();

export { tf };
/** A TensorFlow.js tensor. */
export type Tensor = tf.Tensor;
