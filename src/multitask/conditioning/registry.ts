import type { ArchSpec, MultiTaskNet } from '../types.js';
import { additiveNet } from './additive.js';
import { concatNet } from './concat.js';
import { dselectNet } from './dselect.js';
import { cgcNet, mmoeNet, pleNet } from './experts.js';
import { crossStitchNet } from './cross_stitch.js';
import { filmNet } from './film.js';
import { gatingNet } from './gating.js';
import { independentNet } from './independent.js';
import { mtanNet } from './mtan.js';
import { multiheadNet } from './multihead.js';
import { relationshipNet } from './relation.js';
import { routingNet } from './routing.js';
import { sluiceNet } from './sluice.js';
import { softSharingNet } from './soft.js';

/**
 * name -> constructor, like LibMTL's architecture registry; every entry takes (spec, options). The one
 * table gives both the names and, from each constructor's signature, the options it takes.
 */
export const ARCHITECTURES = {
  concat: concatNet,
  additive: additiveNet,
  multihead: multiheadNet,
  gating: gatingNet,
  film: filmNet,
  independent: independentNet,
  'cross-stitch': crossStitchNet,
  sluice: sluiceNet,
  mtan: mtanNet,
  soft: softSharingNet,
  relationship: relationshipNet,
  routing: routingNet,
  mmoe: mmoeNet,
  cgc: cgcNet,
  ple: pleNet,
  'dselect-k': dselectNet,
} as const satisfies Record<string, (spec: ArchSpec, opts: never) => MultiTaskNet>;

export type ArchitectureName = keyof typeof ARCHITECTURES;

type OptionsArg<N extends ArchitectureName> = Parameters<(typeof ARCHITECTURES)[N]>[1];

/** Options of each architecture, by registry name. */
export type ArchitectureOptions = {
  [N in ArchitectureName]: NonNullable<Parameters<(typeof ARCHITECTURES)[N]>[1]>;
};

// The same table seen through a mapped type, so that indexing it with a generic name gives a constructor
// that takes that name's options (TypeScript's correlated-union pattern).
const BY_NAME: { readonly [N in ArchitectureName]: (spec: ArchSpec, opts: OptionsArg<N>) => MultiTaskNet } =
  ARCHITECTURES;

function isArchitectureName(name: string): name is ArchitectureName {
  return Object.prototype.hasOwnProperty.call(ARCHITECTURES, name);
}

export function architectureNames(): ArchitectureName[] {
  return Object.keys(ARCHITECTURES).filter(isArchitectureName);
}

/** Build a registered architecture; an unknown name is an error that lists the known ones. */
export function makeArchitecture<N extends string>(
  name: N,
  spec: ArchSpec,
  opts?: N extends ArchitectureName ? ArchitectureOptions[N] : object,
): MultiTaskNet;
// Callers see only the signature above: any string (names come from config files and the command line),
// checked here; each constructor checks its own options and fills in the defaults when they are absent.
export function makeArchitecture<N extends ArchitectureName>(
  name: N,
  spec: ArchSpec,
  opts: OptionsArg<N>,
): MultiTaskNet {
  if (!isArchitectureName(name)) {
    throw new Error(
      `unknown architecture '${String(name)}'; known architectures: ${architectureNames().join(', ')}`,
    );
  }
  return BY_NAME[name](spec, opts);
}
