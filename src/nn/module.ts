import type { Rng } from '../engine/rng.js';
import type { tf } from '../engine/tf.js';
import type { Params, State } from './params.js';

/**
 * How a module runs. `training` selects batch statistics in batch norm; `state` holds running
 * statistics to read, and `stateOut`, when given, receives updated ones. `path` is the dotted prefix of
 * the module being applied, so state keys line up with parameter keys.
 */
export interface Ctx {
  training: boolean;
  state?: State;
  stateOut?: State;
  path?: string;
}

/** Context of a training forward pass. */
export const TRAIN: Ctx = { training: true };
/** Context of an evaluation forward pass. */
export const EVAL: Ctx = { training: false };

/** A functional module: `init` makes parameters, `apply` is a pure function of them. */
export interface Module<In = tf.Tensor, Out = tf.Tensor> {
  readonly name: string;
  init(rng: Rng): Params;
  /** Initial non-trainable state (empty for most modules). */
  initState?(): State;
  apply(params: Params, x: In, ctx?: Ctx): Out;
}

/** The context for child `name` of the module at ctx.path. */
export function childCtx(ctx: Ctx | undefined, name: string): Ctx {
  const c = ctx ?? TRAIN;
  return { ...c, path: c.path ? `${c.path}.${name}` : name };
}

export function where(ctx: Ctx | undefined, kind: string): string {
  return ctx?.path ? `${kind} '${ctx.path}'` : kind;
}

/** Shape check at a module's edge, with an error that names the module and both shapes. */
export function expectShape(x: tf.Tensor, expected: (number | null)[], who: string): void {
  const ok = x.rank === expected.length && expected.every((d, i) => d === null || d === x.shape[i]);
  if (!ok) {
    const exp = '[' + expected.map((d) => (d === null ? '*' : String(d))).join(', ') + ']';
    throw new Error(`${who}: expected input of shape ${exp}, got [${x.shape.join(', ')}]`);
  }
}

export function positiveInt(v: unknown, field: string, who: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`${who}: option '${field}' must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}
