import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import { checkOptions, numberOption } from '../conditioning/options.js';
import { addGrads, partialGrads } from './grads.js';
import { WEIGHTING_PREFIX, type LossOracle, type Weighting } from './types.js';

export const AUTO_LAMBDA_KEY = `${WEIGHTING_PREFIX}lambda`;

/** Options of autoLambdaWeighting. */
export interface AutoLambdaOptions {
  /** Step size alpha of the virtual SGD step theta' = theta - alpha grad sum_j lambda_j L_j (default 0.1). */
  virtualLr?: number;
  /** Starting task weights (default 1: training starts as equal weighting). */
  init?: number;
  /**
   * lambda's learning rate relative to the model's (default 1). lambda is stored divided by this
   * factor, so the model's optimiser (Adam: steps of about lr whatever the gradient's size) moves it
   * this many times faster; the paper gives lambda an optimiser of its own.
   */
  metaLrScale?: number;
}

/** What one Auto-Lambda step computes, exposed for checks. */
export interface AutoLambdaStep {
  /** Per-task training gradients g_j (one entry per segment; keys a task does not reach are absent). */
  taskGrads: Params[];
  /** Per-task training losses L_j(theta), by segment. */
  taskLosses: number[];
  /** Gradient of the architecture's penalty (empty without one). */
  penaltyGrads: Params;
  /** d L_val(theta') / d lambda_t for the step's tasks, by segment. */
  lambdaGrads: number[];
  /** L_val(theta'), summed over the step's tasks. */
  valLoss: number;
}

function dot(a: Params, b: Params): number {
  const ks = Object.keys(a).filter((k) => k in b);
  if (ks.length === 0) return 0;
  return tf.tidy(() => tf.addN(ks.map((k) => tf.sum(tf.mul(a[k], b[k])))).dataSync()[0]);
}

/**
 * The Auto-Lambda hypergradient (Liu, Li, Kuang, Xie & Davison 2022): the task weights lambda are
 * meta-parameters of one virtual SGD step of the network, theta'(lambda) = theta - alpha sum_j lambda_j
 * g_j, and are moved to lower the validation loss there, L_val(theta') = sum_i L_i^val(theta'). Since
 * theta' is linear in lambda, d L_val / d lambda_j = -alpha <grad L_val(theta'), g_j> exactly: no
 * finite-difference Hessian approximation (the paper's, after DARTS) is needed. The architecture's
 * penalty joins the virtual step unweighted.
 */
export function autoLambdaStep(
  params: Params,
  oracle: LossOracle,
  lambdas: readonly number[],
  alpha: number,
): AutoLambdaStep {
  const val = oracle.validationLosses;
  if (!val) throw new Error('auto-lambda: the trainer gave no validation losses (needsValidation)');
  const keys = oracle.modelKeys;
  const task = oracle.tasks.map((_, s) => partialGrads(params, (p) => oracle.lossOf(s, p), keys));
  const taskGrads = task.map((t) => t.grads);
  const probe = oracle.penalty(params);
  probe?.dispose();
  const pen = probe === null ? {} : partialGrads(params, (p) => oracle.penalty(p) as tf.Scalar, keys).grads;
  const virtual: Params = {};
  try {
    for (const k of keys) {
      virtual[k] = tf.tidy(() => {
        let step: tf.Tensor | null = pen[k] ?? null;
        taskGrads.forEach((g, s) => {
          if (g[k] !== undefined)
            step = step === null ? tf.mul(g[k], lambdas[s]) : tf.add(step, tf.mul(g[k], lambdas[s]));
        });
        return step === null ? tf.clone(params[k]) : tf.sub(params[k], tf.mul(step, alpha));
      });
    }
    const full = { ...params, ...virtual };
    const v = partialGrads(full, (p) => tf.addN(val(p)) as tf.Scalar, keys);
    const lambdaGrads = taskGrads.map((g) => -alpha * dot(v.grads, g));
    tf.dispose(Object.values(v.grads));
    return {
      taskGrads,
      taskLosses: task.map((t) => t.value),
      penaltyGrads: pen,
      lambdaGrads,
      valLoss: v.value,
    };
  } finally {
    tf.dispose(Object.values(virtual));
  }
}

/**
 * Auto-Lambda loss weighting (Liu et al. 2022): one learned weight lambda_t >= 0 per task, trained by
 * the model's optimiser from the hypergradient of the validation loss after a virtual step (see
 * autoLambdaStep); the network is trained on sum_t lambda_t L_t. All tasks count as primary (the
 * multi-task mode of the paper). The validation batch is a second, independent draw from each task's
 * training rows: the task sets here have train and test rows only, and test rows stay unseen. A lambda
 * pushed below zero is used as 0.
 */
export function autoLambdaWeighting(opts: AutoLambdaOptions = {}): Weighting<null> {
  const who = 'auto-lambda';
  checkOptions(opts, ['virtualLr', 'init', 'metaLrScale'], who);
  const alpha = numberOption(opts.virtualLr ?? 0.1, 'virtualLr', who, 0);
  const init = numberOption(opts.init ?? 1, 'init', who, 0);
  const scale = numberOption(opts.metaLrScale ?? 1, 'metaLrScale', who, 1e-6);
  return {
    name: who,
    needsValidation: true,
    init: ({ numTasks }) => ({
      state: null,
      params: { [AUTO_LAMBDA_KEY]: tf.fill([numTasks], init / scale) },
    }),
    step: (params, oracle) => {
      const lam = params[AUTO_LAMBDA_KEY];
      if (lam === undefined) throw new Error(`${who}: parameter '${AUTO_LAMBDA_KEY}' is missing from params`);
      const all = lam.dataSync();
      const weights = oracle.tasks.map((t) => Math.max(0, scale * all[t]));
      const r = autoLambdaStep(params, oracle, weights, alpha);
      // The network's gradient sum_t lambda_t g_t + penalty, from the gradients already taken.
      let grads: Params = {};
      r.taskGrads.forEach((g, s) => {
        const scaled: Params = {};
        for (const k of Object.keys(g)) {
          scaled[k] = tf.mul(g[k], weights[s]);
          g[k].dispose();
        }
        grads = addGrads(grads, scaled);
      });
      grads = addGrads(grads, r.penaltyGrads);
      const losses = r.taskLosses;
      const g = new Float32Array(oracle.numTasks);
      // d L_val / d stored = scale * d L_val / d lambda.
      oracle.tasks.forEach((t, s) => (g[t] = scale * r.lambdaGrads[s]));
      grads[AUTO_LAMBDA_KEY] = tf.tensor1d(g);
      return { grads, losses, weights, state: null };
    },
  };
}
