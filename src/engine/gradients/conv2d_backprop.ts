import * as tf from '@tensorflow/tfjs';
import { nativeConvFilterGrad, nativeConvInputGrad } from '../kernels/native.js';

/** Explicit [top, bottom, left, right] padding of a 2-D convolution or pooling window. */
export type Pad4 = [number, number, number, number];

export type PadAttr = 'same' | 'valid' | number | number[][];

/** Resolve tfjs's padding attribute into explicit amounts, using the same rules as tfjs. */
export function explicitPadding(
  pad: PadAttr,
  inH: number,
  inW: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  dh: number,
  dw: number,
): Pad4 {
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    const outH = Math.ceil(inH / sh);
    const outW = Math.ceil(inW / sw);
    const ph = Math.max((outH - 1) * sh + ekh - inH, 0);
    const pw = Math.max((outW - 1) * sw + ekw - inW, 0);
    const top = Math.floor(ph / 2);
    const left = Math.floor(pw / 2);
    return [top, ph - top, left, pw - left];
  }
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (Array.isArray(pad) && pad.length === 4) return [pad[1][0], pad[1][1], pad[2][0], pad[2][1]];
  throw new Error(`conv2d: unsupported padding ${JSON.stringify(pad)}`);
}

function padNHWC(x: tf.Tensor4D, p: Pad4): tf.Tensor4D {
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0) return x;
  return tf.pad(x, [
    [0, 0],
    [p[0], p[1]],
    [p[2], p[3]],
    [0, 0],
  ]);
}

/** Insert (s-1) zeros between neighbouring rows/columns, with reshape and pad only (both differentiable). */
function dilateNHWC(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const y = tf.reshape(x, [n, h, 1, w, 1, c]);
  const z = tf.pad(y, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const full = tf.reshape(z, [n, h * sh, w * sw, c]) as tf.Tensor4D;
  return tf.slice(full, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

export interface ConvGeometry {
  strides: [number, number];
  dilations: [number, number];
  pad: Pad4;
}

/**
 * Gradient of y = conv2d(x, w) (NHWC, HWIO) with respect to x, written with the forward conv2d only:
 * a full correlation of the (dilated) output gradient with the flipped, in/out-swapped filter.
 * Because it uses only differentiable ops, its own gradient exists, which second-order MAML needs.
 */
function inputGradOps(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: number[], g: ConvGeometry): tf.Tensor4D {
  const [n, h, wd, ci] = xShape;
  const [kh, kw] = w.shape;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilations;
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  const dyd = dilateNHWC(dy, sh, sw);
  // Row u of the padded input's gradient is a full correlation: dyd rows u - (ekh - 1) + i * dh. Padding
  // dyd by ekh - 1 - pad_top on top (cropping when negative) makes a 'valid' conv produce exactly the
  // rows of the unpadded input, so no work goes into the padding's gradient; rows no window reached
  // come out zero.
  const top = ekh - 1 - g.pad[0];
  const left = ekw - 1 - g.pad[2];
  const dyp = padOrCrop(dyd, top, h + ekh - 1 - dyd.shape[1] - top, left, wd + ekw - 1 - dyd.shape[2] - left);
  const wFlip = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  const dx = tf.conv2d(dyp, wFlip, 1, 'valid', 'NHWC', [dh, dw]);
  if (dx.shape[3] !== ci || dx.shape[0] !== n) throw new Error('conv2d input gradient: shape mismatch');
  return dx;
}

/** Pad (positive amounts) or crop (negative amounts) the height and width of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ct = Math.max(0, -top);
  const cb = Math.max(0, -bottom);
  const cl = Math.max(0, -left);
  const cr = Math.max(0, -right);
  const cropped =
    ct + cb + cl + cr > 0
      ? (tf.slice(x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]) as tf.Tensor4D)
      : x;
  return padNHWC(cropped, [Math.max(0, top), Math.max(0, bottom), Math.max(0, left), Math.max(0, right)]);
}

/**
 * Gradient with respect to the filter, also as a forward conv2d: the batch becomes the contracted
 * dimension (input [Ci, H, W, N] correlated with the output gradient [Ho, Wo, N, Co]).
 * The wasm backend has no Conv2DBackpropFilter kernel at all; this needs none.
 */
function filterGradOps(x: tf.Tensor4D, dy: tf.Tensor4D, wShape: number[], g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, ci, co] = wShape;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilations;
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new Error('conv2d gradient: strides > 1 together with dilations > 1 is not supported');
  }
  const xp = padNHWC(x, g.pad);
  const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, Hp, Wp, N]
  const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, N, Co]
  const r = tf.conv2d(xt, dyt, [dh, dw], 'valid', 'NHWC', [sh, sw]); // [Ci, >=kh, >=kw, Co]
  const cut = r.shape[1] === kh && r.shape[2] === kw ? r : tf.slice(r, [0, 0, 0, 0], [ci, kh, kw, co]);
  return tf.transpose(cut, [1, 2, 0, 3]) as tf.Tensor4D;
}

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

/**
 * value(a, b) as one tape node whose gradient for an upstream r is grads(r, a, b): the way both conv
 * gradients below, bilinear in their two inputs, state their own gradients.
 */
function bilinearOp(
  a: tf.Tensor4D,
  b: tf.Tensor4D,
  value: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D,
  grads: (r: tf.Tensor4D, a: tf.Tensor4D, b: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D],
): tf.Tensor4D {
  const f = tf.customGrad(((x: tf.Tensor4D, y: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([x, y]);
    return {
      value: value(x, y),
      gradFunc: (r: tf.Tensor4D, [xs, ys]: tf.Tensor4D[]) => grads(r, xs, ys),
    };
  }) as unknown as CustomGradFunc);
  return f(a, b) as tf.Tensor4D;
}

/** The forward convolution of a geometry (padding given explicitly). */
function convForward(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [t, b, l, r] = g.pad;
  return tf.conv2d(
    x,
    w,
    g.strides,
    [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ],
    'NHWC',
    g.dilations,
  );
}

/**
 * Gradient of y = conv2d(x, w) with respect to x. Its own gradient is given directly rather than by
 * differentiating the ops above: the input gradient is bilinear in (dy, w), so for an upstream R,
 * d<IG, R>/d dy = conv2d(R, w) and d<IG, R>/dw = filter gradient(R, dy), both ordinary-sized
 * convolutions. (Autodiff through the flipped, padded correlation gave the same values through
 * correlations dominated by zero padding.)
 */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: number[],
  g: ConvGeometry,
): tf.Tensor4D {
  return bilinearOp(
    dy,
    w,
    (d, ww) => nativeConvInputGrad(d, ww, xShape, g) ?? inputGradOps(d, ww, xShape, g),
    (r, d, ww) => [convForward(r, ww, g), conv2dFilterGrad(r, d, ww.shape, g)],
  );
}

/**
 * Gradient of y = conv2d(x, w) with respect to w, with its gradient given directly: the filter gradient
 * is bilinear in (x, dy), so for an upstream R, d<FG, R>/dx = input gradient(dy, R) and
 * d<FG, R>/d dy = conv2d(x, R). Differentiating the transposed correlation instead built a 14x14-filter
 * convolution over a 29x29 mostly-zero input: 60% of a second-order MAML task's convolution time.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  wShape: number[],
  g: ConvGeometry,
): tf.Tensor4D {
  return bilinearOp(
    x,
    dy,
    (xx, d) => nativeConvFilterGrad(xx, d, wShape, g) ?? filterGradOps(xx, d, wShape, g),
    (r, xx, d) => [conv2dInputGrad(d, r, xx.shape, g), convForward(xx, r, g)],
  );
}
