import { autoLambdaWeighting } from './auto_lambda.js';
import { dwaWeighting } from './dwa.js';
import { equalWeighting, fixedWeighting } from './equal.js';
import { gradNormWeighting } from './gradnorm.js';
import { pcgradWeighting } from './pcgrad.js';
import type { Weighting } from './types.js';
import { uncertaintyWeighting } from './uncertainty.js';
import { mgdaWeighting } from './mgda.js';
import { gradVacWeighting } from './gradvac.js';
import { gradDropWeighting } from './graddrop.js';
import { imtlWeighting } from './imtl.js';
import { caGradWeighting } from './cagrad.js';
import { nashMtlWeighting } from './nash_mtl.js';
import { rlwWeighting } from './rlw.js';
import { alignedMtlWeighting } from './aligned_mtl.js';
import { dbMtlWeighting } from './db_mtl.js';
import { famoWeighting } from './famo.js';
import { upgradWeighting } from './upgrad.js';
import { glsWeighting } from './gls.js';
import { mocoWeighting } from './moco.js';
import { excessMtlWeighting } from './excess_mtl.js';
import { stchWeighting } from './stch.js';
import { fairGradWeighting } from './fairgrad.js';
import { modoWeighting } from './modo.js';
import { sdmgradWeighting } from './sdmgrad.js';

/**
 * name -> constructor for loss-weighting strategies; independent of the architecture registry. The one
 * table gives both the names and, from each constructor's signature, the options it takes.
 */
export const WEIGHTINGS = {
  equal: equalWeighting,
  fixed: fixedWeighting,
  uncertainty: uncertaintyWeighting,
  dwa: dwaWeighting,
  gradnorm: gradNormWeighting,
  pcgrad: pcgradWeighting,
  'auto-lambda': autoLambdaWeighting,
  mgda: mgdaWeighting,
  gradvac: gradVacWeighting,
  graddrop: gradDropWeighting,
  imtl: imtlWeighting,
  cagrad: caGradWeighting,
  'nash-mtl': nashMtlWeighting,
  rlw: rlwWeighting,
  'aligned-mtl': alignedMtlWeighting,
  'db-mtl': dbMtlWeighting,
  famo: famoWeighting,
  upgrad: upgradWeighting,
  gls: glsWeighting,
  moco: mocoWeighting,
  'excess-mtl': excessMtlWeighting,
  stch: stchWeighting,
  fairgrad: fairGradWeighting,
  modo: modoWeighting,
  sdmgrad: sdmgradWeighting,
} as const satisfies Record<string, (opts: never) => Weighting<unknown>>;

export type WeightingName = keyof typeof WEIGHTINGS;

type OptionsArg<N extends WeightingName> = Parameters<(typeof WEIGHTINGS)[N]>[0];

/** Options of each strategy, by registry name. */
export type WeightingOptions = {
  [N in WeightingName]: NonNullable<Parameters<(typeof WEIGHTINGS)[N]>[0]>;
};

// The same table seen through a mapped type, so that indexing it with a generic name gives a constructor
// that takes that name's options (TypeScript's correlated-union pattern).
const BY_NAME: { readonly [N in WeightingName]: (opts: OptionsArg<N>) => Weighting<unknown> } = WEIGHTINGS;

function isWeightingName(name: string): name is WeightingName {
  return Object.prototype.hasOwnProperty.call(WEIGHTINGS, name);
}

export function weightingNames(): WeightingName[] {
  return Object.keys(WEIGHTINGS).filter(isWeightingName);
}

/** Build a registered strategy; an unknown name is an error that lists the known ones. */
export function makeWeighting<N extends string>(
  name: N,
  opts?: N extends WeightingName ? WeightingOptions[N] : object,
): Weighting<unknown>;
// Callers see only the signature above: any string (names come from config files and the command line),
// checked here; each constructor checks its own options and fills in the defaults when they are absent.
export function makeWeighting<N extends WeightingName>(name: N, opts: OptionsArg<N>): Weighting<unknown> {
  if (!isWeightingName(name)) {
    throw new Error(`unknown weighting '${String(name)}'; known weightings: ${weightingNames().join(', ')}`);
  }
  return BY_NAME[name](opts);
}
