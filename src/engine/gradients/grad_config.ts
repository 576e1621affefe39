import * as tf from '@tensorflow/tfjs';

/**
 * One kernel's gradient, as tfjs-core states its own (one GradConfig per kernel). Every kernel given a
 * gradient here has a single output, so `dy` is one tensor; `toTfGradConfig` checks that at run time.
 */
export interface MetaGradConfig {
  readonly kernelName: string;
  /** Names of the kernel inputs the gradient recomputes from (never saved outputs, except MaxPool's). */
  readonly inputsToSave: readonly string[];
  readonly outputsToSave?: readonly boolean[];
  readonly gradFunc: (
    dy: tf.Tensor,
    saved: tf.Tensor[],
    attrs: Record<string, unknown>,
  ) => Record<string, () => tf.Tensor>;
}

/** The config in tfjs's own form, for tf.registerGradient. */
export function toTfGradConfig(c: MetaGradConfig): tf.GradConfig {
  return {
    kernelName: c.kernelName,
    inputsToSave: [...c.inputsToSave],
    outputsToSave: c.outputsToSave ? [...c.outputsToSave] : undefined,
    gradFunc: (dy, saved, attrs) => {
      if (Array.isArray(dy)) {
        throw new Error(`${c.kernelName} gradient: expected one output gradient, got ${dy.length}`);
      }
      return c.gradFunc(dy, saved, attrs);
    },
  };
}
