import { checkOptions } from '../conditioning/options.js';
import { weightedGrads } from './grads.js';
import type { Weighting } from './types.js';

/** sum_i L_i: the plain multi-task objective (Caruana 1997), w_i = 1. */
export function equalWeighting(opts: Record<string, never> = {}): Weighting<null> {
  checkOptions(opts, [], 'equal');
  return {
    name: 'equal',
    init: () => ({ state: null, params: {} }),
    step: (params, oracle) => {
      const weights = oracle.tasks.map(() => 1);
      const { grads, losses } = weightedGrads(params, oracle, weights);
      return { grads, losses, weights, state: null };
    },
  };
}

/** Options of fixedWeighting. */
export interface FixedOptions {
  /** One non-negative weight per task, in task order. */
  weights: readonly number[];
}

/** sum_i w_i L_i with weights chosen by hand (e.g. to make one task matter more). */
export function fixedWeighting(opts: FixedOptions): Weighting<null> {
  const who = 'fixed';
  checkOptions(opts ?? {}, ['weights'], who);
  const w = opts?.weights;
  if (
    !Array.isArray(w) ||
    w.length === 0 ||
    w.some((v) => typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
  ) {
    throw new Error(
      `${who}: option 'weights' must be an array of non-negative numbers, one per task, got ${JSON.stringify(w)}`,
    );
  }
  return {
    name: who,
    init: ({ numTasks }) => {
      if (w.length !== numTasks) throw new Error(`${who}: ${w.length} weights given for ${numTasks} tasks`);
      return { state: null, params: {} };
    },
    step: (params, oracle) => {
      const weights = oracle.tasks.map((t) => w[t]);
      const { grads, losses } = weightedGrads(params, oracle, weights);
      return { grads, losses, weights, state: null };
    },
  };
}
