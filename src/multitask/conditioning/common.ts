import { tf } from '../../engine/tf.js';
import type { Rng } from '../../engine/rng.js';
import { dense } from '../../nn/layers.js';
import { type Params, withPrefix } from '../../nn/params.js';
import type { ArchSpec, MultiTaskInput, Owner, Segment } from '../types.js';

export const DEFAULT_HIDDEN: readonly number[] = [64, 64];

/** Fill defaults and reject sizes that would only fail later as a shape error. */
export function resolveSpec(spec: ArchSpec, who: string): Required<ArchSpec> {
  const posInt = (v: unknown, field: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new Error(`${who}: ${field} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  };
  posInt(spec.inputDim, 'inputDim');
  if (!Number.isInteger(spec.descriptorDim) || spec.descriptorDim < 0) {
    throw new Error(`${who}: descriptorDim must be a non-negative integer, got ${spec.descriptorDim}`);
  }
  if (!Array.isArray(spec.outDims) || spec.outDims.length === 0) {
    throw new Error(`${who}: outDims must list the output width of at least one task`);
  }
  spec.outDims.forEach((d, i) => posInt(d, `outDims[${i}]`));
  const hidden = spec.hidden ?? DEFAULT_HIDDEN;
  if (hidden.length === 0) throw new Error(`${who}: hidden must list at least one layer width`);
  hidden.forEach((h, i) => posInt(h, `hidden[${i}]`));
  return {
    inputDim: spec.inputDim,
    descriptorDim: spec.descriptorDim,
    outDims: spec.outDims.slice(),
    hidden: hidden.slice(),
  };
}

/** Parameters of y = x W + b under `prefix` (PyTorch's default initialisation, via nn/dense). */
export function initLinear(rng: Rng, prefix: string, inDim: number, outDim: number, bias = true): Params {
  return withPrefix(prefix, dense(inDim, outDim, { bias }).init(rng));
}

export function linear(p: Params, prefix: string, x: tf.Tensor): tf.Tensor {
  const w = p[`${prefix}.w`];
  if (w === undefined) throw new Error(`missing parameter '${prefix}.w'`);
  const y = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
  const b = p[`${prefix}.b`];
  return b === undefined ? y : tf.add(y, b);
}

/** Hidden layers fc0..fc{L-1} under `prefix` (keys `prefix.fcL.{w,b}`, or `fcL` with an empty prefix). */
export function initTrunk(rng: Rng, prefix: string, inDim: number, hidden: readonly number[]): Params {
  let p: Params = {};
  hidden.forEach((h, l) => {
    p = { ...p, ...initLinear(rng, join(prefix, `fc${l}`), l === 0 ? inDim : hidden[l - 1], h) };
  });
  return p;
}

/**
 * Run the hidden layers with ReLU. `hook(l, pre)` may rewrite layer l's pre-activation (additive
 * conditioning, FiLM) and `post(l, h)` its output (gating); both default to the identity.
 */
export function applyTrunk(
  p: Params,
  prefix: string,
  x: tf.Tensor,
  layers: number,
  hook?: (l: number, pre: tf.Tensor) => tf.Tensor,
  post?: (l: number, h: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  let h = x;
  for (let l = 0; l < layers; l++) {
    let pre = linear(p, join(prefix, `fc${l}`), h);
    if (hook) pre = hook(l, pre);
    h = tf.relu(pre);
    if (post) h = post(l, h);
  }
  return h;
}

export function join(prefix: string, name: string): string {
  return prefix.length === 0 ? name : `${prefix}.${name}`;
}

export function sliceRows(t: tf.Tensor, s: Segment): tf.Tensor {
  return tf.slice(t, [s.start, 0], [s.size, t.shape[1] as number]);
}

/** How the last layer is split among tasks: one shared output layer, or one head per task. */
export type HeadKind = 'shared' | 'task';

export function checkHead(head: unknown, who: string): HeadKind {
  if (head !== 'shared' && head !== 'task') {
    throw new Error(`${who}: option 'head' must be 'shared' or 'task', got ${JSON.stringify(head)}`);
  }
  return head;
}

/**
 * Output layer parameters. A shared layer is as wide as the widest task; each task reads its own first
 * outDims[t] columns, so tasks with fewer classes never see logits of classes they do not have.
 */
export function initHeads(rng: Rng, head: HeadKind, inDim: number, outDims: readonly number[]): Params {
  if (head === 'shared') return initLinear(rng, 'out', inDim, Math.max(...outDims));
  let p: Params = {};
  outDims.forEach((d, t) => (p = { ...p, ...initLinear(rng, `head${t}`, inDim, d) }));
  return p;
}

/** Per-segment outputs from features h of every row of `input`. */
export function applyHeads(
  p: Params,
  head: HeadKind,
  h: tf.Tensor,
  input: MultiTaskInput,
  outDims: readonly number[],
): tf.Tensor[] {
  if (head === 'shared') {
    const all = linear(p, 'out', h);
    return input.segments.map((s) => tf.slice(all, [s.start, 0], [s.size, outDims[s.task]]));
  }
  return input.segments.map((s) => linear(p, `head${s.task}`, sliceRows(h, s)));
}

/** Owner of a key named `<stem><t>.…` (head3.w -> 3), else shared. */
export function ownerByStem(stems: readonly string[]): (key: string) => Owner {
  const re = new RegExp(`^(?:${stems.join('|')})(\\d+)\\.`);
  return (key) => {
    const m = re.exec(key);
    return m ? Number(m[1]) : 'shared';
  };
}

/** Reject a segment whose task index the network was not built for. */
export function checkSegments(input: MultiTaskInput, numTasks: number, who: string): void {
  for (const s of input.segments) {
    if (!Number.isInteger(s.task) || s.task < 0 || s.task >= numTasks) {
      throw new Error(`${who}: segment task ${s.task} out of range [0, ${numTasks})`);
    }
  }
  if (input.x.rank !== 2)
    throw new Error(`${who}: expected x of shape [rows, inputDim], got [${input.x.shape.join(', ')}]`);
}

export function keysOf(p: Params, prefix: string): string[] {
  return Object.keys(p).filter((k) => k.startsWith(prefix + '.'));
}

/** Names of the output-layer keys for GradNorm when the output layer itself is what tasks share. */
export function trunkLastKeys(prefix: string, layers: number): string[] {
  return [join(prefix, `fc${layers - 1}.w`), join(prefix, `fc${layers - 1}.b`)];
}
