import * as tf from '@tensorflow/tfjs';

/**
 * One LSTM step from differentiable ops (Hochreiter & Schmidhuber 1997 with the forget gate of Gers et
 * al. 2000): from the pre-activations gates [b, 4n] (input, forget, cell, output) and the cell c [b, n],
 * [h, cNext] with cNext = sigmoid(f) c + sigmoid(i) tanh(g) and h = sigmoid(o) tanh(cNext). The formula of
 * the native lstmSeq kernel, for the stock-ops path of nn/lstm.ts and the recorded backward pass of
 * kernels/native.ts.
 */
export function lstmCellOps(gates: tf.Tensor, c: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [gi, gf, gg, go] = tf.split(gates, 4, 1);
  const cNext = tf.add(tf.mul(tf.sigmoid(gf), c), tf.mul(tf.sigmoid(gi), tf.tanh(gg)));
  return [tf.mul(tf.sigmoid(go), tf.tanh(cNext)), cNext];
}

/**
 * lstmCellOps's gradient from differentiable ops, with the native kernel's formulas: from the
 * pre-activations gates, the previous cell c and the upstreams of h and of the new cell, [dgates, dc].
 */
export function lstmCellGradOps(
  gates: tf.Tensor,
  c: tf.Tensor,
  dh: tf.Tensor,
  dcNext: tf.Tensor,
): tf.Tensor[] {
  const [gi, gf, gg, go] = tf.split(gates, 4, 1);
  const i = tf.sigmoid(gi);
  const f = tf.sigmoid(gf);
  const g = tf.tanh(gg);
  const o = tf.sigmoid(go);
  const tc = tf.tanh(tf.add(tf.mul(f, c), tf.mul(i, g)));
  const dct = tf.add(dcNext, tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tc))));
  const dsig = (s: tf.Tensor) => tf.mul(s, tf.sub(1, s));
  const dgates = tf.concat(
    [
      tf.mul(tf.mul(dct, g), dsig(i)),
      tf.mul(tf.mul(dct, c), dsig(f)),
      tf.mul(tf.mul(dct, i), tf.sub(1, tf.square(g))),
      tf.mul(tf.mul(dh, tc), dsig(o)),
    ],
    1,
  );
  return [dgates, tf.mul(dct, f)];
}
