import * as tf from '@tensorflow/tfjs';

/**
 * One-hot rows as float32. tfjs-backend-wasm 4.22's OneHot ignores a float32 dtype and writes integer
 * bit patterns (1 reads as 1.4e-45), so build it as int32 and cast.
 */
export function oneHotF32(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(indices, 'int32') as tf.Tensor1D, depth), 'float32'));
}
