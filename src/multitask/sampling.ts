import type { Rng } from '../engine/rng.js';
import { checkOptions, numberOption } from './conditioning/options.js';

/**
 * Which tasks a training step draws when it does not take them all. Tasks differ in size, and uniform
 * sampling over-trains small tasks while proportional sampling starves them: these strategies choose
 * where between the two a run sits, and may move over training.
 */
export interface TaskSampler {
  readonly name: string;
  /** p_i for each task at `step` of `totalSteps`, given the number of training rows n_i. */
  probabilities(sizes: readonly number[], step: number, totalSteps: number): number[];
}

function checkSizes(sizes: readonly number[], who: string): void {
  if (sizes.length === 0) throw new Error(`${who}: no tasks to sample from`);
  sizes.forEach((n, i) => {
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`${who}: task ${i} has ${n} rows; every task needs at least one`);
  });
}

/** p_i proportional to n_i^alpha: alpha = 1 proportional, alpha = 0 uniform (temperature 1/alpha). */
export function temperatureProbabilities(sizes: readonly number[], alpha: number): number[] {
  checkSizes(sizes, 'temperature sampling');
  const w = sizes.map((n) => Math.pow(n, alpha));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / z);
}

/** Every task equally often (temperature alpha = 0). */
export function uniformSampler(): TaskSampler {
  return { name: 'uniform', probabilities: (sizes) => temperatureProbabilities(sizes, 0) };
}

/** Tasks in proportion to their number of rows (alpha = 1). */
export function proportionalSampler(): TaskSampler {
  return { name: 'proportional', probabilities: (sizes) => temperatureProbabilities(sizes, 1) };
}

/** Tasks with probability proportional to size^alpha (default alpha 0.5). */
export function temperatureSampler(opts: { alpha?: number } = {}): TaskSampler {
  checkOptions(opts, ['alpha'], 'temperature');
  const alpha = numberOption(opts.alpha ?? 0.5, 'alpha', 'temperature', 0);
  return { name: 'temperature', probabilities: (sizes) => temperatureProbabilities(sizes, alpha) };
}

/** Options of annealedSampler. */
export interface AnnealedOptions {
  /** alpha at the first step (default 1: proportional). */
  from?: number;
  /** alpha at the last step (default 0.2). */
  to?: number;
}

/**
 * Annealed sampling (Stickland & Murray 2019): alpha moves linearly from 1 to 0.2 over training, so early
 * steps follow the data sizes and later ones give small tasks a larger share, against forgetting them.
 */
export function annealedAlpha(step: number, totalSteps: number, from = 1, to = 0.2): number {
  if (totalSteps <= 1) return to;
  const f = Math.min(1, Math.max(0, step / (totalSteps - 1)));
  return from + (to - from) * f;
}

/** Temperature sampling with alpha annealed linearly over training (see annealedAlpha). */
export function annealedSampler(opts: AnnealedOptions = {}): TaskSampler {
  checkOptions(opts, ['from', 'to'], 'annealed');
  const from = numberOption(opts.from ?? 1, 'from', 'annealed', 0);
  const to = numberOption(opts.to ?? 0.2, 'to', 'annealed', 0);
  return {
    name: 'annealed',
    probabilities: (sizes, step, totalSteps) =>
      temperatureProbabilities(sizes, annealedAlpha(step, totalSteps, from, to)),
  };
}

/**
 * k distinct tasks: k successive draws from p, each renormalised over the tasks not yet drawn (a
 * mini-batch of tasks). With k = 1 every step follows p exactly.
 */
export function sampleTasks(p: readonly number[], k: number, rng: Rng): number[] {
  if (!Number.isInteger(k) || k < 1 || k > p.length) {
    throw new Error(`sampleTasks: cannot draw ${k} distinct tasks from ${p.length}`);
  }
  const left = p.slice();
  const out: number[] = [];
  for (let d = 0; d < k; d++) {
    const z = left.reduce((a, b) => a + b, 0);
    let u = rng.next() * z;
    let i = 0;
    while (i < left.length - 1 && (left[i] === 0 || u >= left[i])) {
      u -= left[i];
      i++;
    }
    // Rounding can leave u past the last positive entry; fall back to the last task still available.
    while (left[i] === 0) i--;
    out.push(i);
    left[i] = 0;
  }
  return out.sort((a, b) => a - b);
}

/**
 * name -> constructor for task samplers. The one table gives both the names and, from each constructor's
 * signature, the options it takes.
 */
export const SAMPLERS = {
  uniform: (opts: Record<string, never> = {}) => (checkOptions(opts, [], 'uniform'), uniformSampler()),
  proportional: (opts: Record<string, never> = {}) => (
    checkOptions(opts, [], 'proportional'),
    proportionalSampler()
  ),
  temperature: temperatureSampler,
  annealed: annealedSampler,
} as const satisfies Record<string, (opts: never) => TaskSampler>;

export type SamplerName = keyof typeof SAMPLERS;

type OptionsArg<N extends SamplerName> = Parameters<(typeof SAMPLERS)[N]>[0];

/** Options of each sampler, by registry name. */
export type SamplerOptions = {
  [N in SamplerName]: NonNullable<Parameters<(typeof SAMPLERS)[N]>[0]>;
};

// The same table seen through a mapped type, so that indexing it with a generic name gives a constructor
// that takes that name's options (TypeScript's correlated-union pattern).
const BY_NAME: { readonly [N in SamplerName]: (opts: OptionsArg<N>) => TaskSampler } = SAMPLERS;

function isSamplerName(name: string): name is SamplerName {
  return Object.prototype.hasOwnProperty.call(SAMPLERS, name);
}

/** Names of every task sampler. */
export function samplerNames(): SamplerName[] {
  return Object.keys(SAMPLERS).filter(isSamplerName);
}

/** A task sampler by name; unknown names and options are errors that list the known ones. */
export function makeSampler<N extends string>(
  name: N,
  opts?: N extends SamplerName ? SamplerOptions[N] : object,
): TaskSampler;
// Callers see only the signature above: any string (names come from config files and the command line),
// checked here; each constructor checks its own options and fills in the defaults when they are absent.
export function makeSampler<N extends SamplerName>(name: N, opts: OptionsArg<N>): TaskSampler {
  if (!isSamplerName(name)) {
    throw new Error(`unknown task sampler '${String(name)}'; known samplers: ${samplerNames().join(', ')}`);
  }
  return BY_NAME[name](opts);
}
