import { type DwaOptions, dwaWeighting } from './dwa.js';
import { type FixedOptions, equalWeighting, fixedWeighting } from './equal.js';
import { type GradNormOptions, gradNormWeighting } from './gradnorm.js';
import { pcgradWeighting } from './pcgrad.js';
import type { Weighting } from './types.js';
import { uncertaintyWeighting } from './uncertainty.js';

/** Options of each loss weighting, by name. */
export interface WeightingOptions {
  equal: Record<string, never>;
  fixed: FixedOptions;
  uncertainty: Record<string, never>;
  dwa: DwaOptions;
  gradnorm: GradNormOptions;
  pcgrad: Record<string, never>;
}

/** A loss weighting makeWeighting knows. */
export type WeightingName = keyof WeightingOptions;

type Constructor = (opts: object) => Weighting<unknown>;

/** name -> constructor for loss-weighting strategies; independent of the architecture registry. */
export const WEIGHTINGS: Readonly<Record<WeightingName, Constructor>> = {
  equal: equalWeighting as Constructor,
  fixed: fixedWeighting as unknown as Constructor,
  uncertainty: uncertaintyWeighting as Constructor,
  dwa: dwaWeighting as Constructor,
  gradnorm: gradNormWeighting as Constructor,
  pcgrad: pcgradWeighting as Constructor,
};

/** Names of every loss weighting. */
export function weightingNames(): WeightingName[] {
  return Object.keys(WEIGHTINGS) as WeightingName[];
}

/** Build a registered strategy; an unknown name is an error that lists the known ones. */
export function makeWeighting<N extends string>(
  name: N,
  opts: N extends WeightingName ? WeightingOptions[N] : object = {} as never,
): Weighting<unknown> {
  if (!Object.prototype.hasOwnProperty.call(WEIGHTINGS, name)) {
    throw new Error(`unknown weighting '${name}'; known weightings: ${weightingNames().join(', ')}`);
  }
  return WEIGHTINGS[name as WeightingName](opts ?? {});
}
