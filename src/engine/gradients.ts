import * as tf from '@tensorflow/tfjs';
import { conv2dFilterGrad, conv2dInputGrad, explicitPadding, pair, type PadAttr } from './conv_grad.js';
import { isTilingPool, maxPoolTilingGrad } from './pool_grad.js';

/**
 * Gradients that make tfjs fit for meta-learning. Each is written in differentiable ops and recomputes
 * what it needs from the kernel's *inputs*: tfjs 4.22's own versions reuse saved outputs (tanh, sigmoid,
 * exp, softmax), which gives no or wrong second-order gradients (tfjs issue 3252), or call kernels that
 * have no gradient (Conv2DBackpropFilter, MaxPoolGrad), or are missing on wasm (Conv2DBackpropFilter).
 * Every one is checked against central finite differences in test/gradients.test.ts.
 */
type GradFunc = (
  dy: tf.Tensor,
  saved: tf.Tensor[],
  attrs: Record<string, unknown>,
) => Record<string, () => tf.Tensor>;

function reg(kernelName: string, inputsToSave: boolean, gradFunc: GradFunc, outputsToSave?: boolean[]): void {
  tf.registerGradient({
    kernelName,
    inputsToSave: inputsToSave ? ['x'] : [],
    outputsToSave,
    gradFunc: gradFunc as unknown as tf.GradConfig['gradFunc'],
  });
}

/** Sum a broadcast gradient back down to `shape` (for batch-broadcast matmuls). */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

let registered = false;

export function registerMetaGradients(): void {
  if (registered) return;
  registered = true;

  // Sum and Mean spread dy back over the reduced axes by a broadcasting multiply with a tensor of ones made
  // by the Fill kernel; tfjs's own ones(x.shape) is filled in JavaScript and uploaded on every backward
  // pass (5% of a Conv4 step on wasm), and broadcastTo's Tile kernel is slower still on wasm.
  for (const k of ['Sum', 'Mean'] as const) {
    tf.registerGradient({
      kernelName: k,
      inputsToSave: ['x'],
      gradFunc: ((dy: tf.Tensor, [x]: tf.Tensor[], attrs: { axis: number | number[] }) => ({
        x: () => {
          const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
          const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const scale = k === 'Sum' ? 1 : 1 / axes.reduce((n, a) => n * x.shape[a], 1);
          return tf.mul(tf.reshape(dy, kept), tf.fill(x.shape, scale));
        },
      })) as unknown as tf.GradConfig['gradFunc'],
    });
  }

  // Comparisons are piecewise constant; tfjs registers no gradient for them, which breaks any tape
  // that passes through a mask (e.g. the first-order gradient of max, differentiated again).
  for (const k of ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual']) {
    tf.registerGradient({
      kernelName: k,
      inputsToSave: ['a', 'b'],
      gradFunc: ((_dy: tf.Tensor, [a, b]: tf.Tensor[]) => ({
        a: () => tf.zerosLike(a),
        b: () => tf.zerosLike(b),
      })) as unknown as tf.GradConfig['gradFunc'],
    });
  }

  reg('Tanh', true, (dy, [x]) => ({
    x: () => {
      const t = tf.tanh(x);
      return tf.mul(dy, tf.sub(1, tf.square(t)));
    },
  }));

  reg('Sigmoid', true, (dy, [x]) => ({
    x: () => {
      const s = tf.sigmoid(x);
      return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
    },
  }));

  reg('Exp', true, (dy, [x]) => ({ x: () => tf.mul(dy, tf.exp(x)) }));

  reg('Log', true, (dy, [x]) => ({ x: () => tf.div(dy, x) }));

  reg('Relu', true, (dy, [x]) => ({ x: () => tf.mul(dy, tf.step(x)) }));

  reg('Sqrt', true, (dy, [x]) => ({ x: () => tf.div(dy, tf.mul(2, tf.sqrt(x))) }));

  reg('Rsqrt', true, (dy, [x]) => ({ x: () => tf.mul(dy, tf.div(tf.mul(-0.5, tf.rsqrt(x)), x)) }));

  // Softmax's kernel input is named `logits`.
  tf.registerGradient({
    kernelName: 'Softmax',
    inputsToSave: ['logits'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: Record<string, unknown>) => ({
      logits: () => {
        const x = saved[0];
        const dim = (attrs.dim as number) ?? -1;
        if (dim !== -1 && dim !== x.rank - 1)
          throw new Error(`Softmax gradient: only the last axis is supported`);
        const s = tf.softmax(x);
        return tf.mul(s, tf.sub(dy, tf.sum(tf.mul(dy, s), -1, true)));
      },
    })) as unknown as tf.GradConfig['gradFunc'],
  });

  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    // Explicit transposes instead of the transposeA/B flags: wasm's transposed paths are many times
    // slower, and a plain matmul keeps the gradient's own gradient plain as well.
    gradFunc: ((dy: tf.Tensor, [a, b]: tf.Tensor[], attrs: Record<string, unknown>) => {
      const ta = !!attrs.transposeA;
      const tb = !!attrs.transposeB;
      const mm = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q);
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!ta && !tb) {
        da = () => mm(dy, swapLast(b));
        db = () => mm(swapLast(a), dy);
      } else if (!ta && tb) {
        da = () => mm(dy, b);
        db = () => mm(swapLast(dy), a);
      } else if (ta && !tb) {
        da = () => mm(b, swapLast(dy));
        db = () => mm(a, dy);
      } else {
        da = () => swapLast(mm(dy, b));
        db = () => swapLast(mm(a, dy));
      }
      return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
    }) as unknown as tf.GradConfig['gradFunc'],
  });

  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: ((dy: tf.Tensor4D, [x, filter]: tf.Tensor[], attrs: Record<string, unknown>) => {
      if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
        throw new Error(`conv2d gradient: only NHWC is supported, got ${String(attrs.dataFormat)}`);
      }
      const x4 = x as tf.Tensor4D;
      const w4 = filter as tf.Tensor4D;
      const strides = pair(attrs.strides as number | number[], 'conv2d strides');
      const dilations = pair((attrs.dilations as number | number[]) ?? 1, 'conv2d dilations');
      const [kh, kw] = w4.shape;
      const pad = explicitPadding(
        attrs.pad as PadAttr,
        x4.shape[1],
        x4.shape[2],
        kh,
        kw,
        strides[0],
        strides[1],
        dilations[0],
        dilations[1],
      );
      const g = { strides, dilations, pad };
      return {
        x: () => conv2dInputGrad(dy, w4, x4.shape, g),
        filter: () => conv2dFilterGrad(x4, dy, w4.shape, g),
      };
    }) as unknown as tf.GradConfig['gradFunc'],
  });

  const stockMaxPool = tf.getGradient('MaxPool');
  tf.registerGradient({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: ((dy: tf.Tensor4D, saved: tf.Tensor[], attrs: Record<string, unknown>) => {
      const [kh, kw] = pair(attrs.filterSize as number | number[], 'maxPool filterSize');
      const [sh, sw] = pair(attrs.strides as number | number[], 'maxPool strides');
      if (isTilingPool(kh, kw, sh, sw, attrs.pad)) {
        return { x: () => maxPoolTilingGrad(dy, saved[0] as tf.Tensor4D, kh, kw) };
      }
      // Overlapping or padded windows: tfjs's MaxPoolGrad kernel (first order only).
      if (!stockMaxPool) throw new Error('MaxPool gradient: no fallback gradient registered');
      return stockMaxPool.gradFunc(dy, saved, attrs as tf.NamedAttrMap);
    }) as unknown as tf.GradConfig['gradFunc'],
  });
}
