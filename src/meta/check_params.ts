/**
 * One check of saved params against a learner: the names and shapes its `init()` gives. Every loader
 * (eval, predict, resume, warm start, export) runs it, so params of another configuration are refused
 * with one message naming the file, the param and both shapes, instead of meaningless numbers or a
 * shape error deep inside tfjs.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { disposeParams, type Params } from '../nn/params.js';
import type { MetaLearner } from './types.js';

/** Param names and shapes: as a Params record holds them or a model.json manifest lists them. */
export type ParamShapes = Record<string, readonly number[]>;

/** The names and shapes of a Params record. */
export function shapesOf(p: Params | ParamShapes): ParamShapes {
  const out: ParamShapes = {};
  for (const [k, v] of Object.entries(p)) out[k] = v instanceof tf.Tensor ? v.shape : v;
  return out;
}

/** The names and shapes of `learner`'s theta, from an init whose tensors are freed at once. */
export function learnerShapes(learner: MetaLearner): ParamShapes {
  const theta = learner.init(new Rng(0));
  const shapes = shapesOf(theta);
  disposeParams(theta);
  return shapes;
}

export interface FitOptions {
  /** What the params should fit, after 'do not fit': "learner 'maml' with way 7, hidden 8". */
  context?: string;
  /** A sentence on the likely cause and what to do, appended to the message. */
  hint?: string;
  /** Only the loaded params are checked (a warm start fills part of theta): none may be missing. */
  partial?: boolean;
}

const MAX_LISTED = 6;

/**
 * Throw unless `loaded` has exactly the names of `expected` (a subset, with `partial`), each of the same
 * shape. `source` (the file or folder) starts the message.
 */
export function checkParamsMatch(
  expected: ParamShapes | Params,
  loaded: ParamShapes | Params,
  source: string,
  opts: FitOptions = {},
): void {
  const want = shapesOf(expected);
  const got = shapesOf(loaded);
  const problems: string[] = [];
  for (const [k, s] of Object.entries(got)) {
    const w = want[k];
    if (w === undefined) problems.push(`this learner has no param '${k}'`);
    else if (w.length !== s.length || w.some((d, i) => d !== s[i]))
      problems.push(`'${k}' is [${s.join(', ')}] where the learner's is [${w.join(', ')}]`);
  }
  if (!opts.partial) {
    for (const [k, w] of Object.entries(want))
      if (!(k in got)) problems.push(`'${k}' [${w.join(', ')}] is missing`);
  }
  if (problems.length === 0) return;
  const listed = problems.slice(0, MAX_LISTED).join('; ');
  const more = problems.length > MAX_LISTED ? ` (and ${problems.length - MAX_LISTED} more)` : '';
  throw new Error(
    `${source}: the params do not fit ${opts.context ?? 'this learner'}: ${listed}${more}` +
      (opts.hint ? `. ${opts.hint[0].toUpperCase()}${opts.hint.slice(1)}` : ''),
  );
}
