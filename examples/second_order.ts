// The README's second-order gradient example: npx tsx examples/second_order.ts
import { tf, initEngine } from '../src/index.js';

await initEngine();
const d2 = tf.grad((x: tf.Tensor) => tf.sum(tf.grad((y: tf.Tensor) => tf.sum(tf.tanh(y)))(x)));
d2(tf.tensor1d([0.5])).print(); // -2 tanh(x) (1 - tanh(x)^2) = -0.7269
