import { tf } from '../../engine/tf.js';
import type { Rng } from '../../engine/rng.js';
import type { Params } from '../../nn/params.js';
import type { MultiTaskInput, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import {
  applyTrunk,
  checkSegments,
  initLinear,
  initTrunk,
  linear,
  ownerByStem,
  resolveSpec,
  sliceRows,
} from './common.js';
import type { ArchSpec } from '../types.js';

/** One full network per task, keys `task{t}.fc{l}` and `task{t}.out`. */
export function initTaskNetworks(rng: Rng, s: Required<ArchSpec>, stem = 'task'): Params {
  let p: Params = {};
  s.outDims.forEach((d, t) => {
    p = {
      ...p,
      ...initTrunk(rng, `${stem}${t}`, s.inputDim, s.hidden),
      ...initLinear(rng, `${stem}${t}.out`, s.hidden[s.hidden.length - 1], d),
    };
  });
  return p;
}

/** Each segment through its own task's network only. */
export function applyTaskNetworks(
  p: Params,
  input: MultiTaskInput,
  layers: number,
  stem = 'task',
): tf.Tensor[] {
  return input.segments.map((seg) => {
    const h = applyTrunk(p, `${stem}${seg.task}`, sliceRows(input.x, seg), layers);
    return linear(p, `${stem}${seg.task}.out`, h);
  });
}

/**
 * Fully independent networks: multiplicative conditioning with one-hot gates that switch on exactly one
 * task's sub-network, so nothing is shared. The no-sharing extreme: single-task learning, Caruana 1997's
 * baseline.
 */
export function independentNet(spec: ArchSpec, opts: Record<string, never> = {}): MultiTaskNet {
  const who = 'independent';
  checkOptions(opts, [], who);
  const s = resolveSpec(spec, who);
  const L = s.hidden.length;
  return {
    name: who,
    numTasks: s.outDims.length,
    spec: s,
    init: (rng) => initTaskNetworks(rng, s),
    apply: (p, input) => {
      checkSegments(input, s.outDims.length, who);
      return tf.tidy(() => applyTaskNetworks(p, input, L));
    },
    owner: ownerByStem(['task']),
    lastShared: [],
  };
}
