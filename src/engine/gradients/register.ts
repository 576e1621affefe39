import * as tf from '@tensorflow/tfjs';
import { batchMatMulGradConfig } from './batch_mat_mul_grad.js';
import { comparisonGradConfigs } from './comparison_grads.js';
import { conv2dGradConfig } from './conv2d_grad.js';
import { expGradConfig } from './exp_grad.js';
import { type MetaGradConfig, toTfGradConfig } from './grad_config.js';
import { logGradConfig } from './log_grad.js';
import { maxPoolGradConfig } from './max_pool_grad.js';
import { meanGradConfig } from './mean_grad.js';
import { reluGradConfig } from './relu_grad.js';
import { rsqrtGradConfig } from './rsqrt_grad.js';
import { sigmoidGradConfig } from './sigmoid_grad.js';
import { softmaxGradConfig } from './softmax_grad.js';
import { sqrtGradConfig } from './sqrt_grad.js';
import { sumGradConfig } from './sum_grad.js';
import { tanhGradConfig } from './tanh_grad.js';

/**
 * Gradients that make tfjs fit for meta-learning. Each is written in differentiable ops and recomputes
 * what it needs from the kernel's *inputs*: tfjs 4.22's own versions reuse saved outputs (tanh, sigmoid,
 * exp, softmax), which gives no or wrong second-order gradients (tfjs issue 3252), or call kernels that
 * have no gradient (Conv2DBackpropFilter, MaxPoolGrad), or are missing on wasm (Conv2DBackpropFilter).
 * Every one is checked against central finite differences in test/gradients.test.ts.
 */
export const META_GRADIENTS: readonly MetaGradConfig[] = [
  sumGradConfig,
  meanGradConfig,
  ...comparisonGradConfigs,
  tanhGradConfig,
  sigmoidGradConfig,
  expGradConfig,
  logGradConfig,
  reluGradConfig,
  sqrtGradConfig,
  rsqrtGradConfig,
  softmaxGradConfig,
  batchMatMulGradConfig,
  conv2dGradConfig,
  maxPoolGradConfig,
];

let registered = false;

/** Install every gradient above over tfjs's own (once; later calls do nothing). */
export function registerMetaGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of META_GRADIENTS) tf.registerGradient(toTfGradConfig(config));
}
